//! Demo-mode journeys through the app facade against the embedded emulator: an outage starts and
//! ends (selling goes on, the chip says why, the backlog drains, every sale lands once with its
//! original time), a key is revoked mid-shift (that budtender's records wait and she is asked for
//! a new key; the others keep flowing), and licence discovery and binding in the wizard.
#![cfg(feature = "demo")]

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use metrc_emulator::{DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY};
use stateline_core::EntryState;
use stateline_core::app::dto::{
    BacklogRequest, BindLicencesRequest, CartLine, CreateManagerRequest, DemoFault,
    DemoFaultRequest, DiscoverRequest, Health, KeyOwnerRef, LicenceBinding, LoginRequest,
    SaleRequest, SearchRequest, SetKeyRequest,
};
use stateline_core::app::{App, AppConfig, AppEvent};
use stateline_core::delivery::{BackoffPolicy, DeliveryConfig};
use stateline_core::secrets::MemoryStore;

async fn open(dir: &std::path::Path) -> App {
    let mut config = AppConfig::new(dir, Arc::new(MemoryStore::new()));
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_millis(1500);
    config.rng_seed = Some(9);
    config.delivery = DeliveryConfig {
        settle: SignedDuration::from_millis(300),
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
        },
        seed: 3,
        ..DeliveryConfig::default()
    };
    let app = App::open(config).await.expect("the app opens");
    app.create_first_manager(CreateManagerRequest {
        name: "Max".into(),
        pin: "2468".into(),
    })
    .await
    .expect("first manager");
    app
}

async fn login(app: &App, name: &str, pin: &str) {
    app.login(LoginRequest {
        name: name.into(),
        pin: pin.into(),
    })
    .await
    .expect("login");
}

async fn sell_first(app: &App) -> stateline_core::app::dto::Receipt {
    let package = app
        .search_packages(SearchRequest {
            query: String::new(),
            licence: None,
            limit: Some(1),
        })
        .await
        .unwrap()
        .remove(0);
    app.complete_sale(SaleRequest {
        licence: None,
        lines: vec![CartLine {
            label: package.label,
            quantity: "1".into(),
            price: "5.00".into(),
        }],
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
    })
    .await
    .expect("selling never waits on Metrc")
}

async fn eventually(mut done: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

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
            key: new_key,
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
