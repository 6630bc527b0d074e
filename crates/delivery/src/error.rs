//! The one error type of `stateline-delivery`.
//!
//! Guarantees: every variant has a stable [`DeliveryError::code`]; errors of the store, Metrc and
//! tasks are wrapped transparently, so their codes and messages pass through unchanged; no
//! message ever contains a key.

/// Everything that can go wrong delivering records or refreshing caches.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A bug or a broken invariant inside Stateline.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The local store failed or refused.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
    /// A call to Metrc failed (its message says what to do; it never contains a key).
    #[error(transparent)]
    Metrc(#[from] metrc::MetrcError),
    /// The worker could not be stopped in time.
    #[error(transparent)]
    Task(#[from] stateline_tasks::TaskError),
}

impl DeliveryError {
    /// A stable, machine-readable code for this error; the UI branches on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::Internal(_) => "internal",
            DeliveryError::Store(e) => e.code(),
            DeliveryError::Metrc(e) => e.code(),
            DeliveryError::Task(e) => e.code(),
        }
    }
}

impl From<rusqlite::Error> for DeliveryError {
    fn from(e: rusqlite::Error) -> Self {
        DeliveryError::Store(e.into())
    }
}
