//! Oracle of the `backup_restore` target: a damaged backup file restored over a data folder's
//! database (`stateline_store::backup::restore`, confirmed, by a manager).
//!
//! Input: a whole backup file when it starts with SQLite's header; otherwise a list of edits to a
//! real, sound backup (made once per thread), five bytes each — what (`0` flip bits, `1` set a
//! byte, `2` cut the file there), a 24-bit offset (modulo the file's length) and a byte. An empty
//! input is the sound backup itself, which must restore. Checks: nothing panics; a refusal is a
//! coded store error, never `internal`, and leaves the data folder exactly as it was — the same
//! files, the current database byte for byte (nothing half-written); an accepted backup is in
//! place whole (it opens, `quick_check` is clean) and the replaced database was kept aside byte
//! for byte.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use stateline_store::backup::{self, DATABASE_FILE};
use stateline_store::{Actor, Database, ManualClock, OpenOptions, Pin};

use crate::store::{store, t0};

/// SQLite's file header: an input starting with it is a whole backup file.
pub const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

struct Fixture {
    backup: Vec<u8>,
    current: Vec<u8>,
    manager: Actor,
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn fixture() -> Fixture {
    let source = store();
    let manager = source
        .db
        .create_first_manager("max", &Pin::new("24681357"))
        .expect("first manager")
        .actor;
    let taken = source.db.backup_now().expect("backup");
    let backup = std::fs::read(&taken.path).expect("backup read");
    // The current database: another register's, closed, one file.
    let current = store();
    let path = current.db.path().to_owned();
    drop(current.db);
    let current_bytes = std::fs::read(&path).expect("current database read");
    Fixture {
        backup,
        current: current_bytes,
        manager,
    }
}

/// The backup the input describes (see the module doc).
pub fn backup_bytes(sound: &[u8], data: &[u8]) -> Vec<u8> {
    if data.starts_with(SQLITE_HEADER) {
        return data.to_vec();
    }
    let mut out = sound.to_vec();
    for edit in data.chunks_exact(5) {
        if out.is_empty() {
            break;
        }
        let at = (usize::from(edit[1]) << 16 | usize::from(edit[2]) << 8 | usize::from(edit[3]))
            % out.len();
        match edit[0] % 3 {
            0 => out[at] ^= edit[4].max(1),
            1 => out[at] = edit[4],
            _ => out.truncate(at),
        }
    }
    out
}

/// Every file of a folder with its bytes.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("folder listed")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).expect("file read")
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let f = slot.get_or_insert_with(fixture);
        let bytes = backup_bytes(&f.backup, data);
        let sound = bytes == f.backup;
        let work = tempfile::tempdir().expect("temp dir");
        let data_dir = work.path().join("data");
        std::fs::create_dir(&data_dir).expect("data folder");
        std::fs::write(data_dir.join(DATABASE_FILE), &f.current).expect("current database");
        let file = work.path().join("backup.sqlite");
        std::fs::write(&file, &bytes).expect("backup written");
        let before = folder(&data_dir);
        let options = OpenOptions {
            clock: Arc::new(ManualClock::new(t0())),
            rng_seed: Some(3),
            ..OpenOptions::default()
        };
        match backup::restore_with(&file, &data_dir, true, &f.manager, options) {
            Err(e) => {
                assert!(!sound, "the sound backup was refused: {e:?}");
                assert!(
                    !e.code().is_empty() && e.code() != "internal",
                    "a restore refused without a proper code: {e:?}"
                );
                assert!(
                    folder(&data_dir) == before,
                    "a refused restore ({e}) changed the data folder"
                );
            }
            Ok(restored) => {
                let kept = restored
                    .replaced_kept_at
                    .as_ref()
                    .expect("the replaced database is kept");
                assert!(
                    std::fs::read(kept).expect("kept database read") == f.current,
                    "the kept database differs from the replaced one"
                );
                let db = Database::open(&restored.database).expect("the restored database opens");
                drop(db);
                let conn = rusqlite::Connection::open(&restored.database).expect("opens raw");
                let check: String = conn
                    .query_row("PRAGMA quick_check", [], |r| r.get(0))
                    .expect("quick_check runs");
                assert_eq!(check, "ok", "an accepted backup restored damaged");
            }
        }
    });
}
