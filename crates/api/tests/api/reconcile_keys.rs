//! The app facade's `resolve_difference` in demo mode, against the embedded emulator: only a
//! void looks for the manager's Metrc key, so with the key cleared a void is refused with
//! `no_key` (the difference stays open, nothing is audited, Metrc is not written to) while an
//! acknowledgement goes through.
#![cfg(feature = "demo")]

use std::time::Duration;

use app_support::open;
use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE, Receipt, SaleLine};
use stateline_api::App;
use stateline_api::dto::{
    AuditQueryRequest, DifferenceKind, FixCode, KeyOwnerRef, KeyOwnerRequest, ReconcileRequest,
    ResolveDifferenceRequest, RunIdRequest,
};
use stateline_testkit::app as app_support;

const LABEL: &str = "1A4FF0100000022000000001";

fn local_now() -> jiff::Zoned {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
}

async fn fix_audits(app: &App) -> usize {
    app.list_audit(AuditQueryRequest::default())
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "reconciliation_action")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_key_saved_a_void_is_refused_and_an_acknowledgement_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let control = app.demo_control().unwrap();
    let foreign = control.insert_receipt(Receipt::new_simple(
        control.now(),
        DEMO_LICENSE,
        Some("OTHER-POS-5"),
        &local_now()
            .datetime()
            .strftime("%Y-%m-%dT%H:%M:%S.000")
            .to_string(),
        vec![SaleLine {
            package_label: LABEL.into(),
            quantity: 1.0,
            unit_of_measure: "Grams".into(),
            total_amount: 10.0,
        }],
    ));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let report = app
        .reconcile_day(ReconcileRequest {
            licence: None,
            day: local_now().date().to_string(),
        })
        .await
        .unwrap();
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    let difference = &report.differences[0];
    assert_eq!(difference.kind, DifferenceKind::UnknownExternalNumber);
    assert!(difference.fixes.contains(&FixCode::VoidInMetrc));

    app.clear_key(KeyOwnerRequest {
        owner: KeyOwnerRef::User { user: "Max".into() },
    })
    .await
    .expect("the manager clears their key");
    control.clear_request_log();
    let refused = app
        .resolve_difference(ResolveDifferenceRequest {
            id: difference.id,
            fix: FixCode::VoidInMetrc,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "no_key", "{refused}");
    let stored = app
        .reconciliation_run(RunIdRequest { id: report.run.id })
        .await
        .unwrap();
    assert_eq!(stored.differences[0].resolution, None);
    assert_eq!(fix_audits(&app).await, 0);
    assert!(
        control
            .request_log()
            .iter()
            .all(|r| r.method == "GET" || r.path.starts_with("/__emulator")),
        "no void reached Metrc: {:?}",
        control.request_log()
    );
    assert!(
        control
            .receipts(DEMO_LICENSE)
            .iter()
            .any(|r| r.id == foreign && !r.voided)
    );

    let acknowledged = app
        .resolve_difference(ResolveDifferenceRequest {
            id: difference.id,
            fix: FixCode::Acknowledge,
            note: Some("made by the delivery service".into()),
        })
        .await
        .expect("an acknowledgement needs no key");
    assert_eq!(acknowledged.resolution, Some(FixCode::Acknowledge));
    assert_eq!(acknowledged.resolved_by.as_deref(), Some("Max"));
    assert_eq!(fix_audits(&app).await, 1);
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}
