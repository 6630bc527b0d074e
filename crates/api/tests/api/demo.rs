//! The app facade in demo mode, against the embedded emulator: first run, login and lockout, the
//! key prompt, selling to a receipt that reaches Metrc, voids need a manager, the idle lock, and
//! the events the UI listens to.
#![cfg(feature = "demo")]

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use metrc_emulator::{DEMO_BUDTENDER_KEY, DEMO_LICENSE};
use stateline_api::dto::{
    AddUserRequest, CartLine, CreateManagerRequest, DemoFault, DemoFaultRequest, EntryQuery,
    EntryState, KeyOwnerRef, LoginRequest, Phase, ResetPinRequest, Role, SaleRequest,
    SearchRequest, SetKeyRequest, SettingsUpdate, VoidRequest,
};
use stateline_api::{ApiError, App, AppConfig, AppEvent};
use stateline_secrets::MemoryStore;
use stateline_store::ManualClock;
use stateline_store::people::audit::{AuditAction, AuditQuery};

struct Fixture {
    _dir: tempfile::TempDir,
    app: App,
}

fn config(dir: &std::path::Path) -> AppConfig {
    let mut config = AppConfig::new(dir, Arc::new(MemoryStore::new()));
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_secs(2);
    config.rng_seed = Some(5);
    config
}

async fn open() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(config(dir.path()))
        .await
        .expect("the app opens in demo mode");
    Fixture { _dir: dir, app }
}

async fn first_run(app: &App) {
    app.create_first_manager(CreateManagerRequest {
        name: "Max".into(),
        pin: "2468".into(),
    })
    .await
    .expect("first manager");
}

async fn login(app: &App, name: &str, pin: &str) -> Result<stateline_api::dto::AppState, ApiError> {
    app.login(LoginRequest {
        name: name.into(),
        pin: pin.into(),
    })
    .await
}

async fn first_package(app: &App) -> stateline_api::dto::PackageView {
    app.search_packages(SearchRequest {
        query: String::new(),
        licence: None,
        limit: Some(1),
    })
    .await
    .expect("search")
    .remove(0)
}

fn sale(label: &str) -> SaleRequest {
    SaleRequest {
        licence: None,
        lines: vec![CartLine {
            label: label.into(),
            quantity: "1".into(),
            price: "12.50".into(),
        }],
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        approval: None,
    }
}

async fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_first_run_then_a_budtender_pastes_her_key_and_sells_to_metrc() {
    let f = open().await;
    let app = &f.app;
    let state = app.app_state().await.unwrap();
    assert_eq!(state.phase, Phase::FirstRun);
    assert!(state.demo);
    assert_eq!(state.licences[0].number, DEMO_LICENSE);
    assert_eq!(state.licences[0].time_zone, "America/Denver");

    first_run(app).await;
    let state = app.app_state().await.unwrap();
    assert_eq!(state.phase, Phase::Ready);
    let session = state.session.expect("the manager is logged in");
    assert_eq!(session.role, Role::Manager);
    assert!(!session.needs_key, "the demo manager key was saved");

    let users = app.list_login_users().await.unwrap();
    assert!(
        users
            .iter()
            .any(|u| u.name == "Bea" && u.role == Role::Budtender)
    );
    app.logout().await.unwrap();
    let state = login(app, "Bea", "1234").await.unwrap();
    assert!(state.session.unwrap().needs_key, "Bea has no key yet");

    let saved = app
        .set_key(SetKeyRequest {
            owner: KeyOwnerRef::User { user: "Bea".into() },
            key: DEMO_BUDTENDER_KEY.into(),
        })
        .await
        .expect("Bea saves her key");
    assert_eq!(saved.validation.last_four, "1111");
    assert!(!app.app_state().await.unwrap().session.unwrap().needs_key);

    let package = first_package(app).await;
    let found = app
        .search_packages(SearchRequest {
            query: package.label.to_lowercase(),
            licence: None,
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(found[0].label, package.label, "a scanned label ranks first");

    let receipt = app.complete_sale(sale(&package.label)).await.expect("sale");
    assert_eq!(receipt.sold_by, "Bea");
    assert_eq!(receipt.total, "12.50");
    assert_eq!(receipt.lines[0].item_name, package.item_name);
    let control = app.demo_control().expect("demo emulator");
    let external = receipt.client_id.clone();
    wait_until(
        || {
            control
                .receipts(DEMO_LICENSE)
                .iter()
                .any(|r| r.external_receipt_number.as_deref() == Some(external.as_str()))
        },
        "the sale reached the emulator",
    )
    .await;
    let db = app.database().clone();
    wait_until(
        || db.entry(receipt.entry_id).unwrap().state == stateline_store::EntryState::Confirmed,
        "the sale is confirmed",
    )
    .await;
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_pins_lock_a_user_until_a_manager_resets_the_pin() {
    let f = open().await;
    let app = &f.app;
    first_run(app).await;
    app.logout().await.unwrap();
    for left in (1..=4).rev() {
        let err = login(app, "Bea", "9999").await.unwrap_err();
        assert_eq!(err.code(), "wrong_pin");
        assert!(err.to_string().contains(&left.to_string()), "{err}");
    }
    let err = login(app, "Bea", "9999").await.unwrap_err();
    assert_eq!(err.code(), "user_locked");
    assert_eq!(
        login(app, "Bea", "1234").await.unwrap_err().code(),
        "user_locked"
    );

    login(app, "Max", "2468").await.unwrap();
    let bea = app
        .reset_pin(ResetPinRequest {
            name: "Bea".into(),
            pin: "4321".into(),
        })
        .await
        .unwrap();
    assert!(!bea.locked);
    app.logout().await.unwrap();
    assert_eq!(login(app, "Bea", "4321").await.unwrap().phase, Phase::Ready);
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voiding_a_waiting_record_needs_a_manager_and_is_audited() {
    let f = open().await;
    let app = &f.app;
    first_run(app).await;
    app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on: true,
        user: None,
    })
    .await
    .unwrap();
    let package = first_package(app).await;
    let receipt = app
        .complete_sale(sale(&package.label))
        .await
        .expect("selling goes on");

    app.add_user(AddUserRequest {
        name: "Ben".into(),
        role: Role::Budtender,
        pin: "1357".into(),
    })
    .await
    .unwrap();
    app.logout().await.unwrap();
    login(app, "Ben", "1357").await.unwrap();
    let err = app
        .void_entry(VoidRequest {
            id: receipt.entry_id,
            reason: "customer changed their mind".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed");

    app.logout().await.unwrap();
    login(app, "Max", "2468").await.unwrap();
    let db = app.database().clone();
    wait_until(
        || {
            let s = db.entry(receipt.entry_id).unwrap().state;
            s == stateline_store::EntryState::Pending
        },
        "the sale waits as pending while the network is down",
    )
    .await;
    let voided = app
        .void_entry(VoidRequest {
            id: receipt.entry_id,
            reason: "customer changed their mind".into(),
        })
        .await
        .expect("a manager voids it");
    assert_eq!(voided.state, EntryState::Voided);
    let listed = app
        .list_entries(EntryQuery {
            states: vec![EntryState::Voided],
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let audit = app
        .list_audit(Default::default())
        .await
        .expect("the audit log");
    assert!(
        audit
            .iter()
            .any(|e| e.subject.contains(&receipt.client_id)
                && e.detail.contains("changed their mind")),
        "{audit:?}"
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_locks_itself_when_idle_and_commands_then_need_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-11-23T15:00:00Z".parse().unwrap());
    let mut cfg = config(dir.path());
    cfg.clock = Arc::new(clock.clone());
    let app = App::open(cfg).await.unwrap();
    assert_eq!(app.sync_status().await.unwrap_err().code(), "not_logged_in");
    first_run(&app).await;
    app.update_settings(SettingsUpdate {
        idle_lock_minutes: Some(2),
        ..SettingsUpdate::default()
    })
    .await
    .unwrap();
    let mut events = app.subscribe();
    clock.advance(SignedDuration::from_secs(90));
    app.check_idle();
    assert_eq!(app.app_state().await.unwrap().phase, Phase::Ready);
    clock.advance(SignedDuration::from_secs(150));
    app.check_idle();
    let state = app.app_state().await.unwrap();
    assert_eq!(state.phase, Phase::Locked);
    assert_eq!(state.last_user.as_deref(), Some("Max"));
    let mut saw_lock = false;
    while let Ok(event) = events.try_recv() {
        if let AppEvent::SessionChanged(s) = event {
            saw_lock |= s.phase == Phase::Locked;
        }
    }
    assert!(saw_lock, "session_changed(locked) was emitted");
    assert_eq!(app.sync_status().await.unwrap_err().code(), "not_logged_in");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_emits_records_and_inventory_events_and_status_follows() {
    let f = open().await;
    let app = &f.app;
    first_run(app).await;
    let mut events = app.subscribe();
    let package = first_package(app).await;
    app.complete_sale(sale(&package.label)).await.unwrap();
    let mut names = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            Ok(Ok(event)) => {
                let payload = event.payload().to_string();
                assert!(
                    !payload.contains("demo-manager-key"),
                    "an event carried a key"
                );
                names.push(event.name());
                if ["status_changed", "records_changed", "inventory_changed"]
                    .iter()
                    .all(|n| names.contains(n))
                {
                    break;
                }
            }
            _ => continue,
        }
    }
    assert!(names.contains(&"records_changed"), "{names:?}");
    assert!(names.contains(&"inventory_changed"), "{names:?}");
    assert!(names.contains(&"status_changed"), "{names:?}");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_demo_for_the_sandbox_needs_a_state_and_a_vendor_key() {
    use stateline_api::dto::Environment;
    use stateline_api::dto::EnvironmentRequest;
    use stateline_api::dto::VendorKeyRequest;
    let f = open().await;
    let app = &f.app;
    first_run(app).await;
    let err = app
        .choose_environment(EnvironmentRequest {
            environment: Environment::Sandbox,
            state_code: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let err = app
        .choose_environment(EnvironmentRequest {
            environment: Environment::Sandbox,
            state_code: Some("Colorado".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "metrc_invalid_input");

    let state = app
        .choose_environment(EnvironmentRequest {
            environment: Environment::Sandbox,
            state_code: Some("co".into()),
        })
        .await
        .expect("sandbox in Colorado");
    assert_eq!(state.environment, Environment::Sandbox);
    assert_eq!(state.state_code.as_deref(), Some("CO"));
    assert!(!state.demo, "the emulator stopped");
    assert!(
        !state.setup.vendor_key_set,
        "the wizard asks for the vendor key next"
    );
    assert_eq!(
        state.phase,
        Phase::Ready,
        "a missing vendor key never stops the register from selling"
    );
    let err = app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::Outage,
        on: true,
        user: None,
    });
    assert_eq!(err.await.unwrap_err().code(), "not_demo");

    let status = app
        .set_vendor_key(VendorKeyRequest {
            key: "sandbox-vendor-key-0000000000".into(),
        })
        .await
        .expect("vendor key saved");
    assert!(status.set);
    assert_eq!(status.source.as_deref(), Some("keychain"));
    let state = app.app_state().await.unwrap();
    assert!(state.setup.vendor_key_set);
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains("sandbox-vendor-key"), "no key in the state");
    let audited = app
        .database()
        .audit_entries(&AuditQuery {
            action: Some(AuditAction::VendorKeyChanged),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].actor.as_deref(), Some("Max"));
    assert_eq!(audited[0].subject, "metrc-vendor:sandbox");
    assert!(audited[0].detail.ends_with("(ends in 0000)"), "{audited:?}");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_users_keys_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let mut cfg = config(dir.path());
    cfg.secret_store = store.clone();
    let app = App::open(cfg.clone()).await.unwrap();
    first_run(&app).await;
    let package = first_package(&app).await;
    let receipt = app.complete_sale(sale(&package.label)).await.unwrap();
    app.shutdown(Duration::from_secs(5)).await.unwrap();
    drop(app);

    let app = App::open(cfg).await.expect("reopens");
    let state = app.app_state().await.unwrap();
    assert_eq!(state.phase, Phase::Locked, "set up, nobody logged in");
    let state = login(&app, "Max", "2468").await.unwrap();
    assert!(
        !state.session.unwrap().needs_key,
        "the saved key is still there"
    );
    let entry = app.database().entry(receipt.entry_id).unwrap();
    assert_eq!(entry.client_id, receipt.client_id);
    app.set_key(SetKeyRequest {
        owner: KeyOwnerRef::User { user: "Bea".into() },
        key: DEMO_BUDTENDER_KEY.into(),
    })
    .await
    .expect("a manager saves Bea's key");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
    drop(app);
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        // The last connection may still be closing on a blocking thread and remove its -wal/-shm
        // between listing and reading; a file that is gone holds nothing.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("read {}: {e}", path.display()),
        };
        scanned += bytes.len();
        let text = String::from_utf8_lossy(&bytes);
        for key in [DEMO_BUDTENDER_KEY, metrc_emulator::DEMO_MANAGER_KEY] {
            assert!(
                !text.contains(key),
                "a Metrc key reached {}",
                path.display()
            );
        }
    }
    assert!(scanned > 10_000, "the database was scanned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_object_limit_in_demo_keeps_the_emulator_and_its_receipts() {
    let f = open().await;
    let app = &f.app;
    first_run(app).await;
    let package = first_package(app).await;
    let receipt = app.complete_sale(sale(&package.label)).await.unwrap();
    let db = app.database().clone();
    wait_until(
        || db.entry(receipt.entry_id).unwrap().state == stateline_store::EntryState::Confirmed,
        "the sale is confirmed",
    )
    .await;
    let before = app.demo_control().unwrap().receipts(DEMO_LICENSE).len();
    let settings = app
        .update_settings(SettingsUpdate {
            object_limit: Some(5),
            ..SettingsUpdate::default()
        })
        .await
        .unwrap();
    assert_eq!(settings.object_limit, 5);
    let control = app.demo_control().expect("still in demo");
    assert_eq!(control.receipts(DEMO_LICENSE).len(), before);
    assert!(before >= 1);
    let err = app
        .update_settings(SettingsUpdate {
            object_limit: Some(0),
            ..SettingsUpdate::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// The demo is dated relative to the app's clock: on any date (three years from now, the morning
/// Denver's clocks go back, New Year's Eve late evening in Denver) a manager sees the incoming
/// manifest that was due yesterday (the licence's yesterday, not UTC's), and a sale made while
/// Metrc is down waits with a fresh deadline — the licence's 24 hours from the sale, not overdue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tells_the_same_story_on_any_date() {
    let three_years_on = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap()
        + SignedDuration::from_hours(3 * 365 * 24);
    let instants = [
        three_years_on,
        "2031-11-02T07:57:00Z".parse().unwrap(),
        "2032-01-01T06:30:00Z".parse().unwrap(),
    ];
    let denver = jiff::tz::TimeZone::get("America/Denver").unwrap();
    for now in instants {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.clock = Arc::new(ManualClock::new(now));
        let app = App::open(cfg).await.unwrap();
        first_run(&app).await;
        let manifests = app
            .incoming_manifests(stateline_api::dto::LicenceRequest { licence: None })
            .await
            .expect("the demo's incoming manifest");
        assert_eq!(manifests.len(), 1, "one incoming manifest at {now}");
        let yesterday = now.to_zoned(denver.clone()).date().yesterday().unwrap();
        let arrival = manifests[0].estimated_arrival.clone().unwrap_or_default();
        assert!(
            arrival.starts_with(&yesterday.to_string()),
            "at {now} the manifest was due yesterday in Denver ({yesterday}), not {arrival}"
        );
        app.set_demo_fault(DemoFaultRequest {
            fault: DemoFault::Outage,
            on: true,
            user: None,
        })
        .await
        .unwrap();
        let package = first_package(&app).await;
        app.complete_sale(sale(&package.label)).await.unwrap();
        let mut status = app.sync_status().await.unwrap();
        let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
        while status.waiting == 0 && tokio::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(50)).await;
            status = app.sync_status().await.unwrap();
        }
        assert_eq!(status.waiting, 1, "the sale waits during the outage");
        assert_eq!(status.oldest_waiting_at, Some(now));
        assert_eq!(
            status.deadline_at,
            Some(now + SignedDuration::from_hours(24)),
            "the demo licence's 24 hours from the sale"
        );
        assert_eq!(status.deadline_warning, "ok", "a fresh deadline at {now}");
        app.shutdown(Duration::from_secs(5)).await.unwrap();
    }
}

/// A demo store's registers share one pretend Metrc (`scripts/demo-store.sh`): with
/// `demo_metrc_url` set, the app starts no emulator of its own, its sales reach the one given,
/// the demo panel says its faults are not this register's to switch, and an address that is not
/// one is refused saying what to set.
#[tokio::test]
async fn two_demo_registers_can_share_one_pretend_metrc() {
    let shared = metrc_emulator::Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        metrc_emulator::Seed::demo(jiff::Timestamp::now()),
        metrc_emulator::Options::default(),
    )
    .await
    .unwrap();
    let control = shared.control();
    let mut apps = Vec::new();
    for seed in [11, 12] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.rng_seed = Some(seed);
        config.demo_metrc_url = Some(shared.base_url());
        let app = App::open(config).await.unwrap();
        first_run(&app).await;
        apps.push((dir, app));
    }
    assert!(apps[0].1.demo_control().is_none(), "no emulator of its own");
    assert_eq!(
        apps[0].1.demo_faults().await.unwrap_err().code(),
        ApiError::NotDemo.code()
    );
    let mut sold = Vec::new();
    for (_, app) in &apps {
        sold.push(stateline_testkit::app::sell_first(app).await.client_id);
    }
    stateline_testkit::app::eventually(
        async || {
            let receipts = control.receipts(DEMO_LICENSE);
            sold.iter().all(|client_id| {
                receipts
                    .iter()
                    .any(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
            })
        },
        "both registers' sales are in the one pretend Metrc",
    )
    .await;
    for (_, app) in apps {
        app.shutdown(Duration::from_secs(10)).await.unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.demo_metrc_url = Some("not an address".into());
    let Err(refused) = App::open(config).await else {
        panic!("a bad address is refused");
    };
    assert!(
        refused.to_string().contains("STATELINE_DEMO_METRC_URL"),
        "says what to set: {refused}"
    );
}
