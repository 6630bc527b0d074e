//! The keychain daemon killed mid-send: a real gnome-keyring on a private D-Bus session of this
//! test's own (`stateline_local_fault_tests::on_private_bus`: no other test shares the daemon,
//! and the bus starts nothing on demand, so a killed daemon stays gone until the test starts it
//! again), the real `KeychainStore`, the key service and the delivery engine against the Metrc
//! emulator.
//!
//! Guarantees checked: the daemon killed (SIGKILL) while a drain is sending changes nothing for
//! the records in flight, nor for loading the keys again (keys once read are kept in memory) —
//! they reach Metrc once, under the keys read before; a register started while the daemon is dead reports
//! `keychain_unavailable`, sends nothing, and keeps every record pending (not parked as keyless,
//! not rejected, never sent under another key); once the daemon runs again the key checks load
//! the keys and delivery finishes, every sale in Metrc exactly once. No key is ever printed.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use metrc_emulator::{DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY, Faults, Latency};
use stateline_delivery::{DeliveryEngine, Health};
use stateline_keys::{CheckSchedule, KeyChecks, KeyHolder, Keys};
use stateline_local_fault_tests::on_private_bus;
use stateline_secrets::{KeychainStore, Secrets};
use stateline_store::{EntryState, Pin, RecordedSale, Role};

use crate::register::{self, Register, assert_in_metrc_once, test_config, user_key};

const KEYRING_PASSWORD: &str = "stateline-local-faults";
const PIN: &str = "52718364";

/// `dbus-send` to the bus driver; its printed reply.
fn bus_call(method: &str, argument: &str) -> String {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            &format!("org.freedesktop.DBus.{method}"),
            argument,
        ])
        .output()
        .expect("dbus-send runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn secrets_owned() -> bool {
    bus_call("NameHasOwner", "string:org.freedesktop.secrets").contains("boolean true")
}

/// Starts gnome-keyring (unlocked with the password; its keyrings in this run's own
/// `XDG_DATA_HOME`, so a restart finds the keys saved before) and returns its process id once it
/// owns the Secret Service name.
fn start_daemon() -> u32 {
    use std::io::Write;
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon starts");
    child
        .stdin
        .take()
        .expect("its stdin")
        .write_all(KEYRING_PASSWORD.as_bytes())
        .expect("the password is given");
    assert!(child.wait().expect("it returns").success());
    for _ in 0..100 {
        if secrets_owned() {
            let reply = bus_call(
                "GetConnectionUnixProcessID",
                "string:org.freedesktop.secrets",
            );
            let pid = reply
                .split_whitespace()
                .skip_while(|w| *w != "uint32")
                .nth(1)
                .and_then(|p| p.parse().ok())
                .expect("the daemon's process id");
            return pid;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("gnome-keyring did not take the Secret Service name within 10 s");
}

/// Kills the daemon this test started (by its id) and waits until its name is gone.
fn kill_daemon(pid: u32) {
    let status = Command::new("sh")
        .args(["-c", r#"kill -KILL "$1""#, "sh", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "the daemon {pid} could not be killed");
    for _ in 0..100 {
        if !secrets_owned() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the killed daemon still owns the Secret Service name");
}

/// A key service on the real keychain, with a cache of its own (as a freshly started app has).
fn key_service(register: &Register, metrc: &register::Metrc) -> Keys {
    let secrets = Secrets::with_installer_vendor_key(Arc::new(KeychainStore::new()), None);
    Keys::new(register.db.clone(), secrets, metrc.client.clone(), "demo")
}

fn sell(register: &Register, users: &[&str], each: usize, sales: &mut Vec<RecordedSale>) {
    for _ in 0..each {
        for user in users {
            sales.push(register.sell(user, sales.len()).expect("a sale"));
        }
    }
    register.clock.advance(SignedDuration::from_secs(5));
}

fn writes_seen(metrc: &register::Metrc) -> usize {
    metrc
        .control
        .request_log()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.starts_with("/__emulator"))
        .count()
}

/// Passes until nothing waits (or panics after 60).
async fn drain(register: &Register, engine: &DeliveryEngine) {
    for _ in 0..60 {
        engine.run_once().await.expect("a pass");
        if register.waiting() == 0 {
            return;
        }
        register.clock.advance(SignedDuration::from_secs(60));
    }
    panic!("not drained: {:?}", register.db.counts(None));
}

#[test]
fn the_keychain_daemon_killed_mid_send_loses_nothing_and_delivery_resumes_when_it_is_back() {
    on_private_bus(
        "keychain_daemon::the_keychain_daemon_killed_mid_send_loses_nothing_and_delivery_resumes_when_it_is_back",
        || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(scenario());
        },
    );
}

async fn scenario() {
    let mut daemon = start_daemon();
    let dir = tempfile::tempdir().expect("a data folder");
    let metrc = register::metrc().await;
    let register = Register::open(&dir.path().join("stateline.sqlite"), &metrc).await;
    let pin = Pin::new(PIN);
    let max = register
        .db
        .create_first_manager("max", &pin)
        .expect("the manager");
    register
        .db
        .add_user(&max.actor, "bea", Role::Budtender, &pin)
        .expect("the budtender");
    let bea = register.db.verify_pin("bea", &pin).expect("bea logs in");
    let keys = key_service(&register, &metrc);
    keys.load().await.expect("keys load");
    for (session, holder, key) in [
        (&bea, "bea", DEMO_BUDTENDER_KEY),
        (&max, "max", DEMO_MANAGER_KEY),
    ] {
        let saved = keys
            .set_key(
                &session.actor,
                &KeyHolder::User(holder.into()),
                user_key(key),
            )
            .await
            .expect("the key is saved in the keychain");
        assert!(saved.saved, "{holder}'s key was refused");
    }
    let mut sales = Vec::new();

    // Killed while a drain sends (each write slowed down so the drain is in flight), and again
    // while a running register loads its keys: what was read stays, nothing is lost.
    sell(&register, &["bea", "max"], 20, &mut sales);
    let running = key_service(&register, &metrc);
    running.load().await.expect("keys load");
    assert!(running.keychain_problem().is_none());
    let engine = DeliveryEngine::new(
        register.db.clone(),
        metrc.client.clone(),
        running.ring(),
        test_config(),
    );
    metrc.control.set_faults(Faults {
        latency: Some(Latency {
            fixed_ms: 150,
            jitter_ms: 0,
            path_prefix: Some("/sales".into()),
        }),
        ..Faults::default()
    });
    let pass = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_once().await })
    };
    for waited in 0.. {
        if metrc
            .control
            .request_log()
            .iter()
            .any(|r| r.method == "POST")
        {
            break;
        }
        assert!(waited < 2000, "the drain sent nothing within 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill_daemon(daemon);
    // Keys once read are kept in memory (never on disk): loading again needs no daemon.
    running
        .load()
        .await
        .expect("a load with the daemon gone is not an error");
    assert!(running.keychain_problem().is_none());
    pass.await.expect("the pass ran").expect("the pass");
    metrc.control.clear_faults();
    drain(&register, &engine).await;
    let sent: Vec<String> = sales.iter().map(|s| s.client_id.clone()).collect();
    assert_in_metrc_once(&metrc.control, &sent);

    // A register started while the daemon is dead: the keys cannot be read; nothing is sent,
    // every record stays pending.
    sell(&register, &["bea", "max"], 10, &mut sales);
    let restarted = key_service(&register, &metrc);
    restarted
        .load()
        .await
        .expect("a load with the daemon gone is not an error");
    let problem = restarted.keychain_problem().expect("the keychain is down");
    assert_eq!(problem.code, "keychain_unavailable");
    let engine = DeliveryEngine::new(
        register.db.clone(),
        metrc.client.clone(),
        restarted.ring(),
        test_config(),
    );
    let writes_before = writes_seen(&metrc);
    for _ in 0..3 {
        engine.run_once().await.expect("a pass");
        register.clock.advance(SignedDuration::from_secs(60));
    }
    assert_eq!(
        writes_seen(&metrc),
        writes_before,
        "sent without its user's key"
    );
    assert_eq!(
        register.count(EntryState::Pending),
        20,
        "the records stay pending"
    );
    assert_eq!(register.count(EntryState::WaitingForKey), 0);
    assert_eq!(register.count(EntryState::Rejected), 0);
    let status = engine.status();
    assert_eq!(status.health, Health::KeyProblem);
    let reason = status.licences[0].reason.clone().unwrap_or_default();
    println!("status while the keychain is down: {reason}");
    assert!(reason.contains("keychain"), "{reason}");

    // The daemon runs again: the key checks load the keys, delivery finishes.
    let checks = KeyChecks::start(
        restarted.clone(),
        CheckSchedule {
            keychain_retry: Duration::from_millis(50),
            ..CheckSchedule::default()
        },
    )
    .expect("the key checks start");
    daemon = start_daemon();
    for _ in 0..200 {
        if restarted.keychain_problem().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        restarted.keychain_problem().is_none(),
        "the keys were not loaded again"
    );
    drain(&register, &engine).await;
    checks
        .stop(Duration::from_secs(5))
        .await
        .expect("the checks stop");
    assert_eq!(register.count(EntryState::Rejected), 0);
    let acknowledged: Vec<String> = sales.iter().map(|s| s.client_id.clone()).collect();
    assert_in_metrc_once(&metrc.control, &acknowledged);
    kill_daemon(daemon);
}
