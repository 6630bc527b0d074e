//! The database handle: opening, connection settings, damage detection, migrations.
//!
//! Guarantees:
//! - a [`Database`] only exists if `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON` and the
//!   busy timeout were applied and read back as such; otherwise opening fails with
//!   `pragma_mismatch`;
//! - a file failing `PRAGMA quick_check` (or not being a database at all) is moved aside with its
//!   `-wal`/`-shm` to `<name>.damaged-<UTC time>` and reported as `database_damaged`; it is never
//!   silently recreated;
//! - migrations are embedded, append-only, each applied in one transaction and tracked with
//!   `PRAGMA user_version`; a database newer than this build is refused (`database_too_new`);
//! - there is exactly one writer connection, behind a `std::sync::Mutex` that is never held across an
//!   `.await` (the API is synchronous; async callers use `stateline_tasks::StoreCall`), plus one read-only
//!   connection; every write runs in one `BEGIN IMMEDIATE` transaction that commits or rolls back
//!   as a whole;
//! - a write (or an open) that fails because the disk is full or the data folder cannot be written
//!   is reported as `disk_full` or `data_folder_read_only`, naming the folder; the transaction was
//!   rolled back whole, so nothing of it is in the file, and the same handle writes again once
//!   space is freed or the folder is writable.

mod migrations;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::clock::{Clock, SystemClock};
use crate::{StoreError, settings};

pub use migrations::SCHEMA_VERSION;

/// How to open a [`Database`].
#[derive(Clone)]
pub struct OpenOptions {
    /// The clock used for `created_at`, `state_changed_at` and similar bookkeeping.
    pub clock: Arc<dyn Clock>,
    /// Seed for client-identifier randomness (tests); `None` seeds from the OS.
    pub rng_seed: Option<u64>,
    /// How long a statement waits for a lock before failing.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            rng_seed: None,
            busy_timeout: Duration::from_millis(5000),
        }
    }
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("rng_seed", &self.rng_seed)
            .field("busy_timeout", &self.busy_timeout)
            .finish_non_exhaustive()
    }
}

/// A cheap, cloneable handle to the local store.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

// Fields drop in order: the reader closes first, so the writer is the last connection and
// checkpoints the WAL on close.
struct Inner {
    path: PathBuf,
    read: Mutex<Connection>,
    write: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    rng: Mutex<StdRng>,
    install_id: String,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.inner.path)
            .field("install_id", &self.inner.install_id)
            .finish_non_exhaustive()
    }
}

fn is_damage(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// A disk-full or read-only error naming the data folder of the database at `path`.
fn located(error: StoreError, path: &Path) -> StoreError {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => error.in_data_folder(folder),
        _ => error.in_data_folder(Path::new(".")),
    }
}

/// SQLite says only "unable to open database file" when the data folder cannot be written (a
/// read-only disk: no `-wal`/`-shm` can be made) or is full; a write check in the folder tells
/// which, so those get their own codes. Anything else stays as it was.
fn explain_open_failure(error: StoreError, path: &Path) -> StoreError {
    let StoreError::Storage(sqlite) = &error else {
        return error;
    };
    if !matches!(
        sqlite.sqlite_error_code(),
        Some(ErrorCode::CannotOpen | ErrorCode::SystemIoFailure)
    ) {
        return error;
    }
    let probe = with_suffix(path, &format!(".write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            error
        }
        Err(io) => match StoreError::io("check the data folder with", &probe, io) {
            found @ (StoreError::DiskFull { .. } | StoreError::DataFolderReadOnly { .. }) => found,
            _ => error,
        },
    }
}

/// Reads a pragma back and refuses to continue if it is not what we need.
fn expect_pragma(
    conn: &Connection,
    path: &Path,
    pragma: &'static str,
    expected: &str,
) -> Result<(), StoreError> {
    let found: String = conn.pragma_query_value(None, pragma, |r| {
        let v: rusqlite::types::Value = r.get(0)?;
        Ok(match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t.to_lowercase(),
            other => format!("{other:?}"),
        })
    })?;
    if found == expected {
        Ok(())
    } else {
        Err(StoreError::PragmaMismatch {
            path: path.to_owned(),
            pragma,
            expected: expected.to_owned(),
            found,
        })
    }
}

/// Prepared statements kept per connection. rusqlite keeps 16 by default; one sale under a
/// state's purchase limits runs more distinct statements than that (checks, rules, evidence,
/// outbox, causal rows, effects, audit chain, the triggers' programs), so with 16 each commit
/// re-parsed and re-planned most of them (about a sixth of its on-CPU time, measured with perf).
const STATEMENT_CACHE: usize = 256;

/// Applies and verifies the writer's settings.
pub(crate) fn configure_writer(
    conn: &Connection,
    path: &Path,
    busy: Duration,
) -> Result<(), StoreError> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoints (the POS API's group commit) keep their sub-journal in memory, not a temp file.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    expect_pragma(conn, path, "busy_timeout", &busy.as_millis().to_string())?;
    expect_pragma(conn, path, "journal_mode", "wal")?;
    expect_pragma(conn, path, "synchronous", "2")?;
    expect_pragma(conn, path, "foreign_keys", "1")?;
    expect_pragma(conn, path, "temp_store", "2")?;
    Ok(())
}

fn configure_reader(conn: &Connection, path: &Path, busy: Duration) -> Result<(), StoreError> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    expect_pragma(conn, path, "busy_timeout", &busy.as_millis().to_string())?;
    expect_pragma(conn, path, "journal_mode", "wal")?;
    expect_pragma(conn, path, "foreign_keys", "1")?;
    Ok(())
}

/// Runs `PRAGMA quick_check` (or `integrity_check`); `Ok(None)` when the file is sound.
fn check(conn: &Connection, pragma: &str) -> Result<Option<String>, rusqlite::Error> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}"))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(None)
    } else {
        Ok(Some(
            rows.into_iter().take(5).collect::<Vec<_>>().join("; "),
        ))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Moves a damaged database and its `-wal`/`-shm` aside (never over an earlier kept copy);
/// returns where the main file went.
fn move_aside(path: &Path, now: Timestamp) -> Result<PathBuf, StoreError> {
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut kept = with_suffix(path, &format!(".damaged-{stamp}"));
    let mut n = 1;
    while kept.exists() {
        n += 1;
        kept = with_suffix(path, &format!(".damaged-{stamp}-{n}"));
    }
    for suffix in ["", "-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        if from.exists() {
            let to = with_suffix(&kept, suffix);
            std::fs::rename(&from, &to).map_err(|source| StoreError::Io {
                action: "move the damaged database aside to",
                path: to,
                source,
            })?;
        }
    }
    Ok(kept)
}

/// Opens, configures, checks and migrates the writer. `Err(Ok(detail))` means "damaged".
fn open_writer(path: &Path, busy: Duration) -> Result<Result<Connection, String>, StoreError> {
    let conn = match Connection::open(path) {
        Ok(c) => c,
        Err(e) if is_damage(&e) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    match configure_writer(&conn, path, busy) {
        Ok(()) => {}
        Err(StoreError::Storage(e)) if is_damage(&e) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e),
    }
    match check(&conn, "quick_check") {
        Ok(None) => Ok(Ok(conn)),
        Ok(Some(detail)) => Ok(Err(detail)),
        Err(e) if is_damage(&e) => Ok(Err(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

impl Database {
    /// Opens (creating if needed) the store at `path` with the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Database, StoreError> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens the store with explicit options (clock, RNG seed, busy timeout).
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Database, StoreError> {
        let path = path.as_ref().to_owned();
        Self::open_inner(&path, options).map_err(|e| located(explain_open_failure(e, &path), &path))
    }

    fn open_inner(path: &Path, options: OpenOptions) -> Result<Database, StoreError> {
        let path = path.to_owned();
        let mut write = match open_writer(&path, options.busy_timeout)? {
            Ok(conn) => conn,
            Err(detail) => {
                let kept_at = move_aside(&path, options.clock.now())?;
                tracing::error!(kept_at = %kept_at.display(), %detail, "damaged database moved aside");
                return Err(StoreError::DatabaseDamaged { kept_at, detail });
            }
        };
        migrations::migrate(&mut write)?;
        let read = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure_reader(&read, &path, options.busy_timeout)?;
        let mut rng = match options.rng_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let install_id = {
            let tx = write.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = match settings::get(&tx, settings::INSTALL_ID)? {
                Some(id) => id,
                None => {
                    let id = base32(&mut rng, 8);
                    settings::set(&tx, settings::INSTALL_ID, &id)?;
                    id
                }
            };
            tx.commit()?;
            id
        };
        Ok(Database {
            inner: Arc::new(Inner {
                path,
                read: Mutex::new(read),
                write: Mutex::new(write),
                clock: options.clock,
                rng: Mutex::new(rng),
                install_id,
            }),
        })
    }

    /// The database file path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The random identifier of this installation (stored once, in `settings`).
    pub fn install_id(&self) -> &str {
        &self.inner.install_id
    }

    /// The injected clock's current time.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }

    /// Runs a full `PRAGMA integrity_check`; `integrity_check_failed` if anything is wrong.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        self.read(|c| match check(c, "integrity_check")? {
            None => Ok(()),
            Some(detail) => Err(StoreError::IntegrityCheckFailed { detail }),
        })
    }

    /// A new client identifier: `SL-<install id>-<12 random base32 chars>` (24 characters).
    pub fn new_client_id(&self) -> String {
        let mut rng = self
            .inner
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        format!("SL-{}-{}", self.inner.install_id, base32(&mut rng, 12))
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the single writer; commits only if `f`
    /// succeeds.
    ///
    /// Public so the crates above the store that own tables (compliance's reconciliation, the
    /// api's app tables) keep their SQL beside their logic — still through this one writer. The
    /// error type is the caller's, as long as a store error converts into it.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self
            .inner
            .write
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let located = |e: rusqlite::Error| located(e.into(), &self.inner.path);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(located)?;
        let out = f(&tx)?;
        tx.commit().map_err(located)?;
        Ok(out)
    }

    /// Runs `f` on the read-only connection inside one read transaction (a consistent snapshot).
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self
            .inner
            .read
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction().map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.finish().map_err(StoreError::from)?;
        Ok(out)
    }
}

const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn base32(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| BASE32[rng.random_range(0..32usize)] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_pragma_is_reported_with_both_values() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        let err = expect_pragma(&conn, Path::new(":memory:"), "journal_mode", "wal").unwrap_err();
        assert_eq!(err.code(), "pragma_mismatch");
        assert!(err.to_string().contains("\"memory\""), "{err}");
    }
}
