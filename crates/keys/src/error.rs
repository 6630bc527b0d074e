//! The one error type of `stateline-keys`.
//!
//! Guarantees: every variant has a stable [`KeysError::code`]; errors of the store, the keychain,
//! Metrc and tasks are wrapped transparently, so their codes and messages pass through unchanged;
//! no message ever contains a key (the wrapped errors never carry one either).

/// Everything that can go wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// A bug or a broken invariant inside Stateline.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The local store failed or refused.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
    /// A call to Metrc failed (its message says what to do; it never contains a key).
    #[error(transparent)]
    Metrc(#[from] metrc::MetrcError),
    /// The OS keychain could not do what was asked (its message says what to do).
    #[error(transparent)]
    Keychain(#[from] stateline_secrets::SecretStoreError),
    /// A background task could not be stopped in time.
    #[error(transparent)]
    Task(#[from] stateline_tasks::TaskError),
    /// No Metrc key is saved for this holder on this register.
    #[error("no Metrc key is saved for {holder}; paste the key on the Keys screen")]
    NoKey {
        /// Whose key (a user name or "the facility").
        holder: String,
    },
    /// The store's setting does not allow sending records under the facility key.
    #[error(
        "this store does not allow facility keys; a manager can allow them in Settings, or the user can paste a new key"
    )]
    FacilityKeysNotAllowed,
    /// Metrc refused a key that was being saved; nothing was saved.
    #[error(
        "Metrc refused this key, so it was not saved; generate a new key in Metrc and paste it"
    )]
    KeyRefused,
}

impl KeysError {
    /// A stable, machine-readable code for this error; the UI branches on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            KeysError::Internal(_) => "internal",
            KeysError::Store(e) => e.code(),
            KeysError::Metrc(e) => e.code(),
            KeysError::Keychain(e) => e.code(),
            KeysError::Task(e) => e.code(),
            KeysError::NoKey { .. } => "no_key",
            KeysError::FacilityKeysNotAllowed => "facility_keys_not_allowed",
            KeysError::KeyRefused => "key_refused",
        }
    }
}

impl From<rusqlite::Error> for KeysError {
    fn from(e: rusqlite::Error) -> Self {
        KeysError::Store(e.into())
    }
}
