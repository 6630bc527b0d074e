//! The one error type of the secret store.
//!
//! Guarantees: every variant has a stable machine-readable [`SecretStoreError::code`]; every
//! message says what to do next; no variant ever holds a key. Details taken from the platform
//! keychain are its own error texts (D-Bus names, OS error codes), never the bytes of a secret,
//! and [`SecretStoreError::scrubbed`] removes a key from them anyway if a platform ever echoed one.

/// Everything that can go wrong while saving, reading or deleting a Metrc key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretStoreError {
    /// There is no keychain service to talk to (no Secret Service on the session bus, no session
    /// bus at all, or no keychain on this platform).
    #[error(
        "No keychain service is running ({detail}): start gnome-keyring (or the desktop's Secret \
         Service) and try again; selling continues, but keys cannot be saved or read until it runs"
    )]
    Unavailable {
        /// What the platform reported.
        detail: String,
    },
    /// The keychain is there but locked, or the user dismissed the unlock prompt.
    #[error(
        "The keychain is locked ({detail}): unlock the login keyring and try again; selling \
         continues, but keys cannot be saved or read until it is unlocked"
    )]
    Locked {
        /// What the platform reported.
        detail: String,
    },
    /// The keychain did not answer in time (it may be waiting for an unlock dialog).
    #[error(
        "The keychain did not answer within {seconds} s (it may be waiting for you to unlock it in \
         a dialog): unlock the login keyring and try again"
    )]
    Timeout {
        /// How long we waited.
        seconds: u64,
    },
    /// No key is saved for this entry.
    #[error(
        "No key is saved in the keychain for {entry}: enter the key (paste it from Metrc) and save it"
    )]
    NotFound {
        /// The entry id (never the key).
        entry: String,
    },
    /// The saved (or installer-provided) value is not a usable Metrc key.
    #[error("The key for {entry} is not a valid Metrc key ({reason}); enter the key again")]
    InvalidKey {
        /// The entry id, or the name of the environment variable.
        entry: String,
        /// Why it is not valid (never the key itself).
        reason: String,
    },
    /// An entry id could not be formed from the given environment or Metrc user.
    #[error("Cannot name a keychain entry: {reason}")]
    InvalidEntry {
        /// What is wrong and what to use instead.
        reason: String,
    },
    /// More than one keychain item matches the entry.
    #[error(
        "The keychain holds {count} items for {entry}: delete the extra ones (service \
         \"stateline\") in the keychain manager, then enter the key again"
    )]
    Duplicate {
        /// The entry id.
        entry: String,
        /// How many items matched.
        count: usize,
    },
    /// The keychain failed in some other way.
    #[error(
        "The keychain reported an error ({detail}); try again, and if it persists run `stateline doctor`"
    )]
    Failed {
        /// What the platform reported.
        detail: String,
    },
}

impl SecretStoreError {
    /// A stable, machine-readable code for this error; callers branch on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            SecretStoreError::Unavailable { .. } => "keychain_unavailable",
            SecretStoreError::Locked { .. } => "keychain_locked",
            SecretStoreError::Timeout { .. } => "keychain_timeout",
            SecretStoreError::NotFound { .. } => "key_not_found",
            SecretStoreError::InvalidKey { .. } => "invalid_key",
            SecretStoreError::InvalidEntry { .. } => "invalid_entry",
            SecretStoreError::Duplicate { .. } => "keychain_duplicate",
            SecretStoreError::Failed { .. } => "keychain_error",
        }
    }

    /// True when the keychain itself cannot be used right now (unavailable, locked, no answer):
    /// the register keeps selling and keys already read stay usable.
    pub fn is_keychain_down(&self) -> bool {
        matches!(
            self,
            SecretStoreError::Unavailable { .. }
                | SecretStoreError::Locked { .. }
                | SecretStoreError::Timeout { .. }
        )
    }

    /// The same error with every occurrence of `secret` replaced, in case a platform message ever
    /// echoed what it was given. Empty secrets change nothing.
    pub(crate) fn scrubbed(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let clean = |s: String| {
            if s.contains(secret) {
                s.replace(secret, "[redacted]")
            } else {
                s
            }
        };
        match self {
            SecretStoreError::Unavailable { detail } => SecretStoreError::Unavailable {
                detail: clean(detail),
            },
            SecretStoreError::Locked { detail } => SecretStoreError::Locked {
                detail: clean(detail),
            },
            SecretStoreError::Failed { detail } => SecretStoreError::Failed {
                detail: clean(detail),
            },
            SecretStoreError::InvalidKey { entry, reason } => SecretStoreError::InvalidKey {
                entry,
                reason: clean(reason),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let d = || "x".to_string();
        let cases = [
            (
                SecretStoreError::Unavailable { detail: d() },
                "keychain_unavailable",
            ),
            (SecretStoreError::Locked { detail: d() }, "keychain_locked"),
            (SecretStoreError::Timeout { seconds: 1 }, "keychain_timeout"),
            (SecretStoreError::NotFound { entry: d() }, "key_not_found"),
            (
                SecretStoreError::InvalidKey {
                    entry: d(),
                    reason: d(),
                },
                "invalid_key",
            ),
            (
                SecretStoreError::InvalidEntry { reason: d() },
                "invalid_entry",
            ),
            (
                SecretStoreError::Duplicate {
                    entry: d(),
                    count: 2,
                },
                "keychain_duplicate",
            ),
            (SecretStoreError::Failed { detail: d() }, "keychain_error"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let locked = SecretStoreError::Locked {
            detail: "prompt dismissed".into(),
        };
        assert!(
            locked.to_string().contains("Unlock the login keyring")
                || locked.to_string().contains("unlock the login keyring")
        );
        let down = SecretStoreError::Unavailable {
            detail: "no bus".into(),
        };
        assert!(down.to_string().contains("start gnome-keyring"));
        assert!(down.to_string().contains("selling continues"));
    }

    #[test]
    fn scrubbing_removes_an_echoed_secret() {
        let err = SecretStoreError::Failed {
            detail: "bad value SECRETKEY123".into(),
        };
        let err = err.scrubbed("SECRETKEY123");
        assert!(!err.to_string().contains("SECRETKEY123"));
        assert!(!format!("{err:?}").contains("SECRETKEY123"));
    }
}
