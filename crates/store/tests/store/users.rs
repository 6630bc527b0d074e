//! App users on real database files: first run, PIN rules, lockout, manager resets, roles, and
//! that no PIN is ever written to the database files.

use common::*;
use stateline_store::people::users::{MAX_FAILED_ATTEMPTS, require};
use stateline_store::{Database, ManualClock, Permission, Pin, Role, Session, StoreError};
use stateline_testkit::store as common;

// PINs of 6 to 8 digits, so a byte scan of the files cannot match them by chance.
const MANAGER_PIN: &str = "73195284";
const BUDTENDER_PIN: &str = "640258";
const NEW_PIN: &str = "91827364";

fn pin(text: &str) -> Pin {
    Pin::new(text)
}

/// A fresh store (real file) with manager "Morgan" and budtender "Bea".
fn staffed() -> (Store, Session, Session) {
    let s = store();
    let manager =
        s.db.create_first_manager("Morgan", &pin(MANAGER_PIN))
            .unwrap();
    s.db.add_user(&manager.actor, "Bea", Role::Budtender, &pin(BUDTENDER_PIN))
        .unwrap();
    let budtender = s.db.verify_pin("Bea", &pin(BUDTENDER_PIN)).unwrap();
    (s, manager, budtender)
}

fn code<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (&'static str, String) {
    let err = result.unwrap_err();
    (err.code(), err.to_string())
}

#[test]
fn the_first_manager_is_created_once_on_first_run() {
    let s = store();
    assert!(s.db.needs_first_manager().unwrap());
    let session =
        s.db.create_first_manager("  Morgan ", &pin(MANAGER_PIN))
            .unwrap();
    assert_eq!(session.actor.name(), "Morgan");
    assert_eq!(session.actor.role(), Role::Manager);
    assert_eq!(session.started_at, t0());
    assert!(!s.db.needs_first_manager().unwrap());

    let (c, msg) = code(s.db.create_first_manager("Mallory", &pin("55556666")));
    assert_eq!(c, "already_set_up");
    assert!(msg.contains("a manager adds"), "{msg}");
    let names: Vec<String> =
        s.db.list_users()
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
    assert_eq!(names, ["Morgan"]);
}

#[test]
fn pins_must_be_4_to_8_digits_and_errors_never_repeat_them() {
    let s = store();
    for (bad, why) in [
        ("123", "too short"),
        ("123456789", "too long"),
        ("12ab", "only digits"),
        ("", "too short"),
    ] {
        let (c, msg) = code(s.db.create_first_manager("Morgan", &pin(bad)));
        assert_eq!(c, "invalid_pin", "{bad:?}");
        assert!(msg.contains(why) && msg.contains("4 to 8 digits"), "{msg}");
        assert!(bad.is_empty() || !msg.contains(bad), "{msg}");
    }
    assert!(s.db.needs_first_manager().unwrap(), "nothing was created");

    let manager = s.db.create_first_manager("Morgan", &pin("0000")).unwrap();
    let (c, _) = code(s.db.add_user(&manager.actor, "Bea", Role::Budtender, &pin("98765432x")));
    assert_eq!(c, "invalid_pin");
    let (c, _) = code(s.db.reset_pin(&manager.actor, "Morgan", &pin("12")));
    assert_eq!(c, "invalid_pin");
    // A malformed PIN at login is refused without counting as a wrong PIN.
    let (c, _) = code(s.db.verify_pin("Morgan", &pin("00")));
    assert_eq!(c, "invalid_pin");
    assert_eq!(s.db.user("Morgan").unwrap().unwrap().failed_attempts, 0);
}

#[test]
fn the_right_pin_logs_in_with_the_stored_role_and_any_name_case() {
    let (s, _, budtender) = staffed();
    assert_eq!(budtender.actor.name(), "Bea");
    assert_eq!(budtender.actor.role(), Role::Budtender);
    let again = s.db.verify_pin(" bea ", &pin(BUDTENDER_PIN)).unwrap();
    assert_eq!(again.actor, budtender.actor);

    let (c, msg) = code(s.db.verify_pin("Nobody", &pin(BUDTENDER_PIN)));
    assert_eq!(c, "unknown_user");
    assert!(msg.contains("Nobody"), "{msg}");
}

#[test]
fn names_are_unique_ignoring_case() {
    let (s, manager, _) = staffed();
    let (c, msg) = code(s.db.add_user(&manager.actor, "BEA", Role::Manager, &pin("1111")));
    assert_eq!(c, "user_exists");
    assert!(msg.contains("ignore case"), "{msg}");
    let (c, _) = code(s.db.add_user(&manager.actor, " ", Role::Budtender, &pin("1111")));
    assert_eq!(c, "invalid_input");
}

#[test]
fn five_wrong_pins_lock_the_user_until_a_manager_resets_it() {
    let (s, manager, _) = staffed();
    // A correct PIN resets the count.
    for _ in 0..3 {
        s.db.verify_pin("Bea", &pin("000000")).unwrap_err();
    }
    s.db.verify_pin("Bea", &pin(BUDTENDER_PIN)).unwrap();
    assert_eq!(s.db.user("Bea").unwrap().unwrap().failed_attempts, 0);

    for left in (1..MAX_FAILED_ATTEMPTS).rev() {
        match s.db.verify_pin("Bea", &pin("000000")) {
            Err(StoreError::WrongPin { attempts_left }) => assert_eq!(attempts_left, left),
            other => panic!("expected wrong_pin, got {other:?}"),
        }
    }
    let (c, msg) = code(s.db.verify_pin("Bea", &pin("000000")));
    assert_eq!(c, "user_locked", "the 5th wrong PIN locks");
    assert!(msg.contains("ask a manager to reset it"), "{msg}");
    let bea = s.db.user("Bea").unwrap().unwrap();
    assert!(bea.locked);
    assert_eq!(bea.failed_attempts, MAX_FAILED_ATTEMPTS);

    // The 6th try, with the right PIN, is still refused, and survives a restart.
    let (c, _) = code(s.db.verify_pin("Bea", &pin(BUDTENDER_PIN)));
    assert_eq!(c, "user_locked");
    let path = s.db.path().to_owned();
    drop(s.db);
    let db = open_at(&path, &s.clock).unwrap();
    let (c, _) = code(db.verify_pin("Bea", &pin(BUDTENDER_PIN)));
    assert_eq!(c, "user_locked");

    // A manager's reset unlocks; the old PIN no longer works, the new one does.
    db.reset_pin(&manager.actor, "bea", &pin(NEW_PIN)).unwrap();
    let bea = db.user("Bea").unwrap().unwrap();
    assert!(!bea.locked);
    assert_eq!(bea.failed_attempts, 0);
    let (c, _) = code(db.verify_pin("Bea", &pin(BUDTENDER_PIN)));
    assert_eq!(c, "wrong_pin");
    db.verify_pin("Bea", &pin(NEW_PIN)).unwrap();
}

#[test]
fn a_budtender_cannot_manage_users_or_change_settings() {
    let (s, manager, budtender) = staffed();
    let bea = &budtender.actor;

    let (c, msg) = code(s.db.reset_pin(bea, "Morgan", &pin("1234")));
    assert_eq!(c, "not_allowed");
    assert!(msg.contains("only a manager may"), "{msg}");
    let (c, _) = code(s.db.reset_pin(bea, "Bea", &pin("1234")));
    assert_eq!(c, "not_allowed", "not even their own PIN");
    let (c, _) = code(s.db.add_user(bea, "Cy", Role::Budtender, &pin("1234")));
    assert_eq!(c, "not_allowed");
    assert_eq!(s.db.list_users().unwrap().len(), 2);

    let (c, msg) = code(require(bea, Permission::ChangeSettings));
    assert_eq!(c, "not_allowed");
    assert_eq!(msg, "only a manager may change settings; ask a manager");
    for p in [
        Permission::Adjust,
        Permission::MergeOrSplit,
        Permission::VoidOrCorrectSale,
        Permission::SetOtherKeys,
        Permission::ManageUsers,
    ] {
        assert_eq!(require(bea, p).unwrap_err().code(), "not_allowed", "{p:?}");
    }
    require(bea, Permission::Sell).unwrap();
    require(bea, Permission::SetOwnKey).unwrap();
    for p in Permission::ALL {
        require(&manager.actor, p).unwrap();
    }

    // The manager can, and the new user is a budtender with no hash in what is listed.
    let cy =
        s.db.add_user(&manager.actor, "Cy", Role::Budtender, &pin("4455"))
            .unwrap();
    assert_eq!(cy.role, Role::Budtender);
    assert_eq!(cy.created_at, t0());
    assert!(!format!("{:?}", s.db.list_users().unwrap()).contains("argon2"));
}

#[test]
fn pin_hash_is_an_argon2id_string_and_never_the_pin() {
    let (s, _, _) = staffed();
    let conn = rusqlite::Connection::open(s.db.path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, pin_hash FROM users ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    for ((name, hash), clear) in rows.iter().zip([MANAGER_PIN, BUDTENDER_PIN]) {
        assert!(hash.starts_with("$argon2id$v=19$"), "{name}: {hash}");
        assert!(!hash.contains(clear), "{name}");
    }
    assert_ne!(rows[0].1, rows[1].1);
    // The table refuses anything that is not an Argon2id string.
    let err = conn
        .execute("UPDATE users SET pin_hash = '1234' WHERE id = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("CHECK"), "{err}");
}

#[test]
fn pins_never_reach_errors_or_debug_output() {
    let (s, manager, budtender) = staffed();
    let secret = pin(NEW_PIN);
    assert!(!format!("{secret:?}").contains(NEW_PIN));
    assert!(!format!("{manager:?}{budtender:?}").contains(MANAGER_PIN));
    for result in [
        s.db.verify_pin("Bea", &secret).map(|_| ()),
        s.db.verify_pin("Nobody", &secret).map(|_| ()),
        s.db.reset_pin(&budtender.actor, "Bea", &secret),
        s.db.add_user(&manager.actor, "bea", Role::Budtender, &secret)
            .map(|_| ()),
        s.db.add_user(&manager.actor, "Dee", Role::Budtender, &pin("1234567890"))
            .map(|_| ()),
    ] {
        let err = result.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(NEW_PIN) && !shown.contains("1234567890"),
            "{shown}"
        );
    }
}

/// Runs every operation that takes a PIN on one file, then scans the main file and its `-wal`
/// (while open, and after close) for the PIN digits.
#[test]
fn the_database_files_hold_no_pin_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let clock = ManualClock::new(t0());
    let db = open_at(&path, &clock).unwrap();
    let manager = db
        .create_first_manager("Morgan", &pin(MANAGER_PIN))
        .unwrap();
    db.add_user(&manager.actor, "Bea", Role::Budtender, &pin(BUDTENDER_PIN))
        .unwrap();
    db.verify_pin("Bea", &pin(BUDTENDER_PIN)).unwrap();
    for _ in 0..MAX_FAILED_ATTEMPTS {
        db.verify_pin("Bea", &pin("55443322")).unwrap_err();
    }
    db.reset_pin(&manager.actor, "Bea", &pin(NEW_PIN)).unwrap();
    db.verify_pin("Bea", &pin(NEW_PIN)).unwrap();

    let pins = [MANAGER_PIN, BUDTENDER_PIN, NEW_PIN, "55443322"];
    let wal = dir.path().join("stateline.db-wal");
    assert!(
        wal.exists(),
        "the -wal file is scanned while the store is open"
    );
    scan(&dir, &pins);
    drop(db);
    scan(&dir, &pins);
    // The data is really there: the scan looked at the right files.
    let db = open_at(&path, &clock).unwrap();
    assert_eq!(db.list_users().unwrap().len(), 2);
}

fn contains(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// Fails if any file in `dir` holds one of `pins`; a user name must be found, proving the scan
/// sees stored text.
fn scan(dir: &tempfile::TempDir, pins: &[&str]) {
    let mut scanned = 0;
    let mut name_seen = false;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        name_seen |= contains(&bytes, "Morgan");
        for p in pins {
            assert!(!contains(&bytes, p), "{} contains a PIN", path.display());
        }
    }
    assert!(
        scanned > 4096 && name_seen,
        "the scan did not see the stored data"
    );
}

/// A version-1 database with data (no users table) upgrades to the current version: its data
/// stays, the first manager can then be created and logs in.
#[test]
fn a_version_1_database_with_data_migrates_to_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("fixtures/schema_v1.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let db: Database = open_at(&path, &ManualClock::new(t0())).unwrap();
    assert_eq!(
        db.schema_version().unwrap(),
        stateline_store::SCHEMA_VERSION
    );
    assert_eq!(db.install_id(), "FIXTURE1");
    assert_eq!(db.licence(LIC).unwrap().name, "Green Door");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let sales: i64 = conn
        .query_row("SELECT count(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sales, 1);
    assert!(db.needs_first_manager().unwrap());
    db.create_first_manager("Morgan", &pin(MANAGER_PIN))
        .unwrap();
    let session = db.verify_pin("MORGAN", &pin(MANAGER_PIN)).unwrap();
    assert_eq!(session.actor.role(), Role::Manager);
    db.integrity_check().unwrap();
}

/// Wrong PINs typed at the same moment on several threads are each counted: exactly five are
/// `wrong_pin`/the locking one, the rest find the user locked.
#[test]
fn concurrent_wrong_pins_are_all_counted() {
    let (s, _, _) = staffed();
    let results: Vec<&'static str> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| s.db.verify_pin("Bea", &pin("000000")).unwrap_err().code()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wrong = results.iter().filter(|c| **c == "wrong_pin").count();
    let locked = results.iter().filter(|c| **c == "user_locked").count();
    assert_eq!(wrong, MAX_FAILED_ATTEMPTS as usize - 1, "{results:?}");
    assert_eq!(locked, 8 - wrong, "{results:?}");
    let bea = s.db.user("Bea").unwrap().unwrap();
    assert!(bea.locked);
    assert_eq!(bea.failed_attempts, MAX_FAILED_ATTEMPTS);
}
