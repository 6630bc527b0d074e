//! One process per data folder: the same exclusive lock the desktop app takes
//! (`<data dir>/stateline.lock`), for the commands that run the register as the app does
//! (`stateline serve`).
//!
//! Guarantees: while the app or another `serve` holds the lock, acquiring it fails with a message
//! naming the folder, and nothing of the store is opened; the OS releases the lock when the
//! process ends, however it ends. The file holds the owner's process id, for people only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::CliError;

/// The held lock; dropping it releases the folder.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the lock of `data_dir` (created if missing).
pub fn acquire(data_dir: &Path) -> Result<InstanceLock, CliError> {
    std::fs::create_dir_all(data_dir).map_err(CliError::io(format!(
        "create the data folder {}",
        data_dir.display()
    )))?;
    let path = data_dir.join("stateline.lock");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(CliError::io(format!("open {}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(CliError::Config(format!(
                "Stateline is already running with the data folder {}; stop it (the app or \
                 another `stateline serve`), or pass another --data-dir",
                data_dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(CliError::Io {
                action: format!("lock {}", path.display()),
                source: e,
            });
        }
    }
    file.set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(CliError::io(format!("write {}", path.display())))?;
    Ok(InstanceLock { _file: file })
}
