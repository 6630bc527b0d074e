//! Records made for POS tickets: the same ticket is one record, a different body is a conflict
//! with nothing written, and the ticket row always travels with its record.

use common::*;
use stateline_store::{SaleExceptions, Ticket, TicketOutcome};
use stateline_testkit::store as common;

fn ticket(id: &str, body: char) -> Ticket {
    Ticket {
        source: "integration:1".into(),
        ticket: id.into(),
        body_hash: body.to_string().repeat(64),
    }
}

#[test]
fn the_same_ticket_twice_is_one_sale_and_another_body_is_a_conflict() {
    let s = store();
    let none = SaleExceptions::default();
    let first =
        match s
            .db
            .record_sale_for_ticket(&ticket("T-1", 'a'), &sale(vec![line(A, "1")]), &none)
        {
            Ok(TicketOutcome::Recorded(recorded)) => recorded,
            other => panic!("expected a new sale, got {other:?}"),
        };
    let again =
        s.db.record_sale_for_ticket(&ticket("T-1", 'a'), &sale(vec![line(A, "1")]), &none)
            .unwrap();
    match again {
        TicketOutcome::Replayed(prior) => {
            assert_eq!(prior.entry_id, first.entry_id);
            assert_eq!(prior.client_id, first.client_id);
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(count(&s, "sales"), 1);
    assert_eq!(count(&s, "outbox"), 1);
    let err =
        s.db.record_sale_for_ticket(&ticket("T-1", 'b'), &sale(vec![line(A, "2")]), &none)
            .unwrap_err();
    assert_eq!(err.code(), "ticket_conflict");
    assert!(err.to_string().contains(&first.client_id), "{err}");
    let adjustment_on_a_sale_ticket =
        s.db.record_adjustment_for_ticket(&ticket("T-1", 'a'), &adjustment(A, "-1"))
            .unwrap_err();
    assert_eq!(adjustment_on_a_sale_ticket.code(), "ticket_conflict");
    assert_eq!(count(&s, "sales") + count(&s, "adjustments"), 1);
    assert_eq!(count(&s, "outbox"), 1);
    assert_eq!(count(&s, "pos_tickets"), 1);
    assert_eq!(
        s.db.ticket_entry("integration:1", "T-1").unwrap(),
        Some(first.entry_id)
    );
    assert_eq!(
        s.db.entry_ticket(first.entry_id).unwrap().as_deref(),
        Some("T-1")
    );
    // Another integration's ticket of the same number is its own sale.
    let other = Ticket {
        source: "integration:2".into(),
        ..ticket("T-1", 'a')
    };
    let second =
        s.db.record_sale_for_ticket(&other, &sale(vec![line(A, "1")]), &none)
            .unwrap();
    assert!(matches!(second, TicketOutcome::Recorded(_)));
    assert_eq!(count(&s, "sales"), 2);
}

#[test]
fn a_refused_ticketed_sale_leaves_no_ticket_and_the_ticket_stays_free() {
    let s = store();
    let none = SaleExceptions::default();
    let err =
        s.db.record_sale_for_ticket(&ticket("T-9", 'a'), &sale(vec![line(A, "99999")]), &none)
            .unwrap_err();
    assert_eq!(err.code(), "insufficient_quantity");
    assert_eq!(count(&s, "pos_tickets"), 0);
    assert_eq!(count(&s, "outbox"), 0);
    // The same ticket with a body that can be recorded is then a new sale, not a conflict.
    let ok =
        s.db.record_sale_for_ticket(&ticket("T-9", 'b'), &sale(vec![line(A, "1")]), &none)
            .unwrap();
    assert!(matches!(ok, TicketOutcome::Recorded(_)));
}

#[test]
fn adjustments_replay_by_ticket_and_blank_ticket_ids_are_refused() {
    let s = store();
    let first =
        s.db.record_adjustment_for_ticket(&ticket("ADJ-1", 'c'), &adjustment(A, "-1"))
            .unwrap();
    let TicketOutcome::Recorded(first) = first else {
        panic!("expected a new adjustment")
    };
    let again =
        s.db.record_adjustment_for_ticket(&ticket("ADJ-1", 'c'), &adjustment(A, "-1"))
            .unwrap();
    assert_eq!(
        again,
        TicketOutcome::Replayed(stateline_store::PriorRecord {
            entry_id: first.entry_id,
            client_id: first.client_id.clone(),
        })
    );
    assert_eq!(count(&s, "adjustments"), 1);
    let blank =
        s.db.record_adjustment_for_ticket(&ticket("  ", 'c'), &adjustment(A, "-1"))
            .unwrap_err();
    assert_eq!(blank.code(), "invalid_input");
    assert_eq!(count(&s, "adjustments"), 1);
}

#[test]
fn a_batch_commits_together_and_a_refused_sale_leaves_nothing_of_itself() {
    let s = store();
    let on_hand = s.db.on_hand(A).unwrap();
    let batch = vec![
        (ticket("B-1", 'a'), sale(vec![line(A, "1")])),
        // More than is left after B-1: refused alone.
        (
            ticket("B-2", 'b'),
            sale(vec![line(A, &on_hand.to_string())]),
        ),
        (ticket("B-3", 'c'), sale(vec![line(A, "1"), line(B, "1")])),
        // The same ticket again within the batch: B-1's sale, answered as a replay.
        (ticket("B-1", 'a'), sale(vec![line(A, "1")])),
        // A blank ticket id: refused before the transaction.
        (ticket(" ", 'd'), sale(vec![line(A, "1")])),
    ];
    let answers = s.db.record_sales_for_tickets(&batch).unwrap();
    assert!(matches!(answers[0], Ok(TicketOutcome::Recorded(_))));
    assert_eq!(
        answers[1].as_ref().unwrap_err().code(),
        "insufficient_quantity"
    );
    let Ok(TicketOutcome::Recorded(third)) = &answers[2] else {
        panic!("B-3 is recorded: {:?}", answers[2])
    };
    let Ok(TicketOutcome::Replayed(replayed)) = &answers[3] else {
        panic!("B-1 again is a replay: {:?}", answers[3])
    };
    let Ok(TicketOutcome::Recorded(first)) = &answers[0] else {
        unreachable!()
    };
    assert_eq!(replayed.entry_id, first.entry_id);
    assert_eq!(answers[4].as_ref().unwrap_err().code(), "invalid_input");
    assert_eq!(count(&s, "sales"), 2);
    assert_eq!(count(&s, "sale_lines"), 3);
    assert_eq!(count(&s, "outbox"), 2);
    assert_eq!(count(&s, "pos_tickets"), 2);
    assert_eq!(third.lines.len(), 2);
    assert_eq!(
        s.db.on_hand(A).unwrap(),
        stateline_store::Quantity(on_hand.milli() - 2000)
    );
    assert!(s.db.verify_audit().unwrap().is_intact());
}
