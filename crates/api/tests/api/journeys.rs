//! Demo-mode journeys through the app facade against the embedded emulator: an outage starts and
//! ends (selling goes on, the chip says why, the backlog drains, every sale lands once with its
//! original time), a key is revoked mid-shift (that budtender's records wait and she is asked for
//! a new key; the others keep flowing), and licence discovery and binding in the wizard.
#![cfg(feature = "demo")]

use std::time::Duration;

use app_support::{eventually, login, open, sell_first};
use metrc_emulator::{DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY};
use stateline_api::dto::{
    BacklogRequest, BindLicencesRequest, CartLine, DemoFault, DemoFaultRequest, DiscoverRequest,
    Health, KeyOwnerRef, LicenceBinding, SetKeyRequest,
};
use stateline_api::{App, AppEvent};
use stateline_store::EntryState;
use stateline_testkit::app as app_support;

async fn fault(app: &App, fault: DemoFault, on: bool, user: Option<&str>) -> String {
    app.set_demo_fault(DemoFaultRequest {
        fault,
        on,
        user: user.map(str::to_owned),
    })
    .await
    .expect("demo fault")
    .into_iter()
    .find(|f| f.fault == fault)
    .map(|f| f.description)
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_does_not_stop_selling_and_the_backlog_drains_once_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let mut events = app.subscribe();
    fault(&app, DemoFault::NetworkDown, true, None).await;
    let mut receipts = Vec::new();
    for _ in 0..3 {
        receipts.push(sell_first(&app).await);
    }
    eventually(
        async || {
            let s = app.sync_status().await.unwrap();
            s.health == Health::Offline && s.waiting == 3
        },
        "the chip says offline with three records waiting",
    )
    .await;

    fault(&app, DemoFault::NetworkDown, false, None).await;
    eventually(
        async || app.sync_status().await.unwrap().waiting == 0,
        "the backlog drained",
    )
    .await;
    assert_eq!(app.sync_status().await.unwrap().health, Health::InStep);
    let control = app.demo_control().unwrap();
    let landed = control.receipts(DEMO_LICENSE);
    for receipt in &receipts {
        let copies: Vec<_> = landed
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(receipt.client_id.as_str()))
            .collect();
        assert_eq!(
            copies.len(),
            1,
            "sale {} landed exactly once",
            receipt.client_id
        );
    }
    let mut saw_offline = false;
    let mut last = None;
    while let Ok(event) = events.try_recv() {
        if let AppEvent::Status(s) = event {
            saw_offline |= s.health == Health::Offline;
            last = Some(s);
        }
    }
    assert!(saw_offline, "a status_changed event said offline");
    let last = last.expect("status events");
    assert_eq!(
        (last.waiting, last.drain),
        (0, None),
        "the last event says in step"
    );
    let series = app
        .backlog_series(BacklogRequest { hours: Some(1) })
        .await
        .unwrap();
    assert!(series.iter().any(|p| p.waiting > 0), "{series:?}");
    assert_eq!(series.last().unwrap().waiting, 0);
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_holds_only_that_budtenders_records_until_she_pastes_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    app.set_key(SetKeyRequest {
        owner: KeyOwnerRef::User { user: "Bea".into() },
        key: DEMO_BUDTENDER_KEY.into(),
    })
    .await
    .expect("Bea's key");
    fault(&app, DemoFault::RevokeKey, true, Some("Bea")).await;
    let hers = sell_first(&app).await;
    let db = app.database().clone();
    eventually(
        async || db.entry(hers.entry_id).unwrap().state == EntryState::WaitingForKey,
        "Bea's sale waits for her key",
    )
    .await;
    // The engine publishes its status after the records' state changed, so wait for it too.
    eventually(
        async || app.sync_status().await.unwrap().health == Health::KeyProblem,
        "the status says a key has a problem",
    )
    .await;
    let status = app.sync_status().await.unwrap();
    assert_eq!(status.health, Health::KeyProblem);
    assert!(
        status
            .users
            .iter()
            .any(|u| u.user == "Bea" && u.key_problem.is_some()),
        "{status:?}"
    );

    app.logout().await.unwrap();
    login(&app, "Max", "2468").await;
    let his = sell_first(&app).await;
    eventually(
        async || db.entry(his.entry_id).unwrap().state == EntryState::Confirmed,
        "the manager's sale goes on flowing",
    )
    .await;
    let description = fault(&app, DemoFault::RevokeKey, false, None).await;
    let new_key = description
        .split("new key ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the demo panel names the new key")
        .to_owned();
    assert_ne!(new_key, DEMO_BUDTENDER_KEY);
    assert_ne!(new_key, DEMO_MANAGER_KEY);

    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    let saved = app
        .set_key(SetKeyRequest {
            owner: KeyOwnerRef::User { user: "Bea".into() },
            key: new_key.into(),
        })
        .await
        .expect("Bea pastes her new key");
    assert!(saved.released >= 1, "her waiting sale was released");
    eventually(
        async || db.entry(hers.entry_id).unwrap().state == EntryState::Confirmed,
        "Bea's sale reaches Metrc under her new key",
    )
    .await;
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_discovers_licences_and_refuses_a_bad_time_zone_without_binding() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let found = app
        .discover_licences(DiscoverRequest {
            key: Some(DEMO_MANAGER_KEY.into()),
        })
        .await
        .expect("discovery");
    let demo = found
        .iter()
        .find(|l| l.number == DEMO_LICENSE)
        .expect("the demo licence");
    assert!(demo.bound);
    assert!(demo.can_sell);
    let saved_key = app
        .discover_licences(DiscoverRequest { key: None })
        .await
        .expect("discovery with the saved key");
    assert!(saved_key.iter().any(|l| l.number == DEMO_LICENSE));

    let err = app
        .bind_licences(BindLicencesRequest {
            licences: vec![LicenceBinding {
                number: "403R-09999".into(),
                name: "Elsewhere".into(),
                time_zone: "Mars/Olympus".into(),
                reporting_deadline_hours: 24,
                object_limit: None,
                requires_patient_number: false,
                requires_caregiver_number: false,
                requires_identification_method: false,
                sells_to_consumers: true,
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_time_zone");
    let state = app.app_state().await.unwrap();
    assert_eq!(state.licences.len(), 1, "nothing was bound");

    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    let err = app
        .discover_licences(DiscoverRequest { key: None })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_edits_and_resends_one_rejected_sale_and_voids_another_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let control = app.demo_control().unwrap();
    let first = sell_first(&app).await;
    let db = app.database().clone();
    eventually(
        async || db.entry(first.entry_id).unwrap().state == EntryState::Confirmed,
        "the first sale is confirmed",
    )
    .await;
    let label = first.lines[0].label.clone();
    assert!(control.set_package_quantity(DEMO_LICENSE, &label, 0.0));
    let refused = sell_first(&app).await;
    let withdrawn = sell_first(&app).await;
    for receipt in [&refused, &withdrawn] {
        eventually(
            async || db.entry(receipt.entry_id).unwrap().state == EntryState::Rejected,
            "Metrc refuses a sale of an empty package",
        )
        .await;
    }
    let history = app
        .entry_history(stateline_api::dto::EntryIdRequest {
            id: refused.entry_id,
        })
        .await
        .unwrap();
    assert!(matches!(
        history.content,
        stateline_api::dto::RecordContent::Sale { .. }
    ));
    assert!(
        history
            .attempts
            .iter()
            .any(|a| a.outcome.as_deref() == Some("rejected")),
        "{history:?}"
    );

    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    let edit = stateline_api::dto::EditRejectedRequest {
        id: refused.entry_id,
        edit: stateline_api::dto::RejectedEditView::SaleLines {
            lines: vec![CartLine {
                label: label.clone(),
                quantity: "1".into(),
                price: "6.00".into(),
            }],
        },
    };
    assert_eq!(
        app.edit_and_resend(edit.clone()).await.unwrap_err().code(),
        "not_allowed"
    );
    app.logout().await.unwrap();
    login(&app, "Max", "2468").await;
    assert!(control.set_package_quantity(DEMO_LICENSE, &label, 50.0));
    app.edit_and_resend(edit).await.expect("resent");
    eventually(
        async || db.entry(refused.entry_id).unwrap().state == EntryState::Confirmed,
        "the edited sale reaches Metrc",
    )
    .await;
    assert!(
        control
            .receipts(DEMO_LICENSE)
            .iter()
            .any(
                |r| r.external_receipt_number.as_deref() == Some(refused.client_id.as_str())
                    && (r.transactions[0].total_amount - 6.0).abs() < 1e-9
            ),
        "Metrc holds the edited line"
    );

    let voided = app
        .void_entry(stateline_api::dto::VoidRequest {
            id: withdrawn.entry_id,
            reason: "rung up twice".into(),
        })
        .await
        .expect("voided");
    assert_eq!(voided.void_reason.as_deref(), Some("rung up twice"));
    let audit = app.list_audit(Default::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor.as_deref() == Some("Max") && e.detail.contains("rung up twice")),
        "{audit:?}"
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_adjusts_splits_and_reads_the_incoming_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let package = app
        .list_packages(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.unit_of_measure == "Grams")
        .expect("a package in grams");
    let reasons = app
        .adjust_reasons(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .unwrap();
    let theft = reasons
        .iter()
        .find(|r| r.requires_note)
        .expect("a reason needing a note");
    let err = app
        .adjust_package(stateline_api::dto::AdjustRequest {
            label: package.label.clone(),
            quantity: "-1".into(),
            reason: theft.name.clone(),
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "note_required");
    app.adjust_package(stateline_api::dto::AdjustRequest {
        label: package.label.clone(),
        quantity: "-1.5".into(),
        reason: theft.name.clone(),
        note: Some("shelf count".into()),
    })
    .await
    .expect("adjusted");
    let split = app
        .new_packages(stateline_api::dto::NewPackagesRequest {
            outputs: ["1A4FF0100000022000009001", "1A4FF0100000022000009002"]
                .into_iter()
                .map(|tag| stateline_api::dto::NewPackageRequest {
                    tag: tag.into(),
                    item_name: None,
                    quantity: "2".into(),
                    ingredients: vec![stateline_api::dto::IngredientRequest {
                        label: package.label.clone(),
                        quantity: "2".into(),
                    }],
                })
                .collect(),
        })
        .await
        .expect("split into two new tags");
    assert_eq!(split.len(), 2);
    let after = app
        .list_packages(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .unwrap();
    let source = after.iter().find(|p| p.label == package.label).unwrap();
    let before: f64 = package.on_hand.parse().unwrap();
    let now: f64 = source.on_hand.parse().unwrap();
    assert!((before - now - 5.5).abs() < 1e-9, "{before} -> {now}");
    assert!(
        after
            .iter()
            .any(|p| p.label.ends_with("9001") && p.local_only)
    );

    let manifests = app
        .incoming_manifests(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .expect("manifests while online");
    assert_eq!(manifests.len(), 1);
    assert_eq!(manifests[0].packages.len(), 3);
    fault(&app, DemoFault::NetworkDown, true, None).await;
    let err = app
        .incoming_manifests(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .unwrap_err();
    assert!(err.code().starts_with("metrc_"), "{err}");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}
