//! Records handed over to the register holding their user's key: while handed over, this
//! register neither releases them to its own engine nor voids them (the schema refuses both);
//! the outcome another register got is applied once — a confirmation folds the sale's effect
//! like a local one, a refusal parks it — and a refused record resent here is this register's
//! again.

use stateline_store::link::handovers::HandoverOutcome;
use stateline_store::{EntryState, RejectedEdit};
use stateline_testkit::store::{self as fixture, A, LIC, line, pkg, q, sale_by};

fn outcome(entry_id: i64, state: &str) -> HandoverOutcome {
    HandoverOutcome {
        entry_id,
        state: state.into(),
        metrc_id: Some(7001),
        message: Some("Package has 0 on hand".into()),
        delivered_by: "Register 1".into(),
    }
}

#[test]
fn a_handed_over_sale_stays_put_until_its_outcome_comes_back_once() {
    let store = fixture::store();
    let db = &store.db;
    let sold = db.record_sale(&sale_by("bea", vec![line(A, "2")])).unwrap();
    let other = db.record_sale(&sale_by("bea", vec![line(A, "1")])).unwrap();
    db.mark_waiting_for_key("bea", None).unwrap();
    let id = |client_id: &str| db.entry_by_client_id(client_id).unwrap().unwrap().id;
    let (first, second) = (id(&sold.client_id), id(&other.client_id));

    assert_eq!(
        db.handover_candidates(0).unwrap().len(),
        0,
        "not in the store yet"
    );
    assert_eq!(db.handover_candidates(first).unwrap().len(), 1);
    assert_eq!(db.hand_over(&[first]).unwrap(), [first]);
    assert!(db.hand_over(&[first]).unwrap().is_empty(), "once");
    assert_eq!(db.handed_over_open().unwrap(), [first]);

    // Bea's new key here releases only the record still here; voiding the handed-over one is
    // refused, by the code and by the schema.
    assert_eq!(db.release_waiting_for_key("bea").unwrap(), 1);
    assert_eq!(db.entry(second).unwrap().state, EntryState::Pending);
    assert_eq!(
        db.void_entry(first, "customer left", "Max")
            .unwrap_err()
            .code(),
        "illegal_transition"
    );
    let conn = rusqlite::Connection::open(fixture::db_path(&store.dir)).unwrap();
    let forced = conn.execute("UPDATE outbox SET state = 'pending' WHERE id = ?1", [first]);
    assert!(forced.is_err(), "the schema refuses it too");

    // Register 1 got Metrc's confirmation: applied once, the effect folded like a local one.
    assert_eq!(db.on_hand(A).unwrap(), q("7"));
    assert_eq!(
        db.apply_handover_outcomes(&[outcome(first, "confirmed")], 9)
            .unwrap(),
        1
    );
    assert_eq!(
        db.apply_handover_outcomes(&[outcome(first, "confirmed")], 10)
            .unwrap(),
        0
    );
    let entry = db.entry(first).unwrap();
    assert_eq!(
        (entry.state, entry.metrc_id),
        (EntryState::Confirmed, Some(7001))
    );
    assert_eq!(db.outcomes_pulled_through().unwrap(), 10);
    let package = db.package(A).unwrap();
    assert_eq!(
        (package.metrc_quantity, package.on_hand),
        (q("8"), q("7")),
        "the 2 g went into Metrc's quantity; the 1 g still pending here"
    );
    fixture::assert_pending_in_step(&store);
    assert!(db.handed_over_open().unwrap().is_empty());
}

#[test]
fn a_refused_handed_over_sale_comes_back_and_is_this_registers_again_when_resent() {
    let store = fixture::store();
    let db = &store.db;
    let sold = db.record_sale(&sale_by("bea", vec![line(A, "2")])).unwrap();
    db.mark_waiting_for_key("bea", None).unwrap();
    let id = db.entry_by_client_id(&sold.client_id).unwrap().unwrap().id;
    db.hand_over(&[id]).unwrap();
    db.apply_handover_outcomes(&[outcome(id, "rejected")], 3)
        .unwrap();
    let entry = db.entry(id).unwrap();
    assert_eq!(entry.state, EntryState::Rejected);
    let said = entry.last_error.unwrap_or_default();
    assert!(
        said.contains("0 on hand") && said.contains("Register 1"),
        "{said}"
    );
    assert_eq!(
        db.on_hand(A).unwrap(),
        q("8"),
        "refused goods still left the store"
    );

    db.edit_rejected_and_resend(id, &RejectedEdit::Unchanged, "Max", db.now())
        .unwrap();
    assert!(!db.is_handed_over(id).unwrap());
    assert_eq!(db.entry(id).unwrap().state, EntryState::Pending);
}

/// Any kind of record is handed over, but only in causal order: on a tight package (Metrc has
/// less than every pending decrease), an adjustment of a package waits for the earlier sale of
/// it, a void for the earlier adjustment of its package; and a void for its sale confirmed (here,
/// by the outcomes another register got) with its receipt id known.
#[test]
fn records_of_every_kind_are_handed_over_in_causal_order() {
    let store = fixture::store();
    let db = &store.db;
    let sold = db.record_sale(&sale_by("bea", vec![line(A, "1")])).unwrap();
    let mut by_bea = fixture::adjustment(A, "-1");
    by_bea.acting_user = "bea".into();
    let adjusted = db.record_adjustment(&by_bea).unwrap();
    db.mark_waiting_for_key("bea", None).unwrap();
    // Metrc now says A holds 1 g (sold elsewhere): the sale and the adjustment cannot both go.
    db.upsert_packages_from_metrc(LIC, &[pkg(A, "Blue Dream", "Grams", "1")])
        .unwrap();
    let id = |client_id: &str| db.entry_by_client_id(client_id).unwrap().unwrap().id;
    let (sale, adjustment) = (id(&sold.client_id), id(&adjusted.client_id));
    let candidates = |through| -> Vec<i64> {
        db.handover_candidates(through)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect()
    };

    assert_eq!(candidates(100), [sale], "the adjustment waits for the sale");
    assert_eq!(db.hand_over(&[sale]).unwrap(), [sale]);
    assert!(candidates(100).is_empty(), "still waiting for the sale");
    assert_eq!(
        db.apply_handover_outcomes(&[outcome(sale, "confirmed")], 1)
            .unwrap(),
        1
    );
    assert_eq!(candidates(100), [adjustment]);

    let voided = db
        .record_sale_void(&sold.client_id, "customer returned it", "bea")
        .unwrap();
    db.mark_waiting_for_key("bea", None).unwrap();
    let void = id(&voided.client_id);
    assert_eq!(
        candidates(100),
        [adjustment],
        "the void waits for the earlier adjustment of the same package"
    );
    assert_eq!(db.hand_over(&[adjustment]).unwrap(), [adjustment]);
    let mut confirmed = outcome(adjustment, "confirmed");
    confirmed.metrc_id = None;
    assert_eq!(db.apply_handover_outcomes(&[confirmed], 2).unwrap(), 1);
    let offered = db.handover_candidates(100).unwrap();
    let void_entry = offered
        .iter()
        .find(|e| e.id == void)
        .expect("the void of a confirmed sale is offered");
    assert_eq!(
        void_entry.depends_on_metrc_id,
        Some(7001),
        "with the receipt id the other register got"
    );
    assert_eq!(db.hand_over(&[void]).unwrap(), [void]);
    assert_eq!(
        db.handed_over_entries()
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        [void]
    );
}
