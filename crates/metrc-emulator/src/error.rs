//! The crate's one error type.
//!
//! Guarantees: no variant carries a Metrc key; messages say what to do next.

use std::path::PathBuf;

/// Everything that can go wrong starting or configuring the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source} (pick another port, or 0 for a free one)")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A seed, options or faults file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A seed, options or faults file is not valid JSON of the expected shape.
    #[error("{path} is not a valid {what} file: {source}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// "seed", "options" or "faults".
        what: &'static str,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A seed is internally inconsistent (e.g. a package naming an unknown item).
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    /// Writing the listening line to stdout failed.
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
}
