//! One process per data folder for the commands that run the register as the app does
//! (`stateline serve`): the app's own lock ([`stateline_api::instance`]), its refusals as the
//! command line's errors.
//!
//! Guarantees: while the app or another `serve` holds the lock, acquiring it fails with a message
//! naming the folder, and nothing of the store is opened.

use std::path::Path;

use stateline_api::instance::InstanceLock;

use crate::error::CliError;

/// Takes the lock of `data_dir` (created if missing).
pub fn acquire(data_dir: &Path) -> Result<InstanceLock, CliError> {
    InstanceLock::acquire(data_dir)
        .map_err(|source| CliError::Io {
            action: format!("lock the data folder {}", data_dir.display()),
            source,
        })?
        .map_err(|already| CliError::Config(already.to_string()))
}
