//! Reconciliation against the Metrc emulator: a receipt Metrc lost, a foreign duplicate, a
//! changed quantity and an unknown receipt are each found; a run only reads; the daily run runs
//! once; a manager's fix is audited and a budtender's is refused; only a void needs a key.

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, Receipt, SaleLine};
use stateline_compliance::{
    DifferenceKind, DueOutcome, FixCode, ReconciliationStore, RunReport, Trigger, reconcile_day,
    reconcile_due, resolve_difference,
};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{Actor, Clock, EntryState, Pin, Role};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, MANAGER, user_key};

const MANAGER_PIN: &str = "48151623";
const BUDTENDER_PIN: &str = "42424242";

/// A harness whose clock starts at the real time (the emulator stamps receipts with it).
async fn harness() -> Harness {
    let h = Harness::new().await;
    h.clock.set(Timestamp::now());
    h
}

fn local_day(at: Timestamp) -> jiff::civil::Date {
    at.to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .date()
}

fn local_time(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S.000")
        .to_string()
}

fn staff(h: &Harness) -> (Actor, Actor) {
    let manager =
        h.db.create_first_manager(MANAGER, &Pin::new(MANAGER_PIN))
            .unwrap()
            .actor;
    h.db.add_user(
        &manager,
        BUDTENDER,
        Role::Budtender,
        &Pin::new(BUDTENDER_PIN),
    )
    .unwrap();
    let budtender =
        h.db.verify_pin(BUDTENDER, &Pin::new(BUDTENDER_PIN))
            .unwrap()
            .actor;
    (manager, budtender)
}

struct Prepared {
    lost: String,
    duplicated: String,
    duplicate_id: i64,
    changed: String,
    foreign_id: i64,
    made_at: Timestamp,
}

/// Three confirmed sales, then in Metrc: the first lost, the second duplicated by another
/// system, the third's quantity changed, and one receipt nobody here made.
async fn prepare(h: &Harness) -> Prepared {
    let made_at = h.clock.now();
    let label = h.package("Grams", 0).label;
    let lost = h.sell(BUDTENDER, &label, "1");
    let duplicated = h.sell(BUDTENDER, &label, "1");
    let changed = h.sell(BUDTENDER, &label, "1");
    h.drain().await;
    let metrc_id = |id: i64| h.db.entry(id).unwrap().metrc_id.unwrap() as u64;
    assert!(
        h.control
            .remove_receipt(DEMO_LICENSE, metrc_id(lost.entry_id))
    );
    let line = SaleLine {
        package_label: label.clone(),
        quantity: 1.0,
        unit_of_measure: "Grams".into(),
        total_amount: 12.5,
    };
    let duplicate_id = h.control.insert_receipt(Receipt::new_simple(
        h.control.now(),
        DEMO_LICENSE,
        Some(&duplicated.client_id),
        &local_time(made_at),
        vec![line.clone()],
    )) as i64;
    assert!(
        h.control
            .set_receipt_line_quantity(DEMO_LICENSE, metrc_id(changed.entry_id), 0, 2.0)
    );
    let foreign_id = h.control.insert_receipt(Receipt::new_simple(
        h.control.now(),
        DEMO_LICENSE,
        Some("OTHER-POS-77"),
        &local_time(made_at),
        vec![line],
    )) as i64;
    // Metrc's stamps are real time; move the register's clock past them.
    h.advance(3600);
    Prepared {
        lost: lost.client_id,
        duplicated: duplicated.client_id,
        duplicate_id,
        changed: changed.client_id,
        foreign_id,
        made_at,
    }
}

async fn run(h: &Harness, day: jiff::civil::Date) -> RunReport {
    reconcile_day(
        &h.db,
        &h.client,
        &user_key(DEMO_MANAGER_KEY),
        DEMO_LICENSE,
        day,
        Trigger::Manual,
    )
    .await
    .expect("reconciliation runs")
}

fn find(report: &RunReport, kind: DifferenceKind) -> &stateline_compliance::Difference {
    report
        .differences
        .iter()
        .find(|d| d.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in {:#?}", report.differences))
}

#[tokio::test]
async fn each_prepared_difference_is_found_and_the_run_only_reads() {
    let h = harness().await;
    let p = prepare(&h).await;
    h.control.clear_request_log();
    let report = run(&h, local_day(p.made_at)).await;

    let mut kinds: Vec<_> = report.differences.iter().map(|d| d.kind).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            DifferenceKind::MissingInMetrc,
            DifferenceKind::UnknownExternalNumber,
            DifferenceKind::DuplicateExternalNumber,
            DifferenceKind::QuantityDiffers,
        ],
        "{:#?}",
        report.differences
    );
    let missing = find(&report, DifferenceKind::MissingInMetrc);
    assert_eq!(missing.client_id.as_deref(), Some(p.lost.as_str()));
    assert_eq!(missing.fix, FixCode::ResendSale);
    assert_eq!(missing.metrc_value.as_deref(), Some("not found"));
    assert!(
        missing
            .local_value
            .as_deref()
            .unwrap()
            .starts_with("confirmed as receipt ")
    );
    let duplicate = find(&report, DifferenceKind::DuplicateExternalNumber);
    assert_eq!(duplicate.client_id.as_deref(), Some(p.duplicated.as_str()));
    assert_eq!(duplicate.metrc_receipt_id, Some(p.duplicate_id));
    assert_eq!(duplicate.fix, FixCode::VoidInMetrc);
    let changed = find(&report, DifferenceKind::QuantityDiffers);
    assert_eq!(changed.client_id.as_deref(), Some(p.changed.as_str()));
    assert_eq!(changed.local_value.as_deref(), Some("1"));
    assert_eq!(changed.metrc_value.as_deref(), Some("2"));
    assert_eq!(changed.fix, FixCode::ResendCorrection);
    let unknown = find(&report, DifferenceKind::UnknownExternalNumber);
    assert_eq!(unknown.metrc_receipt_id, Some(p.foreign_id));
    assert!(report.differences.iter().all(|d| !d.fix_text.is_empty()));
    assert_eq!(report.run.local_sales, 3);

    let log = h.control.request_log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "a run must only read: {log:?}"
    );
    let stored = h.db.reconciliation_run(report.run.id).unwrap();
    assert_eq!(stored, report);
}

#[tokio::test]
async fn a_clean_day_has_no_differences() {
    let h = harness().await;
    let label = h.package("Each", 0).label;
    h.sell(BUDTENDER, &label, "2");
    h.drain().await;
    // The day of the sale, read before the clock moves (it may cross midnight in Denver).
    let day = local_day(h.clock.now());
    h.advance(600);
    let report = run(&h, day).await;
    assert!(report.differences.is_empty(), "{:#?}", report.differences);
    assert_eq!(report.run.metrc_receipts, 1);
}

#[tokio::test]
async fn the_daily_run_compares_yesterday_once() {
    let h = harness().await;
    let p = prepare(&h).await;
    h.clock.set(p.made_at + SignedDuration::from_hours(24));
    let key = |_: &str| Some(user_key(DEMO_MANAGER_KEY));
    let first = reconcile_due(&h.db, &h.client, &key, h.clock.now())
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].day, local_day(p.made_at).to_string());
    let DueOutcome::Ran { run } = &first[0].outcome else {
        panic!("expected a run: {first:?}");
    };
    assert_eq!(run.differences, 4);
    // Later the same day (up to an hour, never past Denver's midnight: then another day is due).
    let zone = jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap();
    let now = h.clock.now().to_zoned(zone.clone());
    let midnight = now
        .date()
        .tomorrow()
        .unwrap()
        .to_zoned(zone)
        .unwrap()
        .timestamp();
    let left = midnight.duration_since(h.clock.now()).as_secs();
    h.advance((left - 1).clamp(0, 3600));
    let second = reconcile_due(&h.db, &h.client, &key, h.clock.now())
        .await
        .unwrap();
    assert_eq!(second[0].outcome, DueOutcome::AlreadyRan);
    assert_eq!(h.db.reconciliation_runs(None, 10).unwrap().len(), 1);

    let none = |_: &str| None;
    h.advance(24 * 3600);
    let keyless = reconcile_due(&h.db, &h.client, &none, h.clock.now())
        .await
        .unwrap();
    assert_eq!(keyless[0].outcome, DueOutcome::NoKey);
}

fn reconciliation_audits(h: &Harness) -> usize {
    h.db.audit_entries(&AuditQuery {
        action: Some(AuditAction::ReconciliationAction),
        ..AuditQuery::default()
    })
    .unwrap()
    .len()
}

#[tokio::test]
async fn a_managers_fixes_are_audited_and_a_budtender_is_refused() {
    let h = harness().await;
    let (manager, budtender) = staff(&h);
    let p = prepare(&h).await;
    let day = local_day(p.made_at);
    let report = run(&h, day).await;
    let key = user_key(DEMO_MANAGER_KEY);
    let duplicate = find(&report, DifferenceKind::DuplicateExternalNumber).clone();

    let refused = resolve_difference(
        &h.db,
        Some((&h.client, &key)),
        &budtender,
        duplicate.id,
        FixCode::VoidInMetrc,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "not_allowed");
    assert_eq!(reconciliation_audits(&h), 0);
    let still_active = h
        .control
        .receipts(DEMO_LICENSE)
        .into_iter()
        .find(|r| r.id as i64 == p.duplicate_id)
        .unwrap();
    assert!(!still_active.voided);

    let wrong_fix = resolve_difference(
        &h.db,
        Some((&h.client, &key)),
        &manager,
        duplicate.id,
        FixCode::ResendSale,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong_fix.code(), "invalid_input");

    let voided = resolve_difference(
        &h.db,
        Some((&h.client, &key)),
        &manager,
        duplicate.id,
        FixCode::VoidInMetrc,
        Some("double-posted by the old POS"),
    )
    .await
    .unwrap();
    assert_eq!(voided.resolution, Some(FixCode::VoidInMetrc));
    assert_eq!(voided.resolved_by.as_deref(), Some(MANAGER));
    assert!(
        h.control
            .receipts(DEMO_LICENSE)
            .iter()
            .any(|r| r.id as i64 == p.duplicate_id && r.voided)
    );
    let again = resolve_difference(
        &h.db,
        Some((&h.client, &key)),
        &manager,
        duplicate.id,
        FixCode::Acknowledge,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), "invalid_input");

    // Only a void talks to Metrc: the other fixes are made with no key at all.
    let missing = find(&report, DifferenceKind::MissingInMetrc).clone();
    resolve_difference(&h.db, None, &manager, missing.id, FixCode::ResendSale, None)
        .await
        .unwrap();
    let changed = find(&report, DifferenceKind::QuantityDiffers).clone();
    resolve_difference(
        &h.db,
        None,
        &manager,
        changed.id,
        FixCode::ResendCorrection,
        None,
    )
    .await
    .unwrap();
    let unknown = find(&report, DifferenceKind::UnknownExternalNumber).clone();
    resolve_difference(
        &h.db,
        None,
        &manager,
        unknown.id,
        FixCode::Acknowledge,
        Some("made by the delivery service"),
    )
    .await
    .unwrap();

    let entries =
        h.db.audit_entries(&AuditQuery {
            action: Some(AuditAction::ReconciliationAction),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 4);
    assert!(entries.iter().all(|e| e.actor.as_deref() == Some(MANAGER)));
    assert!(entries.iter().any(|e| {
        e.detail
            .contains(&format!("voided Metrc receipt {}", p.duplicate_id))
    }));
    assert!(entries.iter().any(|e| e.detail.contains(&p.lost)));
    assert!(h.db.verify_audit().unwrap().is_intact());

    // The re-sent copy and the correction reach Metrc; the next run finds only the receipt
    // the manager acknowledged.
    h.drain().await;
    assert_eq!(h.count(EntryState::Rejected), 0);
    h.advance(3600);
    let after = run(&h, day).await;
    let kinds: Vec<_> = after.differences.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        vec![DifferenceKind::UnknownExternalNumber],
        "{:#?}",
        after.differences
    );
}

#[tokio::test]
async fn only_a_void_needs_a_key_and_a_keyless_void_changes_nothing() {
    let h = harness().await;
    let (manager, _) = staff(&h);
    let p = prepare(&h).await;
    let report = run(&h, local_day(p.made_at)).await;
    let duplicate = find(&report, DifferenceKind::DuplicateExternalNumber).clone();
    h.control.clear_request_log();

    let refused = resolve_difference(
        &h.db,
        None,
        &manager,
        duplicate.id,
        FixCode::VoidInMetrc,
        Some("no key on this register"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "no_key", "{refused}");
    let unresolved = h.db.reconciliation_difference(duplicate.id).unwrap();
    assert_eq!(
        unresolved, duplicate,
        "a refused void leaves the difference as it was"
    );
    assert_eq!(reconciliation_audits(&h), 0);
    assert!(h.control.request_log().is_empty(), "nothing reached Metrc");
    assert!(
        h.control
            .receipts(DEMO_LICENSE)
            .iter()
            .any(|r| r.id as i64 == p.duplicate_id && !r.voided)
    );

    // A fix that does not fit is still refused as such, key or not.
    let missing = find(&report, DifferenceKind::MissingInMetrc).clone();
    let wrong = resolve_difference(
        &h.db,
        None,
        &manager,
        missing.id,
        FixCode::VoidInMetrc,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code(), "invalid_input");

    let acknowledged = resolve_difference(
        &h.db,
        None,
        &manager,
        duplicate.id,
        FixCode::Acknowledge,
        Some("the old POS posted it twice; voided by hand"),
    )
    .await
    .unwrap();
    assert_eq!(acknowledged.resolution, Some(FixCode::Acknowledge));
    let resent = resolve_difference(&h.db, None, &manager, missing.id, FixCode::ResendSale, None)
        .await
        .unwrap();
    assert_eq!(resent.resolution, Some(FixCode::ResendSale));
    assert_eq!(reconciliation_audits(&h), 2);
    assert!(
        h.control.request_log().is_empty(),
        "neither fix talked to Metrc"
    );
    assert!(h.db.verify_audit().unwrap().is_intact());
}

#[tokio::test]
async fn a_lost_receipt_is_found_when_metrc_answers_401_for_unknown_numbers() {
    let h = Harness::with(
        metrc_emulator::Seed::demo(jiff::Timestamp::now()),
        metrc_emulator::Options {
            external_lookup_unknown_status: 401,
            ..metrc_emulator::Options::default()
        },
        support::test_config(),
    )
    .await;
    h.clock.set(Timestamp::now());
    let p = prepare(&h).await;
    let report = run(&h, local_day(p.made_at)).await;
    let missing = find(&report, DifferenceKind::MissingInMetrc);
    assert_eq!(missing.client_id.as_deref(), Some(p.lost.as_str()));
}
