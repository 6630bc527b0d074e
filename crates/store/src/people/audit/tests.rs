//! Unit tests of the audit log on a real database file: chaining, reading, and tamper detection.

use rusqlite::Connection;

use super::*;
use crate::ManualClock;
use crate::db::OpenOptions;

fn open() -> (tempfile::TempDir, Database, std::sync::Arc<ManualClock>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new("2026-11-22T18:00:00Z".parse().unwrap()));
    let db = Database::open_with(
        dir.path().join("stateline.sqlite"),
        OpenOptions {
            clock: clock.clone(),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    (dir, db, clock)
}

fn write_three(db: &Database, clock: &ManualClock) {
    for (i, subject) in ["bea", "max", "SL-1"].iter().enumerate() {
        clock.advance(jiff::SignedDuration::from_secs(60));
        db.append_audit(AuditEvent::by(
            "max",
            AuditAction::ALL[i],
            *subject,
            format!("detail {i}"),
        ))
        .unwrap();
    }
}

/// A raw connection with the append-only triggers dropped, as someone editing the file would.
fn tamper(db: &Database, sql: &str) {
    let conn = Connection::open(db.path()).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn entries_chain_from_one_and_read_newest_first() {
    let (_dir, db, clock) = open();
    assert!(matches!(
        db.verify_audit().unwrap(),
        AuditVerification::Intact { entries: 0, .. }
    ));
    write_three(&db, &clock);
    let entries = db.audit_entries(&AuditQuery::default()).unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(entries[2].action, "sale_recorded");
    let AuditVerification::Intact {
        entries: n,
        head_hash,
    } = db.verify_audit().unwrap()
    else {
        panic!("an untouched log must verify");
    };
    assert_eq!((n, head_hash), (3, entries[0].hash.clone()));
    let page = db
        .audit_entries(&AuditQuery {
            before_seq: Some(3),
            limit: 1,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
}

#[test]
fn the_store_refuses_updates_and_deletes() {
    let (_dir, db, clock) = open();
    write_three(&db, &clock);
    let conn = Connection::open(db.path()).unwrap();
    let update = conn.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2", []);
    let delete = conn.execute("DELETE FROM audit_log WHERE seq = 2", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn verification_finds_an_edited_row() {
    let (_dir, db, clock) = open();
    write_three(&db, &clock);
    tamper(
        &db,
        "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2",
    );
    assert_eq!(
        db.verify_audit().unwrap(),
        AuditVerification::Broken {
            seq: 2,
            reason: "entry 2's content does not match its hash: it was edited".into()
        }
    );
}

#[test]
fn verification_finds_an_edited_row_whose_hash_was_recomputed() {
    let (_dir, db, clock) = open();
    write_three(&db, &clock);
    let forged = chain::row_hash(
        &db.audit_entries(&AuditQuery::default()).unwrap()[2].hash,
        &chain::RowFields {
            seq: 2,
            at_ms: 0,
            actor: Some("eve"),
            action: "key_set",
            subject: "max",
            detail: "forged",
        },
    );
    tamper(
        &db,
        &format!(
            "UPDATE audit_log SET at = 0, actor = 'eve', action = 'key_set', detail = 'forged',
             hash = '{forged}' WHERE seq = 2"
        ),
    );
    let result = db.verify_audit().unwrap();
    assert!(
        matches!(result, AuditVerification::Broken { seq: 3, .. }),
        "{result:?}"
    );
}

#[test]
fn verification_finds_a_removed_row() {
    let (_dir, db, clock) = open();
    write_three(&db, &clock);
    tamper(&db, "DELETE FROM audit_log WHERE seq = 2");
    let result = db.verify_audit().unwrap();
    assert!(
        matches!(&result, AuditVerification::Broken { seq: 3, reason } if reason.contains("entry 2 is missing")),
        "{result:?}"
    );
}

#[test]
fn verification_finds_a_removed_row_after_renumbering() {
    let (_dir, db, clock) = open();
    write_three(&db, &clock);
    tamper(
        &db,
        "DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;",
    );
    let result = db.verify_audit().unwrap();
    assert!(
        matches!(&result, AuditVerification::Broken { seq: 2, reason } if reason.contains("does not link")),
        "{result:?}"
    );
}

#[test]
fn overlong_text_is_refused_and_nothing_is_written() {
    let (_dir, db, _clock) = open();
    let err = db
        .append_audit(AuditEvent::by_system(
            AuditAction::SettingChanged,
            "x",
            "y".repeat(MAX_TEXT_CHARS + 1),
        ))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(db.audit_entries(&AuditQuery::default()).unwrap().is_empty());
}
