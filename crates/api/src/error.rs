//! The one error type of `stateline-api`: what a facade method can fail with.
//!
//! Guarantees: every variant has a stable [`ApiError::code`] (the UI branches on it, never on the
//! text); the lower crates' errors are wrapped transparently, so their codes and messages reach
//! the UI exactly as each crate wrote them (the codes in `docs/ipc.md`); no message ever contains
//! a key or a PIN.

/// Everything a facade method can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A bug or a broken invariant inside Stateline.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The local store failed or refused.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
    /// The key service failed or refused.
    #[error(transparent)]
    Keys(#[from] stateline_keys::KeysError),
    /// Delivery or a refresh failed.
    #[error(transparent)]
    Delivery(#[from] stateline_delivery::DeliveryError),
    /// Reconciliation or a report failed.
    #[error(transparent)]
    Compliance(#[from] stateline_compliance::ComplianceError),
    /// A call to Metrc failed (its message says what to do; it never contains a key).
    #[error(transparent)]
    Metrc(#[from] metrc::MetrcError),
    /// The OS keychain could not do what was asked (its message says what to do).
    #[error(transparent)]
    Keychain(#[from] stateline_secrets::SecretStoreError),
    /// The store link failed or refused (joining, leaving, the store server).
    #[error(transparent)]
    Link(#[from] stateline_link::LinkError),
    /// The local API (or the door) failed or refused.
    #[error(transparent)]
    Pos(#[from] stateline_pos::PosError),
    /// A background task could not be stopped in time.
    #[error(transparent)]
    Task(#[from] stateline_tasks::TaskError),
    /// Nobody is logged in (or the register locked itself after being idle).
    #[error("nobody is logged in (the register may have locked itself); log in with your PIN")]
    NotLoggedIn,
    /// A demo-panel action outside demo mode.
    #[error(
        "this works only in demo mode (the embedded Metrc emulator); switch to demo in Settings"
    )]
    NotDemo,
}

impl ApiError {
    /// A stable, machine-readable code for this error; the UI branches on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Internal(_) => "internal",
            ApiError::Store(e) => e.code(),
            ApiError::Keys(e) => e.code(),
            ApiError::Delivery(e) => e.code(),
            ApiError::Compliance(e) => e.code(),
            ApiError::Metrc(e) => e.code(),
            ApiError::Keychain(e) => e.code(),
            ApiError::Link(e) => e.code(),
            ApiError::Pos(e) => e.code(),
            ApiError::Task(e) => e.code(),
            ApiError::NotLoggedIn => "not_logged_in",
            ApiError::NotDemo => "not_demo",
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Store(e.into())
    }
}
