//! The one error type of `stateline-compliance`.
//!
//! Guarantees: every variant has a stable [`ComplianceError::code`]; errors of the store and Metrc
//! are wrapped transparently, so their codes and messages pass through unchanged; no message ever
//! contains a key.

/// Everything that can go wrong reconciling or reporting.
#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    /// A bug or a broken invariant inside Stateline.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The local store failed or refused.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
    /// A call to Metrc failed (its message says what to do; it never contains a key).
    #[error(transparent)]
    Metrc(#[from] metrc::MetrcError),
    /// No Metrc key was handed in for an action that writes to Metrc.
    #[error("no Metrc key is saved for {holder}; paste the key on the Keys screen")]
    NoKey {
        /// Whose key.
        holder: String,
    },
}

impl ComplianceError {
    /// A stable, machine-readable code for this error; the UI branches on it, never on the text.
    pub fn code(&self) -> &'static str {
        match self {
            ComplianceError::Internal(_) => "internal",
            ComplianceError::Store(e) => e.code(),
            ComplianceError::Metrc(e) => e.code(),
            ComplianceError::NoKey { .. } => "no_key",
        }
    }
}

impl From<rusqlite::Error> for ComplianceError {
    fn from(e: rusqlite::Error) -> Self {
        ComplianceError::Store(e.into())
    }
}
