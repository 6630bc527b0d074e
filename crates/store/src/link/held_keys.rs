//! Which Metrc keys this register holds, as the store may know it, and which every register of
//! the store holds, as this register last heard — so a manager sees whose key is where, and a
//! record waiting for its user's key can say where that key is.
//!
//! Guarantees: nothing here is or derives from a key — only the holder, the environment, the
//! key's last four characters (already shown in the UI), when it was saved and its last
//! validation verdict; `key_metadata` is read here, never written (the keys crate owns it: this is
//! its read-only public face for the store link, which may not depend on the keys crate so that
//! no key can reach the store server); the store's list is kept as one setting, replaced whole.

use jiff::Timestamp;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::time::from_ms;
use crate::{Database, StoreError};

/// A key this register holds (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldKey {
    /// `demo`, `sandbox` or `production`.
    pub environment: String,
    /// `user:<name>` or `facility`.
    pub holder: String,
    /// The key's last four characters.
    pub last_four: String,
    /// When it was saved here.
    pub saved_at: Timestamp,
    /// The last check's verdict (`all_good`, `missing_permissions`, `key_invalid`,
    /// `could_not_check`), if it was checked.
    pub verdict: Option<String>,
    /// When it was last checked.
    pub validated_at: Option<Timestamp>,
}

impl HeldKey {
    /// The user whose key this is (`None` for the facility key).
    pub fn user(&self) -> Option<&str> {
        self.holder.strip_prefix("user:")
    }

    /// Whether the last check found it usable (or it could not be checked, offline).
    pub fn usable(&self) -> bool {
        matches!(
            self.verdict.as_deref(),
            None | Some("all_good" | "missing_permissions" | "could_not_check")
        )
    }
}

/// A key some register of the store holds, as the store told this register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHeldKey {
    /// The register's id.
    pub register_id: String,
    /// Its name.
    pub register_name: String,
    /// When the store last heard from it.
    pub register_seen_at: Timestamp,
    /// The key.
    pub key: HeldKey,
    /// Whether this is the newest key saved for its holder in the store (a rotation at another
    /// register makes older copies stale).
    pub newest: bool,
}

/// The setting holding the store's key holders as last pulled.
pub const STORE_KEY_HOLDERS: &str = "link.key_holders";

/// The setting holding a fingerprint of this register's keys as last pushed.
pub const KEYS_PUSHED: &str = "link.keys_pushed";

impl Database {
    /// The keys this register holds, by environment and holder (see the module doc).
    pub fn held_keys(&self) -> Result<Vec<HeldKey>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT environment, holder, last_four, saved_at, verdict, validated_at
                 FROM key_metadata ORDER BY environment, holder",
            )?;
            let rows = stmt.query_map(params![], |r| {
                Ok(HeldKey {
                    environment: r.get(0)?,
                    holder: r.get(1)?,
                    last_four: r.get(2)?,
                    saved_at: from_ms(r.get(3)?),
                    verdict: r.get(4)?,
                    validated_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Replaces the store's key holders as last pulled.
    pub fn save_store_key_holders(&self, keys: &[StoreHeldKey]) -> Result<(), StoreError> {
        let json = serde_json::to_string(keys)
            .map_err(|e| StoreError::Internal(format!("key holders as JSON: {e}")))?;
        self.set_setting(STORE_KEY_HOLDERS, &json)
    }

    /// The store's key holders as last pulled (empty when never pulled or not in a store).
    pub fn store_key_holders(&self) -> Result<Vec<StoreHeldKey>, StoreError> {
        Ok(self
            .setting(STORE_KEY_HOLDERS)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Where usable, newest keys of `user` (in `environment`, or any) are held in the store,
    /// other than at this register, as last pulled.
    pub fn where_user_key_is(
        &self,
        environment: Option<&str>,
        user: &str,
    ) -> Result<Vec<StoreHeldKey>, StoreError> {
        Ok(self
            .keys_held_elsewhere(environment)?
            .into_iter()
            .filter(|k| k.key.user().is_some_and(|u| u.eq_ignore_ascii_case(user)))
            .collect())
    }

    /// The users (lower-case) whose usable, newest key another register holds, as last pulled.
    pub fn users_with_keys_elsewhere(
        &self,
        environment: Option<&str>,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        Ok(self
            .keys_held_elsewhere(environment)?
            .into_iter()
            .filter_map(|k| k.key.user().map(str::to_lowercase))
            .collect())
    }

    /// Whether this register sends every record under the facility key (its key mode), so a
    /// record waiting here waits for the facility key, not its user's.
    pub fn facility_mode(&self) -> Result<bool, StoreError> {
        Ok(self.setting(crate::settings::KEY_MODE)?.as_deref() == Some("facility"))
    }

    /// Whether another register holds a usable, newest facility key, as last pulled.
    pub fn facility_key_elsewhere(&self) -> Result<bool, StoreError> {
        Ok(self
            .keys_held_elsewhere(None)?
            .iter()
            .any(|k| k.key.user().is_none()))
    }

    /// The usable, newest keys other registers hold (in `environment`, or any), as last pulled:
    /// where the work of a user with no key here can go.
    pub fn keys_held_elsewhere(
        &self,
        environment: Option<&str>,
    ) -> Result<Vec<StoreHeldKey>, StoreError> {
        let here = self.install_id().to_owned();
        Ok(self
            .store_key_holders()?
            .into_iter()
            .filter(|k| {
                k.register_id != here
                    && k.newest
                    && k.key.usable()
                    && environment.is_none_or(|e| k.key.environment == e)
            })
            .collect())
    }
}
