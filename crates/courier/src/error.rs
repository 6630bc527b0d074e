//! The one error type of `stateline-courier`.
//!
//! Guarantees: every variant keeps the code of the error it wraps (`store_*`, `metrc_*`, …);
//! nothing here carries a key (keys are never formatted).

/// What can stop a courier pass.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    /// The store server (`stateline-link`).
    #[error(transparent)]
    Link(#[from] stateline_link::LinkError),
    /// The register's own database.
    #[error(transparent)]
    Store(#[from] stateline_store::StoreError),
}

impl CourierError {
    /// The stable code for the UI and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Link(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }
}
