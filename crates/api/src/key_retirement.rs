//! Retiring this register's copy of a rotated key (issue #13: "rotating a key at any register
//! makes that register the holder and retires the older copies at the others").
//!
//! Guarantees: after every successful pass of the store link, a key this register holds is
//! removed from its keychain (and its metadata), audited as Stateline's doing with where the newer
//! key is, only when the store lists, for the same holder and environment, a usable key saved
//! **later** at another register that the store marks the newest; nothing else is ever removed.
//! The holder's records here then wait, and sales among them are handed over to the register
//! holding the newer key (`stateline_link::handover`). Comparing the two save times compares
//! two registers' clocks: a register whose clock is far behind may keep an older copy a little
//! longer, or retire a newer one saved within its skew — the later save at the store wins either
//! way, and the person simply pastes the key again where it was retired by mistake.

use stateline_keys::KeyHolder;
use stateline_tasks::StoreCall;

use super::{App, AppEvent, dto};
use crate::ApiError;

impl App {
    /// Retires this register's keys that a newer key elsewhere in the store replaced (see the
    /// module doc); returns how many.
    pub(crate) async fn retire_stale_keys(&self) -> Result<usize, ApiError> {
        let keys = self.keys()?;
        let environment = self.environment()?.as_str();
        let (held, store) = self
            .inner
            .db
            .call(|db| Ok::<_, ApiError>((db.held_keys()?, db.store_key_holders()?)))
            .await?;
        let here = self.inner.db.install_id().to_owned();
        let mut retired = 0;
        for mine in held.iter().filter(|k| k.environment == environment) {
            let newer = store.iter().find(|k| {
                k.register_id != here
                    && k.newest
                    && k.key.usable()
                    && k.key.environment == mine.environment
                    && k.key.holder.eq_ignore_ascii_case(&mine.holder)
                    && k.key.saved_at > mine.saved_at
            });
            let Some(newer) = newer else { continue };
            let holder = match mine.user() {
                Some(user) => KeyHolder::User(user.to_owned()),
                None => KeyHolder::Facility,
            };
            let why = format!(
                "retired: a newer key (…{}) was saved at {} on {}",
                newer.key.last_four, newer.register_name, newer.key.saved_at
            );
            keys.retire(&holder, why).await?;
            tracing::info!(holder = %holder, register = %newer.register_name, "an older copy of a rotated key was retired");
            retired += 1;
        }
        if retired > 0 {
            self.emit(AppEvent::KeysChanged(dto::KeysChanged { owner: None }));
        }
        Ok(retired)
    }
}
