//! The register's copy of the store: pulled records and their states, applied in order and never
//! ahead of their record.

use serde_json::json;
use stateline_store::PeerRecord;
use stateline_testkit::store::{self as fixture, LIC};

fn record(seq: i64) -> PeerRecord {
    PeerRecord {
        register_id: "REG2".into(),
        local_seq: seq,
        client_id: format!("SL-REG2-{seq:012}"),
        kind: "sale".into(),
        licence: LIC.into(),
        acting_user: "bea".into(),
        occurred_at: fixture::t0(),
        body: json!({ "lines": [] }),
    }
}

fn change(seq: i64, state: &str, change_seq: i64) -> (String, i64, String, i64) {
    ("REG2".into(), seq, state.into(), change_seq)
}

#[test]
fn states_apply_in_order_and_wait_for_their_record() {
    let store = fixture::store();
    let db = &store.db;
    assert_eq!(
        db.save_peer_records(&[record(1)], fixture::t0()).unwrap(),
        1
    );
    assert_eq!(
        db.save_peer_records(&[record(1)], fixture::t0()).unwrap(),
        0,
        "once"
    );
    assert_eq!(db.peer_states_through().unwrap(), 0);

    // The change of record 2 arrives before record 2 does: applying stops there, not past it.
    let changes = [
        change(1, "pending", 5),
        change(2, "confirmed", 6),
        change(1, "confirmed", 7),
    ];
    assert_eq!(db.apply_peer_states(&changes).unwrap(), 1);
    assert_eq!(db.peer_states_through().unwrap(), 5);
    let counts = db.peer_counts().unwrap();
    assert_eq!((counts[0].records, counts[0].open), (1, 1));

    db.save_peer_records(&[record(2)], fixture::t0()).unwrap();
    assert_eq!(db.apply_peer_states(&changes[1..]).unwrap(), 2);
    assert_eq!(db.peer_states_through().unwrap(), 7);
    let counts = db.peer_counts().unwrap();
    assert_eq!(
        (counts[0].records, counts[0].open, counts[0].through),
        (2, 0, 2)
    );

    db.forget_store().unwrap();
    assert!(db.peer_counts().unwrap().is_empty());
    assert_eq!(
        db.peer_states_through().unwrap(),
        0,
        "a new store is pulled afresh"
    );
}
