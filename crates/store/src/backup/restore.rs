//! Restoring the database of a data folder from a backup file.
//!
//! Guarantees:
//! - only a manager may restore (`Permission::RestoreBackup`);
//! - the backup is checked first (opens as SQLite, `quick_check` clean, a Stateline schema no
//!   newer than this build); a bad one is refused before anything is touched;
//! - a current database holding records not yet in Metrc (pending, sending, ambiguous, rejected,
//!   waiting for a key) is not replaced unless `confirm_unsent`; one that is open elsewhere is
//!   never replaced;
//! - the backup is copied (online-backup API) to a temporary file in the same folder, upgraded to
//!   this build's schema, given its `backup_restored` audit entry, fsynced, and only then renamed
//!   over the database in one atomic step; until that rename the current database is untouched,
//!   and a failure removes only the temporary file;
//! - the replaced database is kept aside as `stateline.sqlite.replaced-<UTC stamp>` (a hard link,
//!   or a copy where links are not possible) and is never deleted.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Serialize;

use super::{
    DATABASE_FILE, copy_database, fsync_dir, fsync_file, io, open_read_only, quick_check,
    remove_own, with_suffix,
};
use crate::people::audit::{AuditAction, AuditEvent};
use crate::people::users::{Actor, Permission};
use crate::{Database, OpenOptions, SCHEMA_VERSION, StoreError};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The database now in place.
    pub database: PathBuf,
    /// The backup it came from.
    pub from: PathBuf,
    /// Where the replaced database was kept, if there was one.
    pub replaced_kept_at: Option<PathBuf>,
    /// Records not yet in Metrc that the replaced database held (confirmed away).
    pub unsent_replaced: u64,
    /// The backup's schema version (before it was upgraded to this build's).
    pub backup_schema_version: i64,
}

const UNSENT: &str = "SELECT COALESCE(SUM(count), 0) FROM outbox_counts
    WHERE state IN ('pending', 'sending', 'ambiguous', 'rejected', 'waiting_for_key')";

/// Restores `backup` over the database in `data_dir` with the system clock; see the module doc.
pub fn restore(
    backup: &Path,
    data_dir: &Path,
    confirm_unsent: bool,
    by: &Actor,
) -> Result<Restored, StoreError> {
    restore_with(backup, data_dir, confirm_unsent, by, OpenOptions::default())
}

/// [`restore`] with explicit open options (clock, RNG seed) for the restored database.
pub fn restore_with(
    backup: &Path,
    data_dir: &Path,
    confirm_unsent: bool,
    by: &Actor,
    options: OpenOptions,
) -> Result<Restored, StoreError> {
    by.require(Permission::RestoreBackup)?;
    let source = open_backup(backup)?;
    let backup_schema_version = check_backup(&source, backup)?;
    let database = data_dir.join(DATABASE_FILE);
    let unsent_replaced = if database.exists() {
        quiesce_current(&database, confirm_unsent)?
    } else {
        0
    };
    let stamp = options.clock.now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let temp = data_dir.join(format!(".{DATABASE_FILE}.restore-{stamp}"));
    remove_own(&temp);
    let prepared = prepare(&source, &temp, backup, by, unsent_replaced, options);
    drop(source);
    if let Err(e) = prepared {
        remove_own(&temp);
        return Err(e);
    }
    let replaced_kept_at = if database.exists() {
        match keep_aside(&database, &stamp) {
            Ok(kept) => Some(kept),
            Err(e) => {
                remove_own(&temp);
                return Err(e);
            }
        }
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&temp, &database) {
        remove_own(&temp);
        return Err(io("put the restored database in place at", &database)(e));
    }
    fsync_dir(data_dir)?;
    tracing::warn!(
        from = %backup.display(),
        kept_at = ?replaced_kept_at,
        unsent_replaced,
        "database restored from a backup"
    );
    Ok(Restored {
        database,
        from: backup.to_owned(),
        replaced_kept_at,
        unsent_replaced,
        backup_schema_version,
    })
}

fn invalid(backup: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::BackupInvalid {
        path: backup.to_owned(),
        detail: detail.into(),
    }
}

fn open_backup(backup: &Path) -> Result<Connection, StoreError> {
    if !backup.is_file() {
        return Err(invalid(backup, "there is no such file"));
    }
    open_read_only(backup).map_err(|e| invalid(backup, format!("it does not open ({e})")))
}

/// Checks the backup; returns its schema version.
fn check_backup(source: &Connection, backup: &Path) -> Result<i64, StoreError> {
    let damaged =
        |e: rusqlite::Error| invalid(backup, format!("it is damaged or not a database ({e})"));
    if let Some(detail) = quick_check(source).map_err(damaged)? {
        return Err(invalid(backup, format!("it is damaged ({detail})")));
    }
    let version: i64 = source
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(damaged)?;
    if version > SCHEMA_VERSION {
        return Err(invalid(
            backup,
            format!(
                "it was made by a newer Stateline (schema {version}, this app knows {SCHEMA_VERSION}); update the app first"
            ),
        ));
    }
    let tables: i64 = source
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'
             AND name IN ('settings', 'licences', 'outbox', 'outbox_counts')",
            [],
            |r| r.get(0),
        )
        .map_err(damaged)?;
    if version < 1 || tables != 4 {
        return Err(invalid(backup, "it is not a Stateline database"));
    }
    Ok(version)
}

/// Counts the current database's unsent records (refusing without confirmation), checkpoints
/// it, and makes sure nothing else has it open.
fn quiesce_current(database: &Path, confirm_unsent: bool) -> Result<u64, StoreError> {
    let in_use = || StoreError::DatabaseInUse {
        path: database.to_owned(),
    };
    let conn = Connection::open(database)?;
    conn.busy_timeout(std::time::Duration::from_millis(500))?;
    let unsent: i64 = match conn.query_row(UNSENT, [], |r| r.get(0)) {
        Ok(n) => n,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            return Err(in_use());
        }
        // A database without an outbox (damaged, or never set up) cannot say what it holds:
        // it counts as holding unsent records.
        Err(_) => 1,
    };
    let unsent = unsent.max(0) as u64;
    if unsent > 0 && !confirm_unsent {
        return Err(StoreError::UnsentRecords { count: unsent });
    }
    let busy: i64 = match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)) {
        Ok(busy) => busy,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            1
        }
        // A damaged file may not checkpoint; what matters is that nobody else has it open.
        Err(_) => 0,
    };
    conn.close().map_err(|(_, e)| e)?;
    // Closing the last connection removes `-wal` and `-shm`: if either is left, another
    // connection (this process or another) still has the database open.
    let left = |suffix| std::fs::metadata(with_suffix(database, suffix)).is_ok();
    if busy != 0 || left("-wal") || left("-shm") {
        return Err(in_use());
    }
    Ok(unsent)
}

/// Copies the backup to `temp`, upgrades it, writes the audit entry, and flushes it to disk.
fn prepare(
    source: &Connection,
    temp: &Path,
    backup: &Path,
    by: &Actor,
    unsent_replaced: u64,
    options: OpenOptions,
) -> Result<(), StoreError> {
    copy_database(source, temp)?;
    let restored = Database::open_with(temp, options)?;
    let name = backup
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    restored.append_audit(AuditEvent::by(
        by.name(),
        AuditAction::BackupRestored,
        name,
        format!(
            "restored from {}; the replaced database held {unsent_replaced} records not yet in Metrc",
            backup.display()
        ),
    ))?;
    drop(restored);
    if std::fs::metadata(with_suffix(temp, "-wal")).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::Internal(
            "the restored database was not fully written back from its WAL".into(),
        ));
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(temp, suffix));
    }
    fsync_file(temp)
}

/// Keeps the current database under a new name without moving it (a hard link; a copy where
/// the file system has no links). Returns the kept path.
fn keep_aside(database: &Path, stamp: &str) -> Result<PathBuf, StoreError> {
    let mut kept = with_suffix(database, &format!(".replaced-{stamp}"));
    let mut n = 1;
    while kept.exists() {
        n += 1;
        kept = with_suffix(database, &format!(".replaced-{stamp}-{n}"));
    }
    if std::fs::hard_link(database, &kept).is_err() {
        std::fs::copy(database, &kept).map_err(io("keep the replaced database at", &kept))?;
        fsync_file(&kept)?;
    }
    Ok(kept)
}
