//! Backups and restore on real SQLite files: a backup taken while the writer is busy is
//! consistent; only the newest N are kept; the daily schedule; a restore round-trip keeps the
//! queue deliverable against the emulator; a restore is refused over unsent records without
//! confirmation and keeps the replaced database; a damaged or newer backup changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp};
use metrc_emulator::DEMO_LICENSE;
use rusqlite::{Connection, OpenFlags};
use stateline_delivery::DeliveryEngine;
use stateline_store::backup::{BackupSettings, backup_due, list_backups};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{
    Actor, Database, EntryState, Licence, ManualClock, MetrcPackage, Money, NewSale, NewSaleLine,
    OpenOptions, Pin, Quantity, Role, SCHEMA_VERSION, backup,
};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, NowTs, test_config};

const LICENCE: &str = "403R-00001";

fn open(dir: &Path, clock: &ManualClock) -> Database {
    Database::open_with(
        dir.join(backup::DATABASE_FILE),
        OpenOptions {
            clock: Arc::new(clock.clone()),
            rng_seed: Some(5),
            ..OpenOptions::default()
        },
    )
    .expect("database opens")
}

fn manager(db: &Database) -> Actor {
    db.create_first_manager("max", &Pin::new("24681357"))
        .expect("first manager")
        .actor
}

/// A store with one licence and one big package.
fn store(dir: &Path, clock: &ManualClock) -> Database {
    let db = open(dir, clock);
    db.upsert_licence(&Licence {
        number: LICENCE.into(),
        name: "Test".into(),
        time_zone: "America/Denver".into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .unwrap();
    db.upsert_packages_from_metrc(
        LICENCE,
        &[MetrcPackage {
            label: "1A4FF0100000022000000001".into(),
            item_name: "Pre-roll".into(),
            unit_of_measure: "Each".into(),
            quantity: Quantity::from_milli(1_000_000_000),
            last_modified: None,
        }],
    )
    .unwrap();
    db
}

fn sell(db: &Database, at: Timestamp) {
    db.record_sale(&NewSale {
        licence: LICENCE.into(),
        acting_user: "bea".into(),
        occurred_at: at,
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        lines: vec![NewSaleLine {
            label: "1A4FF0100000022000000001".into(),
            quantity: Quantity::from_milli(1000),
            unit_of_measure: "Each".into(),
            total_amount: Money::parse("5.00").unwrap(),
        }],
    })
    .expect("sale recorded");
}

fn read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Every file in a folder (recursively) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn a_backup_taken_while_the_writer_is_busy_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop, clock) = (db.clone(), stop.clone(), clock.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                sell(&db, clock.now_ts());
                n += 1;
            }
            n
        })
    };
    let mut taken = Vec::new();
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(40));
        clock.advance(SignedDuration::from_secs(1));
        taken.push(db.backup_now().expect("backup while selling"));
    }
    stop.store(true, Ordering::Relaxed);
    let sold = writer.join().unwrap();
    assert!(sold > 0);
    let mut sizes = Vec::new();
    for b in &taken {
        assert!(!Path::new(&format!("{}-wal", b.path.display())).exists());
        let conn = read_only(&b.path);
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let sales = count(&conn, "SELECT count(*) FROM sales");
        assert_eq!(
            sales,
            count(&conn, "SELECT count(*) FROM outbox WHERE kind = 'sale'")
        );
        assert_eq!(
            sales,
            count(&conn, "SELECT COALESCE(SUM(count), 0) FROM outbox_counts")
        );
        assert_eq!(sales, count(&conn, "SELECT count(*) FROM package_effects"));
        assert_eq!(
            -1000 * sales,
            count(&conn, "SELECT pending_delta FROM packages"),
            "on-hand bookkeeping matches the records"
        );
        sizes.push(sales);
    }
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert!(
        *sizes.last().unwrap() > 0,
        "the backups ran while sales were being recorded"
    );
}

#[test]
fn only_the_newest_backups_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let max = manager(&db);
    db.set_backup_settings(
        &max,
        &BackupSettings {
            keep: 3,
            ..BackupSettings::default()
        },
    )
    .unwrap();
    let foreign = backup::backups_dir(dir.path()).join("notes.txt");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::write(&foreign, "keep me").unwrap();
    let mut taken = Vec::new();
    for _ in 0..5 {
        taken.push(db.backup_now().unwrap().path);
        clock.advance(SignedDuration::from_hours(1));
    }
    clock.advance(SignedDuration::from_hours(-1));
    let second_in_same_second = db.backup_now().unwrap();
    assert_eq!(second_in_same_second.sequence, 2);
    taken.push(second_in_same_second.path);
    let left: Vec<PathBuf> = list_backups(dir.path())
        .unwrap()
        .into_iter()
        .map(|b| b.path)
        .collect();
    assert_eq!(
        left,
        vec![taken[5].clone(), taken[4].clone(), taken[3].clone()]
    );
    assert!(!taken[0].exists() && !taken[2].exists());
    assert!(
        foreign.exists(),
        "files that are not backups are never pruned"
    );
    let zero = BackupSettings {
        keep: 0,
        ..BackupSettings::default()
    };
    assert_eq!(
        db.set_backup_settings(&max, &zero).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn a_backup_is_due_once_a_day_after_the_set_local_time() {
    let dir = tempfile::tempdir().unwrap();
    // 02:59 in Denver (UTC-7 in November).
    let clock = ManualClock::new("2026-11-23T09:59:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let max = manager(&db);
    db.set_backup_settings(
        &max,
        &BackupSettings {
            daily_at: Time::constant(3, 0, 0, 0),
            keep: 7,
            time_zone: Some("America/Denver".into()),
        },
    )
    .unwrap();
    let due = |db: &Database, at: &str| backup_due(db, at.parse().unwrap()).unwrap();
    assert!(!due(&db, "2026-11-23T09:59:00Z"), "before 03:00 local");
    assert!(due(&db, "2026-11-23T10:00:00Z"), "at 03:00 local");
    clock.set("2026-11-23T10:05:00Z".parse().unwrap());
    db.backup_now().unwrap();
    assert!(!due(&db, "2026-11-23T23:00:00Z"), "already taken today");
    assert!(!due(&db, "2026-11-24T09:00:00Z"), "next day, before 03:00");
    assert!(due(&db, "2026-11-24T10:01:00Z"), "next day, after 03:00");
    let changed = db
        .audit_entries(&AuditQuery {
            action: Some(AuditAction::SettingChanged),
            ..AuditQuery::default()
        })
        .unwrap();
    assert!(
        changed
            .iter()
            .any(|e| e.subject == "backups" && e.actor.as_deref() == Some("max"))
    );
}

fn sale_ids(db: &Database, state: EntryState) -> Vec<String> {
    let conn = read_only(db.path());
    let mut stmt = conn
        .prepare("SELECT client_id FROM outbox WHERE state = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([state.as_str()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn a_restore_round_trip_keeps_the_queue_deliverable() {
    let h = Harness::new().await;
    let max = manager(&h.db);
    let label = h.package("Each", 0).label;
    for _ in 0..3 {
        h.sell(BUDTENDER, &label, "1");
    }
    let in_backup = sale_ids(&h.db, EntryState::Pending);
    let taken = h.db.backup_now().expect("backup");
    h.sell(BUDTENDER, &label, "1");
    let Harness {
        dir,
        db,
        clock,
        control,
        client,
        keys,
        engine,
        emulator,
    } = h;
    drop(engine);
    drop(db);
    let data = dir.path();
    let before = snapshot(data);

    let refused = backup::restore(&taken.path, data, false, &max).unwrap_err();
    assert_eq!(refused.code(), "unsent_records");
    assert!(refused.to_string().contains("4 records"), "{refused}");
    assert_eq!(snapshot(data), before, "a refused restore changes nothing");

    let restored = backup::restore(&taken.path, data, true, &max).expect("confirmed restore");
    assert_eq!(restored.unsent_replaced, 4);
    let kept = restored
        .replaced_kept_at
        .expect("the replaced database is kept");
    let old = read_only(&kept);
    assert_eq!(
        count(&old, "SELECT count(*) FROM outbox WHERE state = 'pending'"),
        4
    );
    drop(old);

    let db = Database::open_with(
        restored.database.clone(),
        OpenOptions {
            clock: Arc::new(clock.clone()),
            rng_seed: Some(3),
            ..OpenOptions::default()
        },
    )
    .expect("restored database opens");
    assert_eq!(sale_ids(&db, EntryState::Pending), in_backup);
    let audit = db
        .audit_entries(&AuditQuery {
            action: Some(AuditAction::BackupRestored),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor.as_deref(), Some("max"));
    assert!(
        db.verify_audit().unwrap().is_intact(),
        "the audit chain holds after the restore"
    );

    let engine = DeliveryEngine::new(db.clone(), client, Arc::new(keys), test_config());
    for _ in 0..20 {
        engine.run_once().await.expect("a pass");
        if sale_ids(&db, EntryState::Confirmed).len() == in_backup.len() {
            break;
        }
        clock.advance(SignedDuration::from_secs(60));
    }
    assert_eq!(sale_ids(&db, EntryState::Confirmed), in_backup);
    for id in &in_backup {
        let n = control
            .receipts(DEMO_LICENSE)
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(id))
            .count();
        assert_eq!(n, 1, "{id} reached Metrc once");
    }
    drop(emulator);
}

#[test]
fn only_a_manager_may_restore() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let max = manager(&db);
    let bea = db
        .add_user(&max, "bea", Role::Budtender, &Pin::new("13572468"))
        .unwrap();
    let bea = db
        .verify_pin(&bea.name, &Pin::new("13572468"))
        .unwrap()
        .actor;
    let taken = db.backup_now().unwrap();
    drop(db);
    let err = backup::restore(&taken.path, dir.path(), true, &bea).unwrap_err();
    assert_eq!(err.code(), "not_allowed");
}

#[test]
fn a_damaged_foreign_or_newer_backup_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let max = manager(&db);
    let good = db.backup_now().unwrap().path;
    drop(db);
    let elsewhere = tempfile::tempdir().unwrap();

    let damaged = elsewhere.path().join("damaged.sqlite");
    let mut bytes = std::fs::read(&good).unwrap();
    let half = bytes.len() / 2;
    let end = (half + 4096).min(bytes.len());
    for b in &mut bytes[half..end] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();

    let truncated = elsewhere.path().join("truncated.sqlite");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..1000]).unwrap();

    let text = elsewhere.path().join("notes.sqlite");
    std::fs::write(&text, "this is not a database").unwrap();

    let newer = elsewhere.path().join("newer.sqlite");
    std::fs::copy(&good, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();

    let foreign = elsewhere.path().join("foreign.sqlite");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER); PRAGMA user_version = 1;")
        .unwrap();

    let missing = elsewhere.path().join("missing.sqlite");
    let before = snapshot(dir.path());
    for bad in [&damaged, &truncated, &text, &newer, &foreign, &missing] {
        let err = backup::restore(bad, dir.path(), true, &max).unwrap_err();
        assert_eq!(err.code(), "backup_invalid", "{}: {err}", bad.display());
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{} changed something",
            bad.display()
        );
    }
    let newer_err = backup::restore(&newer, dir.path(), true, &max).unwrap_err();
    assert!(newer_err.to_string().contains("newer"), "{newer_err}");
}

#[test]
fn a_restore_over_a_database_still_open_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    let max = manager(&db);
    let taken = db.backup_now().unwrap();
    sell(&db, clock.now_ts());
    let err = backup::restore(&taken.path, dir.path(), true, &max).unwrap_err();
    assert_eq!(err.code(), "database_in_use", "{err}");
    assert_eq!(
        count(&read_only(db.path()), "SELECT count(*) FROM sales"),
        1,
        "the open database was not replaced"
    );
    drop(db);
    let restored = backup::restore(&taken.path, dir.path(), true, &max).expect("once closed");
    assert_eq!(restored.unsent_replaced, 1);
    assert_eq!(
        count(&read_only(&restored.database), "SELECT count(*) FROM sales"),
        0
    );
}

#[test]
fn backups_taken_at_once_each_get_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap());
    let db = store(dir.path(), &clock);
    sell(&db, clock.now_ts());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || db.backup_now().expect("backup"))
        })
        .collect();
    let mut paths: Vec<PathBuf> = threads
        .into_iter()
        .map(|t| t.join().unwrap().path)
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 4, "{paths:?}");
    for p in &paths {
        assert_eq!(count(&read_only(p), "SELECT count(*) FROM sales"), 1);
    }
    assert_eq!(list_backups(dir.path()).unwrap().len(), 4);
}
