//! End-to-end tests of `stateline store join|status|sync|leave`: two registers, each the real
//! binary on its own data folder, sharing a store server that the test starts itself (a private
//! PostgreSQL cluster, `stateline_testkit::postgres`), the real keychain for the server's
//! password, the Metrc emulator for the packages they sell.
//!
//! Runs when a Secret Service is reachable (fails in CI without one, like the other keychain
//! tests); each register's password entry is removed when the test ends, also when it fails.

use std::path::Path;
use std::process::Output;

use jiff::Timestamp;
use metrc_emulator::{DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY};
use serde_json::Value;
use stateline_secrets::{EntryId, KeychainStore, SecretStore};
use stateline_store::Database;
use stateline_testkit::postgres::{Cluster, USER};
use support::{json, keychain_usable, texts};

use crate::support;

const MANAGER_PIN: &str = "73921846";
const BUDTENDER_PIN: &str = "46281937";
const LABEL: &str = "1A4FF0100000022000000001";

/// Every secret of the test: no output and no SQLite file may contain one.
fn secrets(cluster: &Cluster) -> Vec<String> {
    vec![
        DEMO_VENDOR_KEY.into(),
        DEMO_MANAGER_KEY.into(),
        MANAGER_PIN.into(),
        BUDTENDER_PIN.into(),
        cluster.password().into(),
    ]
}

struct Register<'a> {
    dir: &'a Path,
    secrets: Vec<String>,
}

impl Register<'_> {
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        support::run(self.dir, args, stdin, &secrets)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        support::succeeded(&self.run(args, stdin), args)
    }

    fn ok_json(&self, args: &[&str], stdin: &str) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        json(&self.ok(&all, stdin))
    }

    /// Runs with `--json`, expects exit 1 and returns the error's code.
    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all, stdin);
        let (stdout, stderr) = texts(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "`stateline {args:?}` should fail:\n{stdout}\n{stderr}"
        );
        json(&stdout)["code"].as_str().expect("code").to_owned()
    }

    fn status(&self) -> Value {
        self.ok_json(&["store", "status"], "")
    }

    fn record_sale(&self) -> String {
        let sale = serde_json::json!({
            "licence": DEMO_LICENSE,
            "acting_user": "bea",
            "occurred_at": Timestamp::now().to_string(),
            "customer_type": "Consumer",
            "patient_number": null,
            "caregiver_number": null,
            "lines": [{ "label": LABEL, "quantity": "1", "unit_of_measure": "Grams", "total_amount": "9.00" }]
        });
        self.ok_json(&["record", "sale"], &sale.to_string())["client_id"]
            .as_str()
            .expect("client id")
            .to_owned()
    }

    fn password_entry(&self) -> EntryId {
        let db = Database::open(self.dir.join("stateline.sqlite")).expect("database");
        EntryId::store_server(db.install_id()).expect("entry")
    }

    /// No secret in the register's SQLite files (database, WAL).
    fn assert_no_secret_on_disk(&self) {
        for entry in std::fs::read_dir(self.dir).expect("data folder").flatten() {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for secret in &self.secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret is in {}",
                    entry.path().display()
                );
            }
        }
    }
}

fn join_args<'a>(port: &'a str, name: &'a str) -> Vec<&'a str> {
    vec![
        "store",
        "join",
        "--as",
        "Ana",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--database",
        "store",
        "--user",
        USER,
        "--name",
        name,
    ]
}

fn set_up(register: &Register<'_>, url: &str) {
    register.ok(
        &[
            "licence",
            "add",
            "--number",
            DEMO_LICENSE,
            "--name",
            "Demo",
            "--time-zone",
            DEMO_TIME_ZONE,
        ],
        "",
    );
    register.ok(
        &["user", "add", "--name", "Ana", "--role", "manager"],
        &format!("{MANAGER_PIN}\n"),
    );
    register.ok(
        &[
            "user",
            "add",
            "--name",
            "bea",
            "--role",
            "budtender",
            "--as",
            "Ana",
        ],
        &format!("{MANAGER_PIN}\n{BUDTENDER_PIN}\n"),
    );
    register.ok(
        &[
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            url,
            "--user-key-stdin",
        ],
        &format!("{DEMO_MANAGER_KEY}\n"),
    );
}

/// Removes the registers' password entries when dropped.
struct ClearOnDrop(Vec<EntryId>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        for entry in &self.0 {
            let _ = KeychainStore::new().delete(entry);
        }
    }
}

fn register_names(status: &Value) -> Vec<String> {
    status["server"]["registers"]
        .as_array()
        .expect("registers")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn two_registers_join_a_store_see_each_others_records_and_one_leaves() {
    if !keychain_usable() {
        return;
    }
    let (_rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let cluster = Cluster::start();
    cluster.create_database("store");
    let port = cluster.port().to_string();
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = Register {
        dir: one_dir.path(),
        secrets: secrets(&cluster),
    };
    let two = Register {
        dir: two_dir.path(),
        secrets: secrets(&cluster),
    };
    set_up(&one, &url);
    set_up(&two, &url);
    let _cleanup = ClearOnDrop(vec![one.password_entry(), two.password_entry()]);
    let manager_and_password = format!("{MANAGER_PIN}\n{}\n", cluster.password());

    // On its own by default; a sale recorded before joining is pushed on joining.
    assert_eq!(one.status()["joined"], false);
    let before_joining = one.record_sale();

    // Bad input leaves nothing behind: a wrong password, a budtender, an empty name.
    assert_eq!(
        one.fails(
            &join_args(&port, "Register 1"),
            &format!("{MANAGER_PIN}\nnot-the-password\n")
        ),
        "store_server_login_refused"
    );
    let budtender: Vec<&str> = join_args(&port, "Register 1")
        .into_iter()
        .map(|a| if a == "Ana" { "bea" } else { a })
        .collect();
    assert_eq!(
        one.fails(
            &budtender,
            &format!("{BUDTENDER_PIN}\n{}\n", cluster.password())
        ),
        "not_allowed"
    );
    assert_eq!(
        one.fails(&join_args(&port, "  "), &manager_and_password),
        "invalid_store_server"
    );
    let mut unreadable_ca = join_args(&port, "Register 1");
    unreadable_ca.extend(["--ca-file", "/nowhere/store-ca.pem"]);
    assert_eq!(
        one.fails(&unreadable_ca, &manager_and_password),
        "invalid_store_server"
    );
    let mut plain_server_over_tls = join_args(&port, "Register 1");
    plain_server_over_tls.push("--tls");
    assert_eq!(
        one.fails(&plain_server_over_tls, &manager_and_password),
        "store_server_unreachable",
        "this test server does not speak TLS"
    );
    assert_eq!(one.status()["joined"], false);
    assert!(
        KeychainStore::new().get(&one.password_entry()).is_err(),
        "no password was saved by a failed join"
    );

    let joined = one.ok(&join_args(&port, "Register 1"), &manager_and_password);
    assert!(joined.contains("pushed 1 records"), "{joined}");

    // A name is one register's only (ignoring case); the refused register is left as it was.
    assert_eq!(
        two.fails(&join_args(&port, "register 1"), &manager_and_password),
        "invalid_store_server"
    );
    assert_eq!(two.status()["joined"], false);
    let joined = two.ok(&join_args(&port, "Register 2"), &manager_and_password);
    assert!(joined.contains("pulled 1 from other registers"), "{joined}");

    // A sale at register 2 reaches register 1 through the store.
    let at_two = two.record_sale();
    assert_eq!(two.ok_json(&["store", "sync"], "")["pushed"], 1);
    assert_eq!(one.ok_json(&["store", "sync"], "")["pulled"], 1);
    let status = one.status();
    assert_eq!(status["joined"], true);
    assert_eq!(status["not_pushed"], 0, "{status}");
    assert_eq!(status["server"]["reachable"], true, "{status}");
    assert_eq!(register_names(&status), ["Register 1", "Register 2"]);
    let registers = status["server"]["registers"].as_array().unwrap();
    assert_eq!(registers[0]["this_register"], true);
    assert_eq!(registers[1]["this_register"], false);
    for r in registers {
        assert_eq!(
            (r["records"].as_i64(), r["open"].as_i64()),
            (Some(1), Some(1))
        );
    }
    let backlog = status["server"]["backlog"].as_array().expect("backlog");
    assert_eq!(backlog.len(), 1, "{status}");
    assert_eq!(backlog[0]["acting_user"], "bea");
    assert_eq!(backlog[0]["open"], 2);
    let pulled = status["pulled"].as_array().expect("pulled");
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0]["records"], 1);
    assert_eq!(
        pulled[0]["open"], 1,
        "register 2's sale has not reached Metrc"
    );
    assert_eq!(
        status["server"]["keys"],
        serde_json::json!([]),
        "no register holds a Metrc key here"
    );
    let human = one.ok(&["store", "status"], "");
    assert!(
        human.contains("Register 2") && human.contains("(this one)"),
        "{human}"
    );
    assert!(
        human.contains("keys: no register of the store holds a Metrc key"),
        "{human}"
    );
    // Both registers' audit chains verify from the store's copy, with this register's own head.
    let chains = one.ok_json(&["store", "verify-audit"], "");
    let chains = chains.as_array().expect("one verdict per register");
    assert_eq!(chains.len(), 2, "{chains:?}");
    assert!(chains.iter().all(|c| c["result"] == "intact"), "{chains:?}");
    let local = one.ok_json(&["audit", "verify"], "");
    let mine = chains.iter().find(|c| c["this_register"] == true).unwrap();
    assert_eq!(mine["head_hash"], local["head_hash"], "{local}");

    // Each register knows the other's sale by its client id, and only its own as its own.
    let db_one = Database::open(one.dir.join("stateline.sqlite")).unwrap();
    let peers = db_one
        .peer_records_since(DEMO_LICENSE, Timestamp::UNIX_EPOCH)
        .unwrap();
    assert_eq!(
        peers
            .iter()
            .map(|p| p.client_id.as_str())
            .collect::<Vec<_>>(),
        [at_two.as_str()]
    );
    assert_ne!(before_joining, at_two);
    drop(db_one);

    // Register 2's link runs as its own process; a sale synced at register 1 reaches it through
    // the store server's notification, then Ctrl-C stops it cleanly.
    let mut watching = std::process::Command::new(support::BIN)
        .arg("--data-dir")
        .arg(two.dir)
        .args(["--json", "store", "sync", "--watch"])
        .env_remove("STATELINE_VENDOR_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the link starts");
    let lines = {
        let stdout = watching.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        rx
    };
    let wait_for = |what: &dyn Fn(&Value) -> bool, label: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no status line showing {label}"));
            let secrets = secrets(&cluster);
            assert!(secrets.iter().all(|s| !line.contains(s.as_str())), "{line}");
            if what(&json(&line)) {
                return;
            }
        }
    };
    wait_for(&|s| s["connected"] == true, "a connection");
    let third = one.record_sale();
    assert_eq!(one.ok_json(&["store", "sync"], "")["pushed"], 1);
    wait_for(&|s| s["pulled"].as_u64() >= Some(1), "the pulled sale");
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watching.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let ended = watching.wait().expect("the link stops");
    assert!(ended.success(), "Ctrl-C stops the link cleanly: {ended}");
    let db_two = Database::open(two.dir.join("stateline.sqlite")).unwrap();
    assert_eq!(
        db_two
            .peer_records_since(DEMO_LICENSE, Timestamp::UNIX_EPOCH)
            .unwrap()
            .iter()
            .filter(|p| p.client_id == third)
            .count(),
        1
    );
    drop(db_two);

    // Register 2 leaves: its password leaves the keychain, the store lists one register, and
    // register 2 still has its own records.
    two.ok(
        &["store", "leave", "--as", "Ana"],
        &format!("{MANAGER_PIN}\n"),
    );
    let status_two = two.status();
    assert_eq!(status_two["joined"], false);
    assert!(KeychainStore::new().get(&two.password_entry()).is_err());
    assert_eq!(status_two["pulled"].as_array().map(Vec::len), Some(0));
    let db_two = Database::open(two.dir.join("stateline.sqlite")).unwrap();
    assert!(db_two.entry_by_client_id(&at_two).is_ok());
    drop(db_two);
    assert_eq!(register_names(&one.status()), ["Register 1"]);

    // The audit log names the joins and the leave, never the password.
    let audit = one.ok_json(&["audit", "list"], "");
    assert!(
        audit.to_string().contains("store_membership_changed"),
        "{audit}"
    );

    one.assert_no_secret_on_disk();
    two.assert_no_secret_on_disk();

    // With the store server gone, status says so and a sale still records at once.
    drop(cluster);
    let status = one.status();
    assert_eq!(status["server"]["reachable"], false, "{status}");
    assert_eq!(
        status["server"]["error"]["code"], "store_server_unreachable",
        "{status}"
    );
    one.record_sale();
    assert_eq!(one.status()["not_pushed"], 1);
    assert_eq!(
        one.fails(
            &["store", "leave", "--as", "Ana"],
            &format!("{MANAGER_PIN}\n")
        ),
        "invalid_configuration",
        "leaving with records the store has not seen needs --force"
    );
    assert_eq!(one.status()["joined"], true);
}

/// A register killed (SIGKILL) again and again in the middle of `store sync` loses nothing and
/// pushes nothing twice: the next sync finishes the job and the store has each record once.
#[test]
fn a_register_killed_during_its_pushes_ends_with_each_record_once_in_the_store() {
    if !keychain_usable() {
        return;
    }
    let (_rt, emulator) = support::demo_emulator();
    let cluster = Cluster::start();
    cluster.create_database("store");
    let port = cluster.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let register = Register {
        dir: dir.path(),
        secrets: secrets(&cluster),
    };
    set_up(&register, &emulator.base_url());
    let _cleanup = ClearOnDrop(vec![register.password_entry()]);
    register.ok(
        &join_args(&port, "Register 1"),
        &format!("{MANAGER_PIN}\n{}\n", cluster.password()),
    );
    // How long a whole `store sync` of one record takes on this machine: the kills below land
    // within it, so they fall mid-run however fast or slow the machine is.
    register.record_sale();
    let timed = std::time::Instant::now();
    register.ok(&["store", "sync"], "");
    let whole_sync = timed.elapsed();
    let made: Vec<String> = (0..12).map(|_| register.record_sale()).collect();

    // A fixed sequence of kill delays (fractions of a whole sync), so a failing run replays.
    let mut seed: u64 = 0x5eed;
    let mut killed = 0;
    for _ in 0..12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = whole_sync.mul_f64(((seed >> 33) % 90) as f64 / 100.0);
        let mut child = std::process::Command::new(support::BIN)
            .arg("--data-dir")
            .arg(register.dir)
            .args(["store", "sync"])
            .env_remove("STATELINE_VENDOR_KEY")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sync starts");
        std::thread::sleep(delay);
        if child.try_wait().expect("status").is_none() {
            killed += 1;
            child.kill().expect("SIGKILL");
        }
        let _ = child.wait();
        register.record_sale();
    }
    assert!(
        killed >= 3,
        "most syncs are killed before they end ({killed} of 12)"
    );
    let done = register.ok_json(&["store", "sync"], "");
    assert!(done["pushed"].as_u64().is_some(), "{done}");
    let status = register.status();
    assert_eq!(status["not_pushed"], 0, "{status}");
    let registers = status["server"]["registers"].as_array().expect("registers");
    assert_eq!(registers.len(), 1);
    assert_eq!(
        registers[0]["records"].as_i64(),
        Some(25),
        "each of the 25 records once: {status}"
    );
    let db = Database::open(register.dir.join("stateline.sqlite")).unwrap();
    for client_id in &made {
        assert!(db.entry_by_client_id(client_id).is_ok());
    }
    assert_eq!(db.entries_after(0, 100).unwrap().len(), 25);
}
