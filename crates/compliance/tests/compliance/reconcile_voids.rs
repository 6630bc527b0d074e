//! The three void-related reconciliation differences, each made to happen for real against the
//! Metrc emulator and found by a run (which only reads), then resolved with a fix it offers:
//! - a receipt voided in Metrc directly, behind the register's back (`voided_only_in_metrc`);
//! - a sale voided here, the void confirmed, then the receipt active again in Metrc
//!   (`void_missing_in_metrc`);
//! - a sale whose POST landed while its reply was lost, hidden from the lookups by Metrc's lag,
//!   re-sent and refused as a duplicate, then withdrawn by a manager although Metrc has it
//!   (`withdrawn_but_in_metrc`).

use std::time::Duration;

use jiff::Timestamp;
use metrc_emulator::{
    DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, Faults, Options, Seed, Trigger, WriteFault,
    WriteFaultKind,
};
use stateline_compliance::Trigger as RunTrigger;
use stateline_compliance::{
    Difference, DifferenceKind, FixCode, ReconciliationStore, RunReport, reconcile_day,
    resolve_difference,
};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{Actor, Clock, EntryState, Pin, RecordedSale};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, MANAGER, test_config, user_key};

const MANAGER_PIN: &str = "48151623";
/// How long a new receipt stays hidden from Metrc's lookups and lists in the withdrawal story:
/// long enough for three delivery passes on a slow, busy CI machine (the test waits the rest out).
const LOOKUP_LAG_MS: u64 = 10_000;

/// A harness whose clock starts at the real time (the emulator stamps receipts with it).
async fn harness() -> Harness {
    let h = Harness::new().await;
    h.clock.set(Timestamp::now());
    h
}

fn manager(h: &Harness) -> Actor {
    h.db.create_first_manager(MANAGER, &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor
}

fn today(h: &Harness) -> jiff::civil::Date {
    h.clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .date()
}

/// A sale of one gram, sent and confirmed; returns it with its Metrc receipt id.
async fn confirmed_sale(h: &Harness) -> (RecordedSale, i64) {
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.drain().await;
    let entry = h.db.entry(sale.entry_id).unwrap();
    assert_eq!(entry.state, EntryState::Confirmed);
    let receipt = entry.metrc_id.expect("Metrc's receipt id");
    (sale, receipt)
}

fn receipt_voided(h: &Harness, id: i64) -> bool {
    h.control
        .receipts(DEMO_LICENSE)
        .iter()
        .find(|r| r.id as i64 == id)
        .expect("the receipt is in Metrc")
        .voided
}

/// Runs the reconciliation of `day` (the day the test's sales were made, read when the test
/// began: minutes later may already be the next day in Denver) an hour later (past Metrc's
/// real-time stamps) and checks that it only read from Metrc.
async fn run(h: &Harness, day: jiff::civil::Date) -> RunReport {
    h.advance(3600);
    h.control.clear_request_log();
    let report = reconcile_day(
        &h.db,
        &h.client,
        &user_key(DEMO_MANAGER_KEY),
        DEMO_LICENSE,
        day,
        RunTrigger::Manual,
    )
    .await
    .expect("reconciliation runs");
    let log = h.control.request_log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "a run must only read: {log:?}"
    );
    report
}

/// The run's only difference, which must be of `kind`.
fn only(report: &RunReport, kind: DifferenceKind) -> Difference {
    let kinds: Vec<_> = report.differences.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![kind], "{:#?}", report.differences);
    report.differences[0].clone()
}

fn reconciliation_audits(h: &Harness) -> Vec<String> {
    h.db.audit_entries(&AuditQuery {
        action: Some(AuditAction::ReconciliationAction),
        ..AuditQuery::default()
    })
    .unwrap()
    .into_iter()
    .map(|e| e.detail)
    .collect()
}

/// Voids the difference's receipt with the manager's key: refused with `no_key` (changing
/// nothing) without a key, done and audited with one; the receipt ends inactive in Metrc.
async fn void_in_metrc(h: &Harness, actor: &Actor, difference: &Difference) {
    let receipt = difference.metrc_receipt_id.expect("a receipt to void");
    let audits_before = reconciliation_audits(h).len();
    h.control.clear_request_log();
    let keyless = resolve_difference(
        &h.db,
        None,
        actor,
        difference.id,
        FixCode::VoidInMetrc,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(keyless.code(), "no_key");
    assert_eq!(
        h.db.reconciliation_difference(difference.id)
            .unwrap()
            .resolution,
        None
    );
    assert_eq!(reconciliation_audits(h).len(), audits_before);
    assert!(h.control.request_log().is_empty());
    assert!(!receipt_voided(h, receipt));

    let key = user_key(DEMO_MANAGER_KEY);
    let fixed = resolve_difference(
        &h.db,
        Some((&h.client, &key)),
        actor,
        difference.id,
        FixCode::VoidInMetrc,
        Some("not a sale any more"),
    )
    .await
    .expect("the void is made");
    assert_eq!(fixed.resolution, Some(FixCode::VoidInMetrc));
    assert_eq!(fixed.resolved_by.as_deref(), Some(MANAGER));
    assert!(receipt_voided(h, receipt), "inactive in Metrc now");
    let writes: Vec<_> = h
        .control
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        vec![("DELETE".to_owned(), format!("/sales/v2/receipts/{receipt}"))]
    );
    let audits = reconciliation_audits(h);
    assert_eq!(audits.len(), audits_before + 1);
    assert!(
        audits
            .iter()
            .any(|d| d.contains(&format!("voided Metrc receipt {receipt}"))
                && d.contains(difference.kind.as_str())),
        "{audits:?}"
    );
    assert!(h.db.verify_audit().unwrap().is_intact());
}

#[tokio::test]
async fn a_receipt_voided_in_metrc_directly_is_voided_only_in_metrc_and_acknowledged() {
    let h = harness().await;
    let day = today(&h);
    let actor = manager(&h);
    let (sale, receipt) = confirmed_sale(&h).await;
    h.client
        .void_receipt(&user_key(DEMO_MANAGER_KEY), DEMO_LICENSE, receipt)
        .await
        .expect("voided in Metrc, not through this register");

    let report = run(&h, day).await;
    let difference = only(&report, DifferenceKind::VoidedOnlyInMetrc);
    assert_eq!(difference.sale_id, Some(sale.record_id));
    assert_eq!(
        difference.client_id.as_deref(),
        Some(sale.client_id.as_str())
    );
    assert_eq!(difference.metrc_receipt_id, Some(receipt));
    assert_eq!(
        difference.local_value,
        Some(format!("confirmed as receipt {receipt}"))
    );
    assert_eq!(difference.metrc_value.as_deref(), Some("voided"));
    assert_eq!(difference.fix, FixCode::Acknowledge);
    assert_eq!(difference.kind.fixes(), vec![FixCode::Acknowledge]);

    let void = resolve_difference(
        &h.db,
        Some((&h.client, &user_key(DEMO_MANAGER_KEY))),
        &actor,
        difference.id,
        FixCode::VoidInMetrc,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(void.code(), "invalid_input", "a void does not fit");
    h.control.clear_request_log();
    let acknowledged = resolve_difference(
        &h.db,
        None,
        &actor,
        difference.id,
        FixCode::Acknowledge,
        Some("the customer returned it; voided at the Metrc website"),
    )
    .await
    .expect("an acknowledgement needs no key");
    assert_eq!(acknowledged.resolution, Some(FixCode::Acknowledge));
    assert!(h.control.request_log().is_empty(), "nothing reached Metrc");
    let audits = reconciliation_audits(&h);
    assert_eq!(audits.len(), 1);
    assert!(
        audits[0].contains("acknowledged voided_only_in_metrc"),
        "{audits:?}"
    );
    assert!(receipt_voided(&h, receipt));
}

#[tokio::test]
async fn a_void_confirmed_here_but_undone_in_metrc_is_void_missing_in_metrc_and_voided_again() {
    let h = harness().await;
    let day = today(&h);
    let actor = manager(&h);
    let (sale, receipt) = confirmed_sale(&h).await;
    let void =
        h.db.record_sale_void(&sale.client_id, "customer changed their mind", MANAGER)
            .unwrap();
    h.drain().await;
    assert_eq!(h.state_of(void.entry_id), EntryState::Confirmed);
    assert!(receipt_voided(&h, receipt));
    assert!(h.control.reactivate_receipt(DEMO_LICENSE, receipt as u64));

    let report = run(&h, day).await;
    let difference = only(&report, DifferenceKind::VoidMissingInMetrc);
    assert_eq!(difference.sale_id, Some(sale.record_id));
    assert_eq!(
        difference.client_id.as_deref(),
        Some(sale.client_id.as_str())
    );
    assert_eq!(difference.metrc_receipt_id, Some(receipt));
    assert_eq!(difference.local_value.as_deref(), Some("voided"));
    assert_eq!(difference.metrc_value.as_deref(), Some("active"));
    assert_eq!(difference.fix, FixCode::VoidInMetrc);
    assert_eq!(
        difference.kind.fixes(),
        vec![FixCode::VoidInMetrc, FixCode::Acknowledge]
    );

    void_in_metrc(&h, &actor, &difference).await;
    let after = run(&h, day).await;
    assert!(after.differences.is_empty(), "{:#?}", after.differences);
}

#[tokio::test]
async fn a_sale_withdrawn_after_its_reply_was_lost_is_withdrawn_but_in_metrc_and_voided() {
    let h = Harness::with(
        Seed::demo(jiff::Timestamp::now()),
        Options {
            lookup_lag_ms: LOOKUP_LAG_MS,
            reject_duplicate_external_receipt_number: true,
            ..Options::default()
        },
        test_config(),
    )
    .await;
    h.clock.set(Timestamp::now());
    let day = today(&h);
    let actor = manager(&h);
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.control.set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LostReplyReset,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1, "the POST landed");

    // Both spaced lookups miss it (Metrc has not made it visible yet), so it is sent again with
    // the same number, which Metrc refuses as already used.
    h.advance(301);
    h.pass().await;
    h.advance(61);
    h.pass().await;
    let receipt = h
        .control
        .receipts(DEMO_LICENSE)
        .into_iter()
        .find(|r| r.external_receipt_number.as_deref() == Some(sale.client_id.as_str()))
        .unwrap();
    assert!(
        Timestamp::now() < receipt.visible_at,
        "the lookups must have run while Metrc still hid the receipt (machine too slow?)"
    );
    let entry = h.db.entry(sale.entry_id).unwrap();
    assert_eq!(entry.state, EntryState::Rejected, "{entry:?}");
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1, "no second receipt");

    // The manager withdraws the refused record, believing it never reached Metrc.
    h.db.void_entry(sale.entry_id, "Metrc refused it", MANAGER)
        .unwrap();
    assert_eq!(h.state_of(sale.entry_id), EntryState::Voided);
    let hidden = receipt.visible_at.duration_since(Timestamp::now());
    tokio::time::sleep(Duration::try_from(hidden).unwrap_or_default() + Duration::from_millis(50))
        .await;

    let report = run(&h, day).await;
    let difference = only(&report, DifferenceKind::WithdrawnButInMetrc);
    assert_eq!(difference.sale_id, Some(sale.record_id));
    assert_eq!(
        difference.client_id.as_deref(),
        Some(sale.client_id.as_str())
    );
    assert_eq!(difference.metrc_receipt_id, Some(receipt.id as i64));
    assert_eq!(difference.local_value.as_deref(), Some("withdrawn"));
    assert_eq!(difference.metrc_value.as_deref(), Some("active"));
    assert_eq!(difference.fix, FixCode::VoidInMetrc);
    assert_eq!(
        difference.kind.fixes(),
        vec![FixCode::VoidInMetrc, FixCode::Acknowledge]
    );

    void_in_metrc(&h, &actor, &difference).await;
    let after = run(&h, day).await;
    assert!(after.differences.is_empty(), "{:#?}", after.differences);
}
