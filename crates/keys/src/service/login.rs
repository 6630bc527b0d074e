//! The key check at login: whether to ask the user for a key.
//!
//! Guarantees: a usable key releases the user's waiting records; Metrc being unreachable never
//! asks for a new key.

use super::*;

impl Keys {
    /// At login: checks the user's own key (when the mode uses it) and says whether to ask for
    /// one. A usable key releases the user's waiting records. Metrc being unreachable never asks
    /// for a new key.
    pub async fn check_at_login(&self, session: &Session) -> Result<LoginKeyCheck, KeysError> {
        let holder = KeyHolder::User(session.actor.name().to_owned());
        let facility_mode = self
            .inner
            .ring
            .with(|s| s.policy.mode == crate::KeyMode::Facility);
        let key = self.info(&session.actor, &holder).await?;
        if facility_mode {
            return Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: false,
                released: 0,
            });
        }
        if key.is_none() {
            return Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: true,
                released: 0,
            });
        }
        match self
            .validate_saved(Some(session.actor.name()), &holder, true)
            .await
        {
            Ok((validation, released)) => {
                let needs_key = matches!(validation.verdict, Verdict::KeyInvalid { .. });
                let key = self.info(&session.actor, &holder).await?;
                Ok(LoginKeyCheck {
                    key,
                    validation: Some(validation),
                    needs_key,
                    released,
                })
            }
            Err(KeysError::NoKey { .. }) => Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: true,
                released: 0,
            }),
            Err(KeysError::Keychain(e)) if e.is_keychain_down() => {
                self.set_keychain_problem(Some(&e));
                Ok(LoginKeyCheck {
                    key,
                    validation: None,
                    needs_key: false,
                    released: 0,
                })
            }
            Err(e) => Err(e),
        }
    }
}
