//! The outbox state machine, causal order, the append-only logs and the claim query plan.

use common::*;
use jiff::SignedDuration;
use stateline_store::{
    AttemptOutcome, Confirmation, EntryFilter, EntryKind, EntryState, Gate, Ingredient, NewAttempt,
    NewPackageOutput, NewPackages, RejectedEdit,
};
use stateline_testkit::store as common;

fn confirm(s: &Store, ids: &[i64]) {
    let c: Vec<_> = ids
        .iter()
        .map(|&id| Confirmation {
            entry_id: id,
            metrc_id: Some(1000 + id),
        })
        .collect();
    s.db.mark_confirmed(&c, t0()).unwrap();
}

fn claim(s: &Store, kind: EntryKind) -> Vec<i64> {
    s.db.claim_batch(LIC, kind, None, 10, t0())
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

fn state(s: &Store, id: i64) -> EntryState {
    s.db.entry(id).unwrap().state
}

#[test]
fn claim_moves_pending_to_sending_in_id_order_and_counts_attempts() {
    let s = store();
    let a =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let b =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    let c =
        s.db.record_sale(&sale(vec![line(C, "1")]))
            .unwrap()
            .entry_id;
    let batch =
        s.db.claim_batch(LIC, EntryKind::Sale, None, 2, t0())
            .unwrap();
    assert_eq!(batch.iter().map(|e| e.id).collect::<Vec<_>>(), vec![a, b]);
    assert!(
        batch
            .iter()
            .all(|e| e.state == EntryState::Sending && e.attempts == 1)
    );
    assert_eq!(state(&s, c), EntryState::Pending);
    // Other kinds, other licences and entries not yet due are not claimed.
    assert!(claim(&s, EntryKind::Adjustment).is_empty());
    assert!(
        s.db.claim_batch("OTHER", EntryKind::Sale, None, 10, t0())
            .unwrap()
            .is_empty()
    );
    s.db.release_not_sent(&[a], t0() + SignedDuration::from_secs(60), "refused")
        .unwrap();
    assert_eq!(claim(&s, EntryKind::Sale), vec![c]);
    let later =
        s.db.claim_batch(
            LIC,
            EntryKind::Sale,
            None,
            10,
            t0() + SignedDuration::from_secs(60),
        )
        .unwrap();
    assert_eq!(later[0].id, a);
    assert_eq!(later[0].attempts, 2);
}

#[test]
fn claim_can_be_limited_to_one_acting_user() {
    let s = store();
    let a =
        s.db.record_sale(&sale_by("alice", vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let b =
        s.db.record_sale(&sale_by("bob", vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    let batch =
        s.db.claim_batch(LIC, EntryKind::Sale, Some("bob"), 10, t0())
            .unwrap();
    assert_eq!(batch.iter().map(|e| e.id).collect::<Vec<_>>(), vec![b]);
    assert_eq!(state(&s, a), EntryState::Pending);
}

#[test]
fn every_transition_is_legal_only_from_its_allowed_states() {
    let s = store();
    let id =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let illegal = |r: Result<(), stateline_store::StoreError>| {
        assert_eq!(r.unwrap_err().code(), "illegal_transition")
    };
    // pending: cannot be confirmed, rejected, made ambiguous, released or resent.
    illegal(s.db.mark_confirmed(
        &[Confirmation {
            entry_id: id,
            metrc_id: None,
        }],
        t0(),
    ));
    illegal(s.db.mark_rejected(id, "x"));
    illegal(s.db.mark_ambiguous(&[id], "x", t0()));
    illegal(s.db.release_not_sent(&[id], t0(), "x"));
    illegal(s.db.resend_after_misses(id));
    assert_eq!(
        s.db.edit_rejected_and_resend(id, &RejectedEdit::Unchanged, "manager", t0())
            .unwrap_err()
            .code(),
        "illegal_transition"
    );
    assert_eq!(
        s.db.record_lookup_miss(id, t0()).unwrap_err().code(),
        "illegal_transition"
    );
    // sending → ambiguous: cannot be voided (it may be in Metrc), nor resent before two misses.
    claim(&s, EntryKind::Sale);
    illegal(s.db.void_entry(id, "x", "manager"));
    s.db.mark_ambiguous(&[id], "timeout after sending", t0())
        .unwrap();
    illegal(s.db.void_entry(id, "x", "manager"));
    illegal(s.db.mark_rejected(id, "x"));
    s.db.record_lookup_miss(id, t0()).unwrap();
    illegal(s.db.resend_after_misses(id));
    assert_eq!(
        s.db.record_lookup_miss(id, t0() + SignedDuration::from_secs(120))
            .unwrap(),
        2
    );
    s.db.resend_after_misses(id).unwrap();
    let e = s.db.entry(id).unwrap();
    assert_eq!(e.state, EntryState::Pending);
    assert_eq!(e.lookup_misses, 0);
    // Confirmed is terminal.
    claim(&s, EntryKind::Sale);
    confirm(&s, &[id]);
    illegal(s.db.void_entry(id, "x", "manager"));
    illegal(s.db.mark_ambiguous(&[id], "x", t0()));
    illegal(s.db.release_not_sent(&[id], t0(), "x"));
    assert_eq!(s.db.entry(id).unwrap().metrc_id, Some(1000 + id));
    // Voided is terminal.
    let v =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    s.db.void_entry(v, "mistake", "manager").unwrap();
    illegal(s.db.void_entry(v, "x", "manager"));
    assert!(claim(&s, EntryKind::Sale).is_empty());
    assert_eq!(
        s.db.mark_rejected(99_999, "x").unwrap_err().code(),
        "unknown_entry"
    );
}

#[test]
fn the_schema_refuses_illegal_transitions_too() {
    let s = store();
    let id =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let conn = rusqlite::Connection::open(db_path(&s.dir)).unwrap();
    let err = conn
        .execute("UPDATE outbox SET state = 'confirmed' WHERE id = ?1", [id])
        .unwrap_err();
    assert!(
        err.to_string().contains("illegal outbox state transition"),
        "{err}"
    );
    assert!(
        conn.execute("UPDATE outbox SET state = 'lost' WHERE id = ?1", [id])
            .is_err()
    );
}

#[test]
fn recover_sending_on_start_makes_in_flight_entries_ambiguous() {
    let s = store();
    let a =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let b =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    s.db.claim_batch(LIC, EntryKind::Sale, None, 1, t0())
        .unwrap();
    let path = db_path(&s.dir);
    drop(s.db);
    let db = open_at(&path, &s.clock).unwrap();
    assert_eq!(db.recover_sending_on_start().unwrap(), 1);
    let e = db.entry(a).unwrap();
    assert_eq!(e.state, EntryState::Ambiguous);
    assert_eq!(e.ambiguous_since, Some(t0()));
    assert_eq!(db.entry(b).unwrap().state, EntryState::Pending);
    // Lookups: due at once, then only after the settle window.
    let settle = SignedDuration::from_secs(60);
    assert_eq!(db.ambiguous_due(t0(), settle).unwrap().len(), 1);
    db.record_lookup_miss(a, t0()).unwrap();
    assert!(
        db.ambiguous_due(t0() + SignedDuration::from_secs(30), settle)
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.ambiguous_due(t0() + settle, settle).unwrap().len(), 1);
    // Found by lookup → confirmed without a resend.
    db.mark_confirmed(
        &[Confirmation {
            entry_id: a,
            metrc_id: Some(5),
        }],
        t0(),
    )
    .unwrap();
    assert_eq!(db.package(A).unwrap().metrc_quantity, q("9"));
}

#[test]
fn waiting_for_key_holds_one_users_records_and_keeps_original_times() {
    let s = store();
    let a =
        s.db.record_sale(&sale_by("alice", vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let b =
        s.db.record_sale(&sale_by("bob", vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    claim(&s, EntryKind::Sale);
    assert_eq!(
        s.db.mark_waiting_for_key("alice", Some(LIC)).unwrap(),
        0,
        "an entry in flight is settled by its own outcome, never parked"
    );
    assert_eq!(state(&s, a), EntryState::Sending);
    s.db.release_not_sent(&[a, b], t0(), "key refused").unwrap();
    assert_eq!(s.db.mark_waiting_for_key("alice", Some(LIC)).unwrap(), 1);
    assert_eq!(state(&s, a), EntryState::WaitingForKey);
    assert_eq!(state(&s, b), EntryState::Pending);
    assert_eq!(claim(&s, EntryKind::Sale), vec![b]);
    s.clock.advance(SignedDuration::from_hours(3));
    assert_eq!(s.db.release_waiting_for_key("alice").unwrap(), 1);
    let e = s.db.entry(a).unwrap();
    assert_eq!(e.state, EntryState::Pending);
    assert_eq!(e.occurred_at, t0());
}

#[test]
fn a_rejected_record_is_edited_and_resent_with_the_same_client_id() {
    let s = store();
    let rec = s.db.record_sale(&sale(vec![line(A, "2")])).unwrap();
    claim(&s, EntryKind::Sale);
    s.db.mark_rejected(rec.entry_id, "row 0: quantity too large")
        .unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("8"));
    assert_eq!(
        s.db.edit_rejected_and_resend(
            rec.entry_id,
            &RejectedEdit::SaleLines(vec![line(A, "11")]),
            "manager",
            t0()
        )
        .unwrap_err()
        .code(),
        "insufficient_quantity"
    );
    assert_eq!(state(&s, rec.entry_id), EntryState::Rejected);
    let e =
        s.db.edit_rejected_and_resend(
            rec.entry_id,
            &RejectedEdit::SaleLines(vec![line(A, "10")]),
            "manager",
            t0(),
        )
        .unwrap();
    assert_eq!(e.state, EntryState::Pending);
    assert_eq!(e.client_id, rec.client_id);
    assert_eq!(s.db.on_hand(A).unwrap(), q("0"));
    assert_pending_in_step(&s);
    assert_eq!(s.db.sale(rec.record_id).unwrap().lines[0].quantity, q("10"));
    let history = s.db.entry_history(rec.entry_id).unwrap();
    let path: Vec<_> = history.transitions.iter().map(|t| t.to).collect();
    assert_eq!(
        path,
        vec![
            EntryState::Sending,
            EntryState::Rejected,
            EntryState::Pending
        ]
    );
    assert_eq!(
        history.transitions[1].detail.as_deref(),
        Some("row 0: quantity too large")
    );
}

fn split_into(tag: &str, qty: &str) -> NewPackages {
    NewPackages {
        licence: LIC.into(),
        acting_user: "manager".into(),
        occurred_at: t0(),
        outputs: vec![NewPackageOutput {
            tag: tag.into(),
            item_name: None,
            quantity: q(qty),
            unit_of_measure: "Grams".into(),
            ingredients: vec![Ingredient {
                label: A.into(),
                quantity: q(qty),
                unit_of_measure: "Grams".into(),
            }],
        }],
    }
}

fn new_tag_line(qty: &str) -> stateline_store::NewSaleLine {
    let mut l = line(A, qty);
    l.label = "1A4NEW".into();
    l
}

#[test]
fn causal_order_split_goes_before_sales_of_the_new_tag() {
    let s = store();
    let split =
        s.db.record_new_packages(&split_into("1A4NEW", "4"))
            .unwrap()[0]
            .entry_id;
    let sold =
        s.db.record_sale(&sale(vec![new_tag_line("1")]))
            .unwrap()
            .entry_id;
    assert!(
        claim(&s, EntryKind::Sale).is_empty(),
        "sale of the new tag waits for the split"
    );
    assert_eq!(claim(&s, EntryKind::NewPackage), vec![split]);
    assert!(
        claim(&s, EntryKind::Sale).is_empty(),
        "still waits while the split is in flight"
    );
    // A rejected split keeps blocking sales of its tag.
    s.db.mark_rejected(split, "row 0: tag not available")
        .unwrap();
    assert!(claim(&s, EntryKind::Sale).is_empty());
    // The split cannot be voided while a sale uses its tag.
    assert_eq!(
        s.db.void_entry(split, "wrong tag", "manager")
            .unwrap_err()
            .code(),
        "entry_has_dependents"
    );
    s.db.edit_rejected_and_resend(split, &RejectedEdit::Unchanged, "manager", t0())
        .unwrap();
    assert_eq!(claim(&s, EntryKind::NewPackage), vec![split]);
    confirm(&s, &[split]);
    assert_eq!(claim(&s, EntryKind::Sale), vec![sold]);
}

#[test]
fn causal_order_records_on_a_package_that_covers_every_order_go_independently() {
    // A holds 10 g: a sale of 1, an adjustment of -1 and another sale of 1 fit in any order.
    let s = store();
    let sold =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let adj =
        s.db.record_adjustment(&adjustment(A, "-1"))
            .unwrap()
            .entry_id;
    let later_sale =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    assert_eq!(claim(&s, EntryKind::Adjustment), vec![adj]);
    assert_eq!(claim(&s, EntryKind::Sale), vec![sold, later_sale]);
}

#[test]
fn causal_order_a_record_parked_for_a_key_holds_nobody_on_a_package_that_covers_every_order() {
    let s = store();
    let mut bea = sale(vec![line(A, "2")]);
    bea.acting_user = "bea".into();
    let parked = s.db.record_sale(&bea).unwrap().entry_id;
    s.db.mark_waiting_for_key("bea", Some(LIC)).unwrap();
    assert_eq!(state(&s, parked), EntryState::WaitingForKey);
    let adj =
        s.db.record_adjustment(&adjustment(A, "-1"))
            .unwrap()
            .entry_id;
    let later_sale =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    assert_eq!(claim(&s, EntryKind::Adjustment), vec![adj]);
    assert_eq!(claim(&s, EntryKind::Sale), vec![later_sale]);
}

#[test]
fn causal_order_on_a_tight_package_records_wait_for_the_increase_before_them() {
    // A holds 10 g; 5 g found (+5) makes room for a sale of 13 g, which Metrc can only take
    // after the increase: until then the package is tight and order is kept.
    let s = store();
    let found =
        s.db.record_adjustment(&adjustment(A, "5"))
            .unwrap()
            .entry_id;
    let big_sale =
        s.db.record_sale(&sale(vec![line(A, "13")]))
            .unwrap()
            .entry_id;
    let after =
        s.db.record_adjustment(&adjustment(A, "-1"))
            .unwrap()
            .entry_id;
    assert!(
        claim(&s, EntryKind::Sale).is_empty(),
        "the sale waits for +5"
    );
    assert_eq!(claim(&s, EntryKind::Adjustment), vec![found]);
    assert!(claim(&s, EntryKind::Sale).is_empty(), "+5 in flight");
    confirm(&s, &[found]);
    // Now Metrc's 15 g covers 13 + 1 in any order: both go.
    assert_eq!(claim(&s, EntryKind::Sale), vec![big_sale]);
    assert_eq!(claim(&s, EntryKind::Adjustment), vec![after]);
}

#[test]
fn causal_order_a_rejected_sale_does_not_block_and_same_kind_goes_together() {
    let s = store();
    let first =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    let adj =
        s.db.record_adjustment(&adjustment(A, "-1"))
            .unwrap()
            .entry_id;
    assert_eq!(claim(&s, EntryKind::Sale), vec![first]);
    s.db.mark_rejected(first, "row 0: bad").unwrap();
    assert_eq!(claim(&s, EntryKind::Adjustment), vec![adj]);
    let a =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    let b =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    assert_eq!(claim(&s, EntryKind::Sale), vec![a, b]);
}

#[test]
fn causal_order_unrelated_packages_never_wait() {
    let s = store();
    // A is made tight: its sale waits for the +5 before it.
    s.db.record_adjustment(&adjustment(A, "5")).unwrap();
    let other =
        s.db.record_sale(&sale(vec![line(B, "1")]))
            .unwrap()
            .entry_id;
    let blocked =
        s.db.record_sale(&sale(vec![line(A, "13")]))
            .unwrap()
            .entry_id;
    assert_eq!(claim(&s, EntryKind::Sale), vec![other]);
    assert_eq!(state(&s, blocked), EntryState::Pending);
}

#[test]
fn causal_order_a_void_waits_for_its_sale_to_be_confirmed() {
    let s = store();
    let sold = s.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    let void =
        s.db.record_sale_void(&sold.client_id, "returned", "manager")
            .unwrap();
    assert!(claim(&s, EntryKind::SaleVoid).is_empty());
    assert_eq!(
        s.db.void_entry(sold.entry_id, "x", "manager")
            .unwrap_err()
            .code(),
        "entry_has_dependents"
    );
    assert_eq!(claim(&s, EntryKind::Sale), vec![sold.entry_id]);
    s.db.mark_ambiguous(&[sold.entry_id], "timeout", t0())
        .unwrap();
    assert!(claim(&s, EntryKind::SaleVoid).is_empty());
    confirm(&s, &[sold.entry_id]);
    let batch =
        s.db.claim_batch(LIC, EntryKind::SaleVoid, None, 10, t0())
            .unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].id, void.entry_id);
    assert_eq!(batch[0].depends_on_metrc_id, Some(1000 + sold.entry_id));
    confirm(&s, &[void.entry_id]);
    assert_eq!(s.db.package(A).unwrap().metrc_quantity, q("10"));
    assert_pending_in_step(&s);
}

#[test]
fn the_attempt_log_and_history_are_append_only() {
    let s = store();
    let id =
        s.db.record_sale(&sale(vec![line(A, "1")]))
            .unwrap()
            .entry_id;
    claim(&s, EntryKind::Sale);
    s.db.record_attempts(&[NewAttempt {
        entry_id: id,
        at: t0(),
        outcome: AttemptOutcome::Ambiguous,
        http_status: Some(503),
        message: Some("Service Unavailable".into()),
    }])
    .unwrap();
    s.db.mark_ambiguous(&[id], "503", t0()).unwrap();
    let conn = rusqlite::Connection::open(db_path(&s.dir)).unwrap();
    for sql in [
        "UPDATE attempts SET outcome = 'confirmed'",
        "DELETE FROM attempts",
        "UPDATE outbox_history SET to_state = 'confirmed'",
        "DELETE FROM outbox_history",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let h = s.db.entry_history(id).unwrap();
    assert_eq!(h.attempts.len(), 1);
    assert_eq!(h.attempts[0].outcome, Some(AttemptOutcome::Ambiguous));
    assert_eq!(h.attempts[0].http_status, Some(503));
    assert_eq!(h.transitions.len(), 2);
}

#[test]
fn read_models_count_by_state_and_user_and_show_the_oldest_waiting() {
    let s = store();
    s.db.record_sale(&sale_by("alice", vec![line(A, "1")]))
        .unwrap();
    s.clock.advance(SignedDuration::from_mins(5));
    let mut later = sale_by("bob", vec![line(B, "1")]);
    later.occurred_at = t0() + SignedDuration::from_mins(5);
    let b = s.db.record_sale(&later).unwrap().entry_id;
    s.db.void_entry(b, "mistake", "manager").unwrap();
    s.db.record_sale(&sale_by("bob", vec![line(C, "1")]))
        .unwrap();
    let counts = s.db.counts(Some(LIC)).unwrap();
    assert_eq!(counts.len(), 2);
    assert!(
        counts
            .iter()
            .all(|c| c.state == EntryState::Pending && c.count == 1)
    );
    assert_eq!(s.db.oldest_waiting(LIC).unwrap(), Some(t0()));
    // The trigger-kept counters agree with a full count.
    let conn = rusqlite::Connection::open(db_path(&s.dir)).unwrap();
    let disagree: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT licence, acting_user, state, COUNT(*) AS n FROM outbox
                 GROUP BY 1, 2, 3) o
             LEFT JOIN outbox_counts c USING (licence, acting_user, state)
             WHERE c.count IS NOT o.n",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(disagree, 0);
    let err = conn
        .execute("UPDATE outbox SET acting_user = 'mallory'", [])
        .unwrap_err();
    assert!(err.to_string().contains("keeps its licence"), "{err}");
    let voided =
        s.db.list_entries(&EntryFilter {
            states: vec![EntryState::Voided],
            ..EntryFilter::default()
        })
        .unwrap();
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0].void_reason.as_deref(), Some("mistake"));
    assert_eq!(s.db.list_entries(&EntryFilter::default()).unwrap().len(), 3);
}

#[test]
fn the_gate_survives_a_restart() {
    let s = store();
    let gate = Gate {
        licence: LIC.into(),
        blocked_until: Some(t0() + SignedDuration::from_secs(300)),
        consecutive_failures: 4,
        reason: Some("Metrc unavailable (503)".into()),
        updated_at: t0(),
    };
    s.db.save_gate(&gate).unwrap();
    let path = db_path(&s.dir);
    drop(s.db);
    let db = open_at(&path, &s.clock).unwrap();
    assert_eq!(db.gate(LIC).unwrap(), Some(gate));
    db.clear_gate(LIC).unwrap();
    assert_eq!(db.gate(LIC).unwrap(), None);
}

#[test]
fn claim_query_plan_uses_indexes_and_never_scans_the_outbox() {
    let s = store();
    for kind in EntryKind::ALL {
        for by_user in [false, true] {
            let plan = s.db.claim_query_plan(kind, by_user).unwrap();
            assert!(!plan.is_empty());
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN") && !step.contains("TEMP B-TREE"),
                    "{kind} by_user={by_user}: {step}\n{plan:#?}"
                );
            }
            assert!(plan.iter().any(|p| p.contains("outbox_claim")), "{plan:#?}");
        }
    }
}
