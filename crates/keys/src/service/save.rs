//! Saving, checking and clearing keys (`set_key`, `validate`, `clear`), what the Keys screen
//! lists (`overview`, `info`), and the doctor's check of every saved key.
//!
//! Guarantees: those of [`Keys`] (see `service/mod.rs`): checked before saved, keychain first,
//! metadata and audit in one transaction, no method returns a key.

use super::*;

impl Keys {
    /// Writes `key` to its keychain entry, keeping the keychain problem the Keys screen shows
    /// current (set when the keychain is down, cleared once a write succeeds).
    pub(super) async fn write_keychain(
        &self,
        entry: &stateline_secrets::EntryId,
        key: &UserKey,
    ) -> Result<stateline_secrets::KeyMetadata, KeysError> {
        match self.inner.secrets.set_user_key(entry, key).await {
            Ok(saved) => {
                self.set_keychain_problem(None);
                Ok(saved)
            }
            Err(e) => {
                if e.is_keychain_down() {
                    self.set_keychain_problem(Some(&e));
                }
                Err(e.into())
            }
        }
    }

    /// Checks `key` against Metrc and, unless Metrc refuses it, saves it for `holder`.
    pub async fn set_key(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
        key: UserKey,
    ) -> Result<KeySaved, KeysError> {
        Self::may_change_key(actor, holder)?;
        let (holder, entry) = self.entry(holder).await?;
        let validation = self.check(&key).await;
        if matches!(validation.verdict, Verdict::KeyInvalid { .. }) {
            tracing::info!(holder = %holder, "Metrc refused the key; it was not saved");
            return Ok(KeySaved {
                saved: false,
                validation,
                released: 0,
            });
        }
        let saved = self.write_keychain(&entry, &key).await?;
        let env = self.inner.environment.clone();
        let by = actor.name().to_owned();
        let (h, v) = (holder.clone(), validation.clone());
        let ended_override = self
            .blocking(move |db| {
                let now = db.now();
                db.write(|tx| {
                    metadata::upsert(tx, &env, &h, &saved.entry, &saved.last_four, now, &by)?;
                    metadata::set_verdict(tx, &env, &h, &v.last_four, &v.verdict, v.checked_at)?;
                    let ended = match &h {
                        KeyHolder::User(name) => metadata::end_override(tx, name)?,
                        KeyHolder::Facility => false,
                    };
                    let detail = format!(
                        "key ending {}; check: {}{}",
                        saved.last_four,
                        v.verdict.code(),
                        if ended {
                            "; facility-key override ended"
                        } else {
                            ""
                        }
                    );
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(&by, AuditAction::KeySet, h.to_string(), detail),
                    )?;
                    Ok(ended)
                })
            })
            .await?;
        self.inner.ring.put(&holder, Some(key));
        if ended_override && let KeyHolder::User(name) = &holder {
            let lower = name.to_lowercase();
            self.inner.ring.with(|s| s.overrides.remove(&lower));
        }
        let released = if usable(&validation.verdict) {
            self.release(&holder).await?
        } else {
            0
        };
        Ok(KeySaved {
            saved: true,
            validation,
            released,
        })
    }

    /// Checks the saved key of `holder` against Metrc (own key: anyone; others: a manager).
    pub async fn validate(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<KeyValidation, KeysError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::ValidateAnyKey,
        )?;
        let (validation, _) = self
            .validate_saved(Some(actor.name()), holder, true)
            .await?;
        Ok(validation)
    }

    /// Checks a saved key; records the verdict; releases records when asked and the key is usable.
    pub(crate) async fn validate_saved(
        &self,
        actor: Option<&str>,
        holder: &KeyHolder,
        release_if_usable: bool,
    ) -> Result<(KeyValidation, usize), KeysError> {
        let (holder, key) = self.saved_key(holder).await?;
        let validation = self.check(&key).await;
        self.record_verdict(actor, &holder, &validation).await?;
        self.inner.ring.put(&holder, Some(key));
        let released = if release_if_usable && usable(&validation.verdict) {
            self.release(&holder).await?
        } else {
            0
        };
        Ok((validation, released))
    }

    /// Removes `holder`'s key from the keychain and its metadata; that holder's records will wait.
    pub async fn clear(&self, actor: &Actor, holder: &KeyHolder) -> Result<(), KeysError> {
        Self::may_change_key(actor, holder)?;
        self.remove(
            holder,
            Some(actor.name().to_owned()),
            "removed from the keychain".into(),
        )
        .await
    }

    /// Stateline removes this register's copy of `holder`'s key because a newer key for the same
    /// holder was saved at another register of the store (`why` says where); audited as the
    /// system's doing. The holder's records here then wait, and sales among them go to the
    /// register holding the newer key.
    pub async fn retire(&self, holder: &KeyHolder, why: String) -> Result<(), KeysError> {
        self.remove(holder, None, why).await
    }

    async fn remove(
        &self,
        holder: &KeyHolder,
        by: Option<String>,
        detail: String,
    ) -> Result<(), KeysError> {
        let (holder, entry) = self.entry(holder).await?;
        match self.inner.secrets.clear_user_key(&entry).await {
            Ok(()) | Err(SecretStoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.inner.ring.put(&holder, None);
        let env = self.inner.environment.clone();
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                metadata::delete(tx, &env, &holder)?;
                let subject = holder.to_string();
                let event = match &by {
                    Some(by) => AuditEvent::by(by, AuditAction::KeyCleared, subject, detail),
                    None => AuditEvent::by_system(AuditAction::KeyCleared, subject, detail),
                };
                audit::append(tx, now, &event)?;
                Ok(())
            })
        })
        .await
    }

    /// What the Keys screen shows to `actor`.
    pub async fn overview(&self, actor: &Actor) -> Result<KeysOverview, KeysError> {
        let (policy, overrides, mut keys) = self.stored_state().await?;
        if require(actor, Permission::SetOtherKeys).is_err() {
            keys.retain(|k| {
                k.holder
                    .user()
                    .is_some_and(|u| u.eq_ignore_ascii_case(actor.name()))
            });
        }
        Ok(KeysOverview {
            policy,
            keys,
            overrides,
            keychain_problem: self.keychain_problem(),
        })
    }

    /// The key metadata of one holder (own: anyone; others: a manager).
    pub async fn info(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<Option<KeyInfo>, KeysError> {
        Self::may_change_key(actor, holder)?;
        let env = self.inner.environment.clone();
        let holder = holder.clone();
        self.blocking(move |db| db.read(|c| metadata::one(c, &env, &holder)))
            .await
    }

    /// Checks every saved key now, as Stateline itself (for `stateline doctor`): verdicts are
    /// recorded and audited; nothing is released.
    pub async fn check_all_saved(
        &self,
    ) -> Result<Vec<(KeyHolder, Result<KeyValidation, KeysError>)>, KeysError> {
        let mut out = Vec::new();
        for info in self.holders().await? {
            let result = self
                .validate_saved(None, &info.holder, false)
                .await
                .map(|(v, _)| v);
            out.push((info.holder, result));
        }
        Ok(out)
    }
}
