//! The register's copy of the store: pulled records and their states, applied in order and never
//! ahead of their record.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde_json::json;
use stateline_store::inventory::apply::Fetched;
use stateline_store::{Clock, PeerRecord, PeerStateChange};
use stateline_testkit::store::{self as fixture, A, B, LIC, line, pkg, q, sale};

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

fn change(seq: i64, state: &str, change_seq: i64) -> PeerStateChange {
    changed(seq, state, change_seq, &[])
}

/// A state change of REG2's record `seq`, taking `deltas` (label, milli-units) from stock.
fn changed(seq: i64, state: &str, change_seq: i64, deltas: &[(&str, i64)]) -> PeerStateChange {
    PeerStateChange {
        register_id: "REG2".into(),
        local_seq: seq,
        state: state.into(),
        change_seq,
        deltas: deltas
            .iter()
            .map(|(label, milli)| ((*label).to_owned(), *milli))
            .collect::<BTreeMap<_, _>>(),
        changed_at: None,
    }
}

/// A refresh of LIC that fetched these packages (label, Metrc's quantity), begun at `started`.
fn refreshed(store: &fixture::Store, packages: &[(&str, &str)], started: jiff::Timestamp) {
    let fetched = Fetched {
        active: packages
            .iter()
            .map(|(label, qty)| pkg(label, "x", fixture::unit_of(label), qty))
            .collect(),
        window_end: started,
        ..Fetched::default()
    };
    store
        .db
        .apply_inventory_refresh(LIC, &fetched, started)
        .unwrap();
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

#[test]
fn other_registers_sales_lower_on_hand_until_metrc_surely_has_them() {
    let store = fixture::store();
    let db = &store.db;
    db.save_peer_records(&[record(1), record(2), record(3)], fixture::t0())
        .unwrap();

    // Register 2 sold 4 g of A and 1 of B; it also gave 2 g of A back (only stock leaving counts).
    db.apply_peer_states(&[
        changed(1, "pending", 1, &[(A, -4000), (B, -1000)]),
        changed(2, "pending", 2, &[(A, 2000)]),
    ])
    .unwrap();
    assert_eq!(db.on_hand(A).unwrap(), q("6"));
    assert_eq!(db.on_hand(B).unwrap(), q("4"));
    fixture::assert_pending_in_step(&store);

    // The oversell check is store-wide: 6 g are left here, not 10.
    let err = db.record_sale(&sale(vec![line(A, "7")])).unwrap_err();
    assert_eq!(err.code(), "insufficient_quantity");
    db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    assert_eq!(db.on_hand(A).unwrap(), q("5"));

    // A record rejected by Metrc still counts; a voided one stops counting.
    db.apply_peer_states(&[changed(3, "pending", 3, &[(B, -2000)])])
        .unwrap();
    db.apply_peer_states(&[changed(3, "rejected", 4, &[(B, -2000)])])
        .unwrap();
    assert_eq!(db.on_hand(B).unwrap(), q("2"));
    db.apply_peer_states(&[changed(3, "voided", 5, &[(B, -2000)])])
        .unwrap();
    assert_eq!(db.on_hand(B).unwrap(), q("4"));
    fixture::assert_pending_in_step(&store);

    // Record 1 is confirmed. A refresh that began before this register learned of it (Metrc may
    // already show the sale, or not) settles nothing: the sale keeps counting, erring low.
    let before_learning = store.clock.now();
    store.clock.advance(SignedDuration::from_mins(1));
    db.apply_peer_states(&[changed(1, "confirmed", 6, &[(A, -4000), (B, -1000)])])
        .unwrap();
    assert_eq!(db.settling_labels(LIC).unwrap(), vec![A, B]);
    refreshed(&store, &[(A, "6"), (B, "4")], before_learning);
    assert_eq!(
        db.on_hand(A).unwrap(),
        q("1"),
        "6 in Metrc, 4 + 1 still counted"
    );
    assert_eq!(db.on_hand(B).unwrap(), q("3"));

    // A refresh that began after it settles the confirmed sale: Metrc's quantity has it.
    store.clock.advance(SignedDuration::from_mins(1));
    refreshed(&store, &[(A, "6")], store.clock.now());
    assert_eq!(
        db.on_hand(A).unwrap(),
        q("5"),
        "Metrc's 6 less this register's 1"
    );
    assert_eq!(
        db.settling_labels(LIC).unwrap(),
        vec![B],
        "B was not fetched"
    );
    assert_eq!(db.peer_delta(A).unwrap(), 0);
    refreshed(&store, &[(B, "4")], store.clock.now());
    assert_eq!(db.on_hand(B).unwrap(), q("4"));
    assert!(db.settling_labels(LIC).unwrap().is_empty());
    fixture::assert_pending_in_step(&store);

    // A later state of a settled record changes nothing more.
    db.apply_peer_states(&[changed(1, "confirmed", 7, &[(A, -4000)])])
        .unwrap();
    assert_eq!(db.on_hand(A).unwrap(), q("5"));
}

#[test]
fn a_package_first_seen_later_starts_with_the_other_registers_effects_and_leaving_gives_them_back()
{
    let store = fixture::store();
    let db = &store.db;
    const NEW: &str = "1A4000000000000000000099";
    db.save_peer_records(&[record(1)], fixture::t0()).unwrap();
    db.apply_peer_states(&[changed(1, "pending", 1, &[(NEW, -3000), (B, -1000)])])
        .unwrap();
    refreshed(&store, &[(NEW, "10")], store.clock.now());
    assert_eq!(db.on_hand(NEW).unwrap(), q("7"));
    fixture::assert_pending_in_step(&store);

    db.forget_store().unwrap();
    assert_eq!(db.on_hand(NEW).unwrap(), q("10"));
    assert_eq!(db.on_hand(B).unwrap(), q("5"));
    assert_eq!(fixture::count(&store, "peer_effects"), 0);
    fixture::assert_pending_in_step(&store);
}
