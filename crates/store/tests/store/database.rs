//! Opening the store: pragmas, damage handling, migrations, version refusal.

use common::*;
use stateline_store::{Database, ManualClock, Pin, Quantity, Role, SCHEMA_VERSION};
use stateline_testkit::store as common;

#[test]
fn pragmas_are_applied_and_read_back() {
    let s = store();
    let conn = rusqlite::Connection::open(db_path(&s.dir)).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(s.db.schema_version().unwrap(), SCHEMA_VERSION);
    s.db.integrity_check().unwrap();
}

#[test]
fn a_database_that_cannot_use_wal_is_refused() {
    // An in-memory database reports journal_mode "memory": WAL cannot be set, so opening fails.
    let err = Database::open(":memory:").unwrap_err();
    assert_eq!(err.code(), "pragma_mismatch");
    assert!(err.to_string().contains("journal_mode"), "{err}");
}

#[test]
fn migrations_apply_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let db = open_at(&db_path(&dir), &clock).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    drop(db);
    // Reopening an up-to-date database changes nothing and keeps the install id.
    let first = open_at(&db_path(&dir), &clock).unwrap();
    let id = first.install_id().to_owned();
    drop(first);
    let again = open_at(&db_path(&dir), &clock).unwrap();
    assert_eq!(again.install_id(), id);
}

/// Fixtures: `tests/fixtures/schema_v<N>.sql` is a database as version N left it (with data).
/// Each must open and migrate to the current version with its data intact.
#[test]
fn migrations_apply_from_every_earlier_version() {
    let fixtures = [
        (1, include_str!("fixtures/schema_v1.sql")),
        (2, include_str!("fixtures/schema_v2.sql")),
        (3, include_str!("fixtures/schema_v3.sql")),
        (4, include_str!("fixtures/schema_v4.sql")),
        (5, include_str!("fixtures/schema_v5.sql")),
        (6, include_str!("fixtures/schema_v6.sql")),
        (7, include_str!("fixtures/schema_v7.sql")),
        (8, include_str!("fixtures/schema_v8.sql")),
        (9, include_str!("fixtures/schema_v9.sql")),
        (10, include_str!("fixtures/schema_v10.sql")),
        (11, include_str!("fixtures/schema_v11.sql")),
        (12, include_str!("fixtures/schema_v12.sql")),
        (13, include_str!("fixtures/schema_v13.sql")),
        (14, include_str!("fixtures/schema_v14.sql")),
        (15, include_str!("fixtures/schema_v15.sql")),
        (16, include_str!("fixtures/schema_v16.sql")),
        (17, include_str!("fixtures/schema_v17.sql")),
    ];
    assert_eq!(
        fixtures.len() as i64,
        SCHEMA_VERSION,
        "add a fixture for each version"
    );
    for (version, sql) in fixtures {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let db = open_at(&path, &ManualClock::new(t0())).unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(db.licence(LIC).unwrap().time_zone, "America/Denver");
        // Users arrived in version 2: before it there are none (first run), from it they are kept.
        assert_eq!(db.needs_first_manager().unwrap(), version < 2);
        if version >= 2 {
            let session = db.verify_pin("morgan", &Pin::new("73195284")).unwrap();
            assert_eq!(session.actor.role(), Role::Manager);
            // Each part of a user has the time it last changed from version 11 (earlier users
            // take theirs from when they were added and their PIN was set).
            let morgan = &db.shared_users().unwrap()[0];
            assert_eq!(morgan.role.changed_at, morgan.created_at);
            assert_eq!(morgan.locked.changed_at, morgan.pin_hash.changed_at);
            assert!(morgan.created_at > 0);
        }
        // The store link's copy arrived in version 9 and keeps what was pulled.
        let pulled: i64 = db.peer_counts().unwrap().iter().map(|c| c.records).sum();
        assert_eq!(pulled, i64::from(version >= 9));
        // What records take from stock is kept for the store from version 10: a register migrated
        // from 9 keeps its sale's effect (1 g of A), one at 10 also counts another register's.
        let expected = if version >= 10 { "8.5" } else { "9" };
        if version >= 9 {
            assert_eq!(db.on_hand(A).unwrap(), Quantity::parse(expected).unwrap());
            let recorded = db.recorded_deltas(&[1]).unwrap();
            assert_eq!(recorded[&1][A], -1000, "version {version}");
        }
        // Limit settings arrived in version 14 and survive version 15's rebuild of the mappings
        // (which keeps one for a licence not added here); removals are kept from version 15.
        if version >= 14 {
            let shared = db.shared_limit_settings().unwrap();
            let keys: Vec<(&str, bool)> =
                shared.iter().map(|s| (s.key.as_str(), s.removed)).collect();
            assert!(keys.contains(&(r#"["CO","adult-use-transaction"]"#, false)));
            assert!(keys.contains(&(r#"["402R-00001","House Tincture"]"#, false)));
            assert_eq!(db.item_maps(LIC).unwrap().len(), 1);
            let removals = keys.iter().filter(|(_, removed)| *removed).count();
            assert_eq!(removals, if version >= 15 { 2 } else { 0 });
            assert_eq!(shared.len(), if version >= 15 { 5 } else { 2 });
        }
        // POS tickets arrived in version 16: the fixture's ticket still names its sale.
        let ticket = db.ticket_entry("integration:1", "T-1001").unwrap();
        assert_eq!(ticket, (version >= 16).then_some(1));
        // Audit entries arrived in version 4; a migrated register's chain starts intact.
        assert!(db.verify_audit().unwrap().is_intact());
        db.integrity_check().unwrap();
    }
}

/// Before version 17 a licence's required numbers were asked of every sale; a licence that
/// required the patient's number is kept as one that sells only to patients and caregivers, and
/// the others keep selling to consumers.
#[test]
fn a_licence_that_required_patient_numbers_is_kept_medical_only_by_version_17() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("fixtures/schema_v16.sql"))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO licences VALUES ('402-MED', 'Medical', 'America/Denver', 24, NULL);
             INSERT INTO app_licence_rules VALUES ('402R-00001', 0, 1), ('402-MED', 1, 0);",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 16).unwrap();
    }
    let db = open_at(&path, &ManualClock::new(t0())).unwrap();
    let medical = db.licence_rules("402-MED").unwrap();
    assert!(medical.requires_patient_number && !medical.sells_to_consumers);
    assert!(!medical.requires_identification_method);
    let retail = db.licence_rules(LIC).unwrap();
    assert!(retail.requires_caregiver_number && retail.sells_to_consumers);
}

#[test]
fn a_newer_database_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
            .unwrap();
    }
    let err = open_at(&path, &ManualClock::new(t0())).unwrap_err();
    assert_eq!(err.code(), "database_too_new");
    let msg = err.to_string();
    assert!(msg.contains("newer Stateline"), "{msg}");
    assert!(
        msg.contains(&(SCHEMA_VERSION + 5).to_string())
            && msg.contains(&SCHEMA_VERSION.to_string())
    );
    // Nothing was changed.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 5);
}

fn corrupt(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 3 * page);
    for b in &mut bytes[page..3 * page] {
        *b = 0xA5;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_corrupted_file_is_kept_aside_and_reported() {
    let s = store();
    s.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    let path = db_path(&s.dir);
    let clock = s.clock.clone();
    drop(s.db);
    corrupt(&path);
    let err = open_at(&path, &clock).unwrap_err();
    assert_eq!(err.code(), "database_damaged");
    let kept = s.dir.path().join("stateline.db.damaged-20261122T210211Z");
    assert!(kept.exists(), "kept at {}", kept.display());
    assert!(
        err.to_string().contains(&kept.display().to_string()),
        "{err}"
    );
    assert!(!path.exists(), "the damaged file must not stay in place");
    assert!(!s.dir.path().join("stateline.db-wal").exists());
}

#[test]
fn a_file_that_is_not_a_database_is_kept_aside_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = open_at(&path, &ManualClock::new(t0())).unwrap_err();
    assert_eq!(err.code(), "database_damaged");
    assert!(
        dir.path()
            .join("stateline.db.damaged-20261122T210211Z")
            .exists()
    );
    // A second damaged file in the same second never overwrites the first kept copy.
    std::fs::write(&path, vec![0x43u8; 8192]).unwrap();
    let again = open_at(&path, &ManualClock::new(t0())).unwrap_err();
    assert_eq!(again.code(), "database_damaged");
    let second = dir.path().join("stateline.db.damaged-20261122T210211Z-2");
    assert_eq!(std::fs::read(second).unwrap()[0], 0x43);
}

#[test]
fn client_ids_are_short_unique_and_carry_the_install_id() {
    let s = store();
    let a = s.db.new_client_id();
    let b = s.db.new_client_id();
    assert_ne!(a, b);
    assert!(a.len() <= 40);
    assert!(a.starts_with(&format!("SL-{}-", s.db.install_id())));
}

#[test]
fn the_handle_is_a_cheap_clone_shared_across_threads() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send_sync_clone::<Database>();
    let s = store();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let db = s.db.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    db.record_sale(&sale(vec![line(C, "1")])).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.db.on_hand(C).unwrap(), q("0"));
    assert_eq!(count(&s, "outbox"), 20);
}
