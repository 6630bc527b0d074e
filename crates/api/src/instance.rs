//! One instance per data directory: an exclusive lock on `<data dir>/stateline.lock`, held for
//! the life of the process — by the desktop app and by `stateline serve` alike, which run the
//! same register.
//!
//! Guarantees: while one process holds the lock, another process opening the same data directory
//! gets [`AlreadyRunning`] and must not open the store; the OS releases the lock when the process
//! ends, however it ends (no stale lock after a crash). The file holds the owner's process id, for
//! people only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

/// Another Stateline already uses this data directory.
#[derive(Debug)]
pub struct AlreadyRunning {
    pub data_dir: PathBuf,
}

impl std::fmt::Display for AlreadyRunning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Stateline is already running with the data folder {} (the app, which may be in the \
             tray, or `stateline serve`); use or stop that one, or choose another data folder \
             (STATELINE_DATA_DIR, or --data-dir on the command line)",
            self.data_dir.display()
        )
    }
}

impl InstanceLock {
    /// Takes the lock of `data_dir` (created if missing).
    pub fn acquire(
        data_dir: &Path,
    ) -> Result<Result<InstanceLock, AlreadyRunning>, std::io::Error> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join("stateline.lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Ok(Err(AlreadyRunning {
                    data_dir: data_dir.to_owned(),
                }));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(Ok(InstanceLock { _file: file, path }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path())
            .unwrap()
            .expect("first lock");
        let second = InstanceLock::acquire(dir.path()).unwrap();
        let refused = second.expect_err("second lock refused");
        assert!(refused.to_string().contains("already running"), "{refused}");
        let other = tempfile::tempdir().unwrap();
        InstanceLock::acquire(other.path())
            .unwrap()
            .expect("another folder is free");
        drop(first);
        InstanceLock::acquire(dir.path())
            .unwrap()
            .expect("free again after the first ended");
    }
}
