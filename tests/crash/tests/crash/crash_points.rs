//! Crash points (issue #3): a delivery process aborts after a batch was claimed, after Metrc
//! committed but before the reply was read, after the reply before it was recorded, and during
//! reconciliation. After a restart, Metrc holds exactly one receipt per sale.
//! (A crash after the commit of a sale and before any claim is the kill loop's case.)

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{
    Control, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY,
    Emulator, Faults, Options, Seed, Trigger, WriteFault, WriteFaultKind,
};
use stateline_delivery::{DeliveryConfig, DeliveryEngine, crash};
use stateline_keys::StaticKeys;
use stateline_store::{
    Database, EntryState, Licence, ManualClock, Money, NewSale, NewSaleLine, OpenOptions, Quantity,
};

const USER: &str = "bea";

struct Scene {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    emulator: Emulator,
    control: Control,
    client: metrc::MetrcClient,
    sales: Vec<String>,
}

fn client(url: &str) -> metrc::MetrcClient {
    let mut config = metrc::ClientConfig::new(
        url.parse().expect("url"),
        metrc::VendorKey::new(DEMO_VENDOR_KEY).expect("vendor key"),
    );
    config.request_timeout = Duration::from_secs(2);
    metrc::MetrcClient::new(config).expect("client")
}

async fn scene() -> Scene {
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().expect("addr"),
        Seed::demo(jiff::Timestamp::now()),
        Options::default(),
    )
    .await
    .expect("emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stateline.sqlite");
    let db = Database::open(&path).expect("database");
    db.upsert_licence(&Licence {
        number: DEMO_LICENSE.into(),
        name: "Demo".into(),
        time_zone: DEMO_TIME_ZONE.into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .expect("licence");
    let client = client(&emulator.base_url());
    let manager = metrc::UserKey::new(DEMO_MANAGER_KEY).expect("key");
    stateline_delivery::refresh::refresh_licence(&db, &client, &manager, DEMO_LICENSE)
        .await
        .expect("refresh");
    let label = db.packages(DEMO_LICENSE).expect("packages")[0]
        .label
        .clone();
    let unit = db.package(&label).expect("package").unit_of_measure;
    let sales = (0..3)
        .map(|_| {
            db.record_sale(&NewSale {
                licence: DEMO_LICENSE.into(),
                acting_user: USER.into(),
                occurred_at: Timestamp::now(),
                customer_type: "Consumer".into(),
                patient_number: None,
                caregiver_number: None,
                identification_method: None,
                lines: vec![NewSaleLine {
                    label: label.clone(),
                    quantity: Quantity::parse("1").expect("quantity"),
                    unit_of_measure: unit.clone(),
                    total_amount: Money::parse("5").expect("money"),
                }],
            })
            .expect("sale")
            .client_id
        })
        .collect();
    let control = emulator.control();
    Scene {
        _dir: dir,
        path,
        emulator,
        control,
        client,
        sales,
    }
}

fn syncer(scene: &Scene, crash_at: Option<&str>) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stateline-crash-syncer"));
    command
        .arg(&scene.path)
        .arg(scene.emulator.base_url())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match crash_at {
        Some(point) => command.env("STATELINE_CRASH_AT", point),
        None => command.env_remove("STATELINE_CRASH_AT"),
    };
    let mut child = command.spawn().expect("the syncer starts");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{USER}={DEMO_BUDTENDER_KEY}").expect("keys sent");
    drop(stdin);
    child
}

fn assert_aborted(status: std::process::ExitStatus, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(6),
        "{what}: expected SIGABRT, got {status:?}"
    );
}

/// Restart with a fresh engine (simulated time, so settle windows pass at once) and drain.
async fn recover_and_check(scene: &Scene) {
    let clock = ManualClock::new(Timestamp::now());
    let db = Database::open_with(
        &scene.path,
        OpenOptions {
            clock: Arc::new(clock.clone()),
            ..OpenOptions::default()
        },
    )
    .expect("reopens");
    db.integrity_check().expect("intact");
    let keys = StaticKeys::new();
    keys.set_user_key(USER, metrc::UserKey::new(DEMO_BUDTENDER_KEY).expect("key"));
    let engine = DeliveryEngine::new(
        db.clone(),
        scene.client.clone(),
        Arc::new(keys),
        DeliveryConfig::default(),
    );
    engine.recover().await.expect("recover");
    for _ in 0..20 {
        clock.advance(SignedDuration::from_secs(400));
        engine.run_once().await.expect("pass");
    }
    let receipts = scene.control.receipts(DEMO_LICENSE);
    for client_id in &scene.sales {
        let entry = db
            .entry_by_client_id(client_id)
            .expect("read")
            .expect("entry");
        assert_eq!(entry.state, EntryState::Confirmed, "{client_id}");
        let copies = receipts
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
            .count();
        assert_eq!(copies, 1, "exactly one receipt for {client_id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_claim_before_send_sends_each_sale_once() {
    let scene = scene().await;
    let status = syncer(&scene, Some(crash::AFTER_CLAIM_BEFORE_SEND))
        .wait_with_output()
        .expect("ran")
        .status;
    assert_aborted(status, "after claim");
    assert!(
        scene.control.receipts(DEMO_LICENSE).is_empty(),
        "nothing left before the crash"
    );
    recover_and_check(&scene).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_the_reply_before_it_is_recorded_sends_each_sale_once() {
    let scene = scene().await;
    let status = syncer(&scene, Some(crash::AFTER_REPLY_BEFORE_RECORD))
        .wait_with_output()
        .expect("ran")
        .status;
    assert_aborted(status, "after reply");
    assert_eq!(
        scene.control.receipts(DEMO_LICENSE).len(),
        3,
        "Metrc had committed the batch"
    );
    recover_and_check(&scene).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_metrc_committed_before_the_reply_was_read_sends_each_sale_once() {
    let scene = scene().await;
    scene.control.set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LostReplyHang,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let mut child = syncer(&scene, None);
    tokio::time::timeout(Duration::from_secs(10), async {
        while scene.control.receipts(DEMO_LICENSE).is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("Metrc committed the batch");
    child.kill().expect("killed while waiting for the reply");
    child.wait().expect("reaped");
    recover_and_check(&scene).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_during_reconciliation_sends_each_sale_once() {
    let scene = scene().await;
    scene.control.set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::CommitThen500,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let first = syncer(&scene, None).wait_with_output().expect("ran");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let db = Database::open(&scene.path).expect("db");
    for client_id in &scene.sales {
        let entry = db
            .entry_by_client_id(client_id)
            .expect("read")
            .expect("entry");
        assert_eq!(entry.state, EntryState::Ambiguous);
    }
    db.clear_gate(DEMO_LICENSE)
        .expect("the gate reopens for the test");
    drop(db);
    let status = syncer(&scene, Some(crash::DURING_RECONCILIATION))
        .wait_with_output()
        .expect("ran")
        .status;
    assert_aborted(status, "during reconciliation");
    recover_and_check(&scene).await;
}
