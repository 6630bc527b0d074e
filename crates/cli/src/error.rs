//! The one error type of the command line.
//!
//! Guarantees: every variant has a stable [`CliError::code`] (core errors keep the core's code);
//! messages say what to do next and never contain a key.

use stateline_core::CoreError;
use stateline_core::secrets::SecretStoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Secret(#[from] SecretStoreError),
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
}

impl CliError {
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.code(),
            CliError::Secret(e) => e.code(),
            CliError::Emulator(_) => "emulator_failed",
            CliError::BadInput { .. } => "invalid_input",
            CliError::Io { .. } => "io_error",
            CliError::Config(_) => "invalid_configuration",
        }
    }

    pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let action = action.into();
        move |source| CliError::Io { action, source }
    }
}

impl From<metrc::MetrcError> for CliError {
    fn from(e: metrc::MetrcError) -> Self {
        CliError::Core(CoreError::from(e))
    }
}
