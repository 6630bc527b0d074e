//! What the Metrc-compatible door (`stateline-pos`) asks of the key service: whose saved key a
//! POS presented, and saving a key a user presents there for the first time.
//!
//! Guarantees: a presented key is compared with every key the ring holds in constant time per
//! key (the comparison does not stop at the first differing byte, and every held key is
//! compared); a presented key is saved only for an existing, enabled user allowed to set their
//! own key who has no key saved yet (`invalid_input` otherwise: a key is replaced in the app),
//! only after Metrc confirmed it (a key Metrc refused, or one that could not be checked,
//! is not saved), keychain first, then its metadata and an audit entry in one transaction — as
//! `set_key` does for a key pasted in the app; no method returns a key.

use super::*;

/// Equality of two byte strings that takes the same time wherever they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

impl Keys {
    /// The (lower-cased) name of the user whose saved key is `presented`, if any. The facility
    /// key identifies nobody.
    pub fn holder_of_presented(&self, presented: &UserKey) -> Option<String> {
        let wanted = presented.expose_for_keychain().as_bytes();
        self.inner.ring.with(|s| {
            let mut found = None;
            for (user, key) in &s.users {
                if same_bytes(key.expose_for_keychain().as_bytes(), wanted) && found.is_none() {
                    found = Some(user.clone());
                }
            }
            found
        })
    }

    /// Saves `key`, presented at the door by `user` (who has no key saved yet), as that user's
    /// own key: checked with Metrc first and saved only when Metrc accepted it (`saved` false
    /// otherwise; the validation says whether Metrc refused it or could not be asked). Audited
    /// as the user's own doing.
    pub async fn save_key_presented_at_door(
        &self,
        user: &str,
        key: UserKey,
    ) -> Result<KeySaved, KeysError> {
        let name = user.to_owned();
        self.blocking(move |db| Ok(db.require_user_may(&name, Permission::SetOwnKey)?))
            .await?;
        let (holder, entry) = self.entry(&KeyHolder::User(user.to_owned())).await?;
        let (env, h) = (self.inner.environment.clone(), holder.clone());
        let known = self
            .blocking(move |db| db.read(|c| metadata::one(c, &env, &h)))
            .await?;
        if known.is_some() {
            return Err(StoreError::InvalidInput {
                field: "Metrc key",
                detail: "this user already has a key saved in Stateline; paste a new key on the \
                         Keys screen to replace it"
                    .into(),
            }
            .into());
        }
        let validation = self.check(&key).await;
        if !usable(&validation.verdict) {
            tracing::info!(holder = %holder, verdict = validation.verdict.code(), "a key presented at the door was not saved");
            return Ok(KeySaved {
                saved: false,
                validation,
                released: 0,
            });
        }
        let saved = self.write_keychain(&entry, &key).await?;
        let env = self.inner.environment.clone();
        let (h, v) = (holder.clone(), validation.clone());
        self.blocking(move |db| {
            let now = db.now();
            let by = h.to_string();
            db.write(|tx| {
                metadata::upsert(tx, &env, &h, &saved.entry, &saved.last_four, now, &by)?;
                metadata::set_verdict(tx, &env, &h, &v.last_four, &v.verdict, v.checked_at)?;
                let detail = format!(
                    "key ending {}, presented by a POS at the Metrc-compatible door; check: {}",
                    saved.last_four,
                    v.verdict.code()
                );
                audit::append(
                    tx,
                    now,
                    &AuditEvent::by(&by, AuditAction::KeySet, h.to_string(), detail),
                )?;
                Ok(())
            })
        })
        .await?;
        self.inner.ring.put(&holder, Some(key));
        let released = self.release(&holder).await?;
        Ok(KeySaved {
            saved: true,
            validation,
            released,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn compares_whole_strings() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"abcd"));
        assert!(!same_bytes(b"", b"a"));
        assert!(same_bytes(b"", b""));
    }
}
