//! The one error type of the command line.
//!
//! Guarantees: every variant has a stable [`CliError::code`] (the crates' errors keep their own
//! codes); messages say what to do next and never contain a key.

use stateline_api::ApiError;
use stateline_compliance::ComplianceError;
use stateline_delivery::DeliveryError;
use stateline_keys::KeysError;
use stateline_link::LinkError;
use stateline_secrets::SecretStoreError;
use stateline_store::StoreError;
use stateline_tasks::TaskError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Compliance(#[from] ComplianceError),
    #[error(transparent)]
    Metrc(#[from] metrc::MetrcError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Secret(#[from] SecretStoreError),
    #[error(transparent)]
    Link(LinkError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Emulator(#[from] metrc_emulator::EmulatorError),
    #[error("{what} is not valid: {detail}; nothing was recorded")]
    BadInput { what: &'static str, detail: String },
    #[error("could not {action}: {source}")]
    Io {
        action: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    AuditBroken(String),
}

impl CliError {
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Store(e) => e.code(),
            CliError::Keys(e) => e.code(),
            CliError::Delivery(e) => e.code(),
            CliError::Compliance(e) => e.code(),
            CliError::Metrc(e) => e.code(),
            CliError::Task(e) => e.code(),
            CliError::Secret(e) => e.code(),
            CliError::Link(e) => e.code(),
            CliError::Api(e) => e.code(),
            CliError::Emulator(_) => "emulator_failed",
            CliError::BadInput { .. } => "invalid_input",
            CliError::Io { .. } => "io_error",
            CliError::Config(_) => "invalid_configuration",
            CliError::AuditBroken(_) => "audit_chain_broken",
        }
    }

    pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let action = action.into();
        move |source| CliError::Io { action, source }
    }
}

impl From<rusqlite::Error> for CliError {
    fn from(e: rusqlite::Error) -> Self {
        CliError::Store(e.into())
    }
}
