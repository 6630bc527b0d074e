//! The key mode and facility-key overrides: a manager switches the mode, lets a user's records go
//! under the facility key (only where Settings allow it) and ends that override.
//!
//! Guarantees: every change needs a manager, is audited in its own transaction, and never names
//! a key.

use stateline_store::StoreError;

use super::*;

impl Keys {
    /// A manager switches the key mode and whether facility overrides are allowed.
    pub async fn set_policy(&self, actor: &Actor, policy: KeyPolicy) -> Result<(), KeysError> {
        require(actor, Permission::ChooseKeyMode)?;
        let by = actor.name().to_owned();
        let old = self
            .blocking(move |db| {
                let now = db.now();
                db.write(|tx| {
                    let old = mode::read(tx)?;
                    mode::write(tx, policy)?;
                    let detail = format!(
                        "mode {} → {}; facility overrides allowed {} → {}",
                        old.mode.as_str(),
                        policy.mode.as_str(),
                        old.facility_overrides_allowed,
                        policy.facility_overrides_allowed
                    );
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(&by, AuditAction::KeyModeChanged, "key mode", detail),
                    )?;
                    Ok(old)
                })
            })
            .await?;
        self.inner.ring.with(|s| s.policy = policy);
        if old != policy && self.inner.ring.has_key(&KeyHolder::Facility) {
            self.release(&KeyHolder::Facility).await?;
        }
        Ok(())
    }

    /// A manager's explicit, audited choice: `user`'s records go under the facility key (only
    /// where the store allows facility keys, and only if a facility key is saved). Releases the
    /// user's waiting records.
    pub async fn send_under_facility_key(
        &self,
        actor: &Actor,
        user: &str,
        reason: &str,
    ) -> Result<usize, KeysError> {
        require(actor, Permission::SendUnderFacilityKey)?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() {
            return Err(StoreError::InvalidInput {
                field: "reason",
                detail: "it is empty; say why this user's records go under the facility key".into(),
            }
            .into());
        }
        let policy = self.inner.ring.with(|s| s.policy);
        if !policy.facility_overrides_allowed && policy.mode != crate::KeyMode::Facility {
            return Err(KeysError::FacilityKeysNotAllowed);
        }
        if !self.inner.ring.has_key(&KeyHolder::Facility) {
            return Err(KeysError::NoKey {
                holder: KeyHolder::Facility.to_string(),
            });
        }
        let (holder, _) = self.entry(&KeyHolder::User(user.to_owned())).await?;
        let name = holder.user().unwrap_or(user).to_owned();
        let by = actor.name().to_owned();
        let n = name.clone();
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                metadata::grant_override(tx, &n, &by, now, &reason)?;
                audit::append(
                    tx,
                    now,
                    &AuditEvent::by(
                        &by,
                        AuditAction::FacilityKeyOverride,
                        &n,
                        format!("records go under the facility key: {reason}"),
                    ),
                )?;
                Ok(())
            })
        })
        .await?;
        self.inner
            .ring
            .with(|s| s.overrides.insert(name.to_lowercase()));
        self.release(&KeyHolder::Facility).await
    }

    /// A manager ends an override: the user's records go under their own key again.
    pub async fn end_facility_override(&self, actor: &Actor, user: &str) -> Result<(), KeysError> {
        require(actor, Permission::SendUnderFacilityKey)?;
        let (by, u) = (actor.name().to_owned(), user.to_owned());
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                if metadata::end_override(tx, &u)? {
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(
                            &by,
                            AuditAction::FacilityKeyOverride,
                            &u,
                            "override ended: own key again",
                        ),
                    )?;
                }
                Ok(())
            })
        })
        .await?;
        let lower = user.to_lowercase();
        self.inner.ring.with(|s| s.overrides.remove(&lower));
        Ok(())
    }
}
