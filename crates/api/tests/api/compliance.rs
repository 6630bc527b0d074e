//! The compliance commands of the app facade in demo mode, against the embedded emulator:
//! verifying the audit chain (intact, then broken after an edit behind the app's back), the
//! outage report after a demo outage (CSV file in the data folder and the printable page list
//! exactly the sales made during it), reconciliation finding a receipt Metrc lost and a
//! manager's audited fix, the daily jobs (backup and yesterday's run, each once), budtenders
//! refused, and an audited deadline change.
#![cfg(feature = "demo")]

use std::time::Duration;

use app_support::{eventually, login, open, sell_first};
use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE};
use stateline_api::dto::{
    AuditQueryRequest, AuditVerificationView, BackupSettingsView, DemoFault, DemoFaultRequest,
    DifferenceKind, FixCode, LicenceRequest, OutageRequest, Receipt, ReconcileRequest,
    ResolveDifferenceRequest, StateDeadlineRequest,
};
use stateline_api::{App, AppEvent};
use stateline_compliance::DueOutcome;
use stateline_store::EntryState;
use stateline_testkit::app as app_support;

async fn confirmed(app: &App, receipt: &Receipt) {
    let db = app.database().clone();
    let id = receipt.entry_id;
    eventually(
        async || db.entry(id).unwrap().state == EntryState::Confirmed,
        "the sale is in Metrc",
    )
    .await;
}

async fn network(app: &App, down: bool) {
    app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on: down,
        user: None,
    })
    .await
    .expect("demo fault");
}

/// Today in the demo licence's time zone.
fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .date()
        .to_string()
}

fn audit_actions(entries: &[stateline_api::dto::AuditEntryView]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

async fn audit(app: &App) -> Vec<stateline_api::dto::AuditEntryView> {
    app.list_audit(AuditQueryRequest::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_verifies_intact_then_reports_the_row_edited_behind_the_apps_back() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let entries = audit(&app).await;
    assert!(entries.len() >= 2, "first run wrote entries: {entries:?}");
    let AuditVerificationView::Intact {
        entries: checked,
        head_hash,
    } = app.verify_audit().await.unwrap()
    else {
        panic!("a fresh log is intact");
    };
    assert_eq!(checked, entries.len() as u64);
    assert_eq!(head_hash.len(), 64, "a SHA-256 in hex: {head_hash}");

    let conn = rusqlite::Connection::open(dir.path().join("stateline.sqlite")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2;",
    )
    .unwrap();
    drop(conn);
    match app.verify_audit().await.unwrap() {
        AuditVerificationView::Broken { seq, reason } => {
            assert_eq!(seq, 2);
            assert!(reason.contains("edited"), "{reason}");
        }
        intact => panic!("an edited row went unnoticed: {intact:?}"),
    }
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outage_report_lists_exactly_the_sales_made_during_a_demo_outage() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let before = sell_first(&app).await;
    confirmed(&app, &before).await;

    network(&app, true).await;
    let during = [sell_first(&app).await, sell_first(&app).await];
    eventually(
        async || app.sync_status().await.unwrap().waiting == 2,
        "both sales wait while the network is down",
    )
    .await;
    network(&app, false).await;
    for receipt in &during {
        confirmed(&app, receipt).await;
    }

    let period = OutageRequest {
        from: today(),
        to: today(),
        licence: Some(DEMO_LICENSE.into()),
    };
    let csv = app.export_outage_csv(period.clone()).await.unwrap();
    assert_eq!(csv.rows, 2, "only the sales made during the outage");
    let path = std::path::PathBuf::from(&csv.path);
    assert_eq!(path.parent().unwrap(), dir.path().join("exports"));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("outage-") && name.ends_with(".csv"),
        "{name}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    for receipt in &during {
        assert!(text.contains(&receipt.client_id), "{text}");
    }
    assert!(!text.contains(&before.client_id), "{text}");
    assert!(text.contains("offline"), "why they waited: {text}");

    let page = app.outage_report_page(period.clone()).await.unwrap();
    assert_eq!(page.rows, 2);
    assert!(
        page.html.starts_with("<!DOCTYPE html>"),
        "a standalone page"
    );
    for receipt in &during {
        assert!(page.html.contains(&receipt.client_id));
    }
    assert!(!page.html.contains(&before.client_id));

    let second = app.export_outage_csv(period.clone()).await.unwrap();
    assert_ne!(second.path, csv.path, "an export never overwrites another");

    let backwards = app
        .export_outage_csv(OutageRequest {
            from: "2026-11-23".into(),
            to: "2026-11-22".into(),
            licence: None,
        })
        .await
        .unwrap_err();
    assert_eq!(backwards.code(), "invalid_input");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_finds_a_receipt_metrc_lost_and_the_managers_resend_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let kept = sell_first(&app).await;
    let lost = sell_first(&app).await;
    confirmed(&app, &kept).await;
    confirmed(&app, &lost).await;
    let control = app.demo_control().unwrap();
    let receipt = control
        .receipts(DEMO_LICENSE)
        .into_iter()
        .find(|r| r.external_receipt_number.as_deref() == Some(lost.client_id.as_str()))
        .expect("the sale reached the emulator");
    assert!(control.remove_receipt(DEMO_LICENSE, receipt.id));

    let report = app
        .reconcile_day(ReconcileRequest {
            licence: None,
            day: today(),
        })
        .await
        .unwrap();
    assert_eq!(report.run.trigger, "manual");
    assert_eq!(report.run.local_sales, 2);
    let missing: Vec<_> = report
        .differences
        .iter()
        .filter(|d| d.kind == DifferenceKind::MissingInMetrc)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", report.differences);
    let difference = missing[0];
    assert_eq!(
        difference.client_id.as_deref(),
        Some(lost.client_id.as_str())
    );
    assert_eq!(difference.suggested_fix, FixCode::ResendSale);
    assert!(difference.fixes.contains(&FixCode::ResendSale));
    assert!(!difference.fixes.contains(&FixCode::VoidInMetrc));
    assert!(
        !report
            .differences
            .iter()
            .any(|d| d.client_id.as_deref() == Some(kept.client_id.as_str())),
        "the sale Metrc has is not a difference"
    );

    let wrong = app
        .resolve_difference(ResolveDifferenceRequest {
            id: difference.id,
            fix: FixCode::VoidInMetrc,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), "invalid_input", "a void does not fit");

    let mut events = app.subscribe();
    let resolved = app
        .resolve_difference(ResolveDifferenceRequest {
            id: difference.id,
            fix: FixCode::ResendSale,
            note: Some("Metrc lost it".into()),
        })
        .await
        .unwrap();
    assert_eq!(resolved.resolution, Some(FixCode::ResendSale));
    assert_eq!(resolved.resolved_by.as_deref(), Some("Max"));
    let entries = audit(&app).await;
    let action = entries
        .iter()
        .find(|e| e.action == "reconciliation_action")
        .expect("the fix is in the audit log");
    assert_eq!(action.actor.as_deref(), Some("Max"));
    assert!(action.detail.contains(&lost.client_id), "{}", action.detail);
    let mut heard = Vec::new();
    while let Ok(event) = events.try_recv() {
        heard.push(event.name());
    }
    assert!(heard.contains(&"audit_appended"), "{heard:?}");
    assert!(heard.contains(&"records_changed"), "{heard:?}");
    eventually(
        async || {
            control.receipts(DEMO_LICENSE).iter().any(|r| {
                r.external_receipt_number
                    .as_deref()
                    .is_some_and(|n| n != lost.client_id && n != kept.client_id)
            })
        },
        "the copy reached Metrc under a new receipt number",
    )
    .await;

    let overview = app
        .reconciliation_overview(LicenceRequest { licence: None })
        .await
        .unwrap();
    assert_eq!(overview.runs.first().map(|r| r.id), Some(report.run.id));
    assert!(overview.last_daily.is_none(), "no daily run yet");
    let again = app
        .reconciliation_run(stateline_api::dto::RunIdRequest { id: report.run.id })
        .await
        .unwrap();
    assert_eq!(
        again
            .differences
            .iter()
            .find(|d| d.id == difference.id)
            .unwrap()
            .resolution,
        Some(FixCode::ResendSale)
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_jobs_back_up_and_reconcile_yesterday_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let overview = app
        .set_backup_settings(BackupSettingsView {
            daily_at: "00:00".into(),
            keep: 3,
            time_zone: Some("UTC".into()),
        })
        .await
        .unwrap();
    assert!(overview.due, "past midnight UTC with no backup yet");
    assert!(overview.backups.is_empty());
    assert!(
        overview.restore_command.contains("backup restore"),
        "{}",
        overview.restore_command
    );

    let blocker = dir.path().join("backups");
    std::fs::write(&blocker, "not a folder").unwrap();
    let first = app.run_daily_jobs().await;
    assert!(first.backup.is_none());
    assert!(first.backup_error.is_some());
    assert_eq!(first.reconciliation.len(), 1);
    let ran = &first.reconciliation[0];
    assert_eq!(ran.licence, DEMO_LICENSE);
    assert!(
        matches!(ran.outcome, DueOutcome::Ran { .. }),
        "read with the manager's key although the backup failed: {:?}",
        ran.outcome
    );
    std::fs::remove_file(&blocker).unwrap();
    let failure = app.backup_overview().await.unwrap().last_failure;
    assert!(
        failure.as_deref().is_some_and(|f| f.contains("backup")),
        "the last failure is shown until the next check: {failure:?}"
    );

    let second = app.run_daily_jobs().await;
    let taken = second
        .backup
        .expect("the due backup was taken at the next check");
    assert!(taken.path.exists());
    assert_eq!(app.backup_overview().await.unwrap().last_failure, None);
    assert_eq!(second.reconciliation[0].outcome, DueOutcome::AlreadyRan);

    let third = app.run_daily_jobs().await;
    assert!(third.backup.is_none(), "one backup a day");

    let backups = app.backup_overview().await.unwrap();
    assert_eq!(backups.backups.len(), 1);
    assert!(!backups.due);
    let now = app.backup_now().await.unwrap();
    assert_eq!(
        app.backup_overview().await.unwrap().backups[0].path,
        now.path
    );

    let overview = app
        .reconciliation_overview(LicenceRequest { licence: None })
        .await
        .unwrap();
    let daily = overview.last_daily.expect("the daily run is shown");
    assert_eq!(daily.run.trigger, "daily");
    assert_eq!(daily.run.day, ran.day);
    assert_eq!(overview.daily_checks.len(), 1);
    assert_eq!(overview.daily_checks[0].outcome, "already_ran");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budtender_is_refused_and_a_managers_deadline_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let mut events = app.subscribe();
    let changed = app
        .set_state_deadline(StateDeadlineRequest {
            state: "co".into(),
            hours: 12,
        })
        .await
        .unwrap();
    assert_eq!((changed.state.as_str(), changed.hours), ("CO", 12));
    assert!(!changed.assumed);
    assert_eq!(changed.updated_by.as_deref(), Some("Max"));
    let listed = app.state_deadlines().await.unwrap();
    assert!(listed.iter().any(|d| d.state == "CO" && d.hours == 12));
    assert!(listed.iter().any(|d| d.state == "WA" && d.assumed));
    let entries = audit(&app).await;
    let entry = entries
        .iter()
        .find(|e| e.action == "deadline_changed")
        .unwrap_or_else(|| panic!("{:?}", audit_actions(&entries)));
    assert_eq!(entry.subject, "state CO");
    assert!(entry.detail.contains("12 h"), "{}", entry.detail);
    let mut heard_audit = false;
    while let Ok(event) = events.try_recv() {
        heard_audit |=
            matches!(event, AppEvent::AuditAppended(ref a) if a.action == "deadline_changed");
    }
    assert!(heard_audit);
    let out_of_range = app
        .set_state_deadline(StateDeadlineRequest {
            state: "CO".into(),
            hours: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(out_of_range.code(), "invalid_input");

    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    let day = today();
    let period = OutageRequest {
        from: day.clone(),
        to: day.clone(),
        licence: None,
    };
    let refusals = [
        app.verify_audit().await.err(),
        app.export_outage_csv(period.clone()).await.err(),
        app.outage_report_page(period).await.err(),
        app.reconcile_day(ReconcileRequest { licence: None, day })
            .await
            .err(),
        app.reconciliation_overview(LicenceRequest { licence: None })
            .await
            .err(),
        app.resolve_difference(ResolveDifferenceRequest {
            id: 1,
            fix: FixCode::Acknowledge,
            note: None,
        })
        .await
        .err(),
        app.set_state_deadline(StateDeadlineRequest {
            state: "CO".into(),
            hours: 1,
        })
        .await
        .err(),
        app.backup_overview().await.err(),
        app.backup_now().await.err(),
    ];
    for (i, refusal) in refusals.into_iter().enumerate() {
        let code = refusal.map(|e| e.code());
        assert_eq!(code, Some("not_allowed"), "command #{i}");
    }
    assert!(
        !dir.path().join("exports").exists(),
        "nothing was written for her"
    );
    assert_eq!(
        app.state_deadlines()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.state == "CO")
            .unwrap()
            .hours,
        12,
        "her refused change changed nothing"
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}
