//! Backups of the local store: a consistent online copy into `<data-dir>/backups/`, keeping the
//! last N; the daily schedule ("is a backup due?"); and a guarded restore.
//!
//! Guarantees: a backup is one SQLite online-backup step inside one read transaction of the
//! source, so it is a consistent snapshot even while the writer is busy (WAL lets it go on); it is
//! written under a temporary name, checked (`quick_check`), fsynced and only then renamed to
//! `stateline-<UTC stamp>.sqlite`, so a listed backup is always complete; pruning removes only
//! files of that exact name pattern, oldest first. See [`restore`] for its own guarantees.

mod create;
mod restore;
mod schedule;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

pub use create::{BackupFile, backups_dir, list_backups};
pub use restore::{Restored, restore, restore_with};
pub use schedule::{BackupSettings, backup_due};

/// The database file name inside a data folder.
pub const DATABASE_FILE: &str = "stateline.sqlite";

/// A file-system error of a backup step: a full disk and a read-only folder get their own codes
/// ([`StoreError::io`]), as when selling.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::io(action, &path, source)
}

/// Flushes a file's contents to disk.
fn fsync_file(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io("flush to disk", path))
}

/// Flushes a folder's entries (a rename or a new file) to disk. A no-op where folders cannot be
/// opened (Windows), where renames are durable once they return.
fn fsync_dir(path: &Path) -> Result<(), StoreError> {
    if cfg!(windows) {
        return Ok(());
    }
    fsync_file(path)
}

/// Opens a database file read-only for copying or checking.
fn open_read_only(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// `PRAGMA quick_check` → `None` when sound, else what it reported.
fn quick_check(conn: &Connection) -> Result<Option<String>, rusqlite::Error> {
    let rows: Vec<String> = conn
        .prepare("PRAGMA quick_check")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((rows != ["ok"]).then(|| rows.into_iter().take(5).collect::<Vec<_>>().join("; ")))
}

/// Copies `source` into `dest` (a new or empty file) in one online-backup step,
/// leaves it in rollback-journal mode (a single self-contained file), checks it and fsyncs it.
fn copy_database(source: &Connection, dest: &Path) -> Result<(), StoreError> {
    let mut out = Connection::open(dest)?;
    {
        let backup = rusqlite::backup::Backup::new(source, &mut out)?;
        let mut waited = Duration::ZERO;
        loop {
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                _ if waited >= Duration::from_secs(30) => {
                    return Err(StoreError::Internal(
                        "the backup could not get a consistent read of the database within 30 s"
                            .into(),
                    ));
                }
                _ => {
                    std::thread::sleep(Duration::from_millis(50));
                    waited += Duration::from_millis(50);
                }
            }
        }
    }
    out.pragma_update(None, "journal_mode", "DELETE")?;
    if let Some(detail) = quick_check(&out)? {
        return Err(StoreError::IntegrityCheckFailed { detail });
    }
    out.close().map_err(|(_, e)| e)?;
    fsync_file(dest)
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Removes a file we created (and its `-wal`/`-shm`), ignoring ones that do not exist.
fn remove_own(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}
