//! `stateline serve` and `stateline integrations`: managers add, list and revoke the POS's tokens
//! (the token printed once, never listed); the real binary serves the local API in demo mode
//! against the emulator on loopback, takes a sale, refuses a second process on the same data
//! folder, and stops cleanly on SIGTERM with the sale kept.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::support::{BIN, demo_emulator, json, keychain_usable, run, succeeded, texts};

fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    succeeded(&run(dir, args, stdin, &["864213", "975319"]), args)
}

fn fails(dir: &Path, args: &[&str], stdin: &str) -> Value {
    let output = run(dir, args, stdin, &["864213", "975319"]);
    let (stdout, stderr) = texts(&output);
    assert!(
        !output.status.success(),
        "`stateline {args:?}` should fail:\n{stdout}\n{stderr}"
    );
    json(&stdout)
}

/// A register with a manager (Max, 864213) and a budtender (Bea, 975319).
fn register(dir: &Path) {
    ok(
        dir,
        &["user", "add", "--name", "Max", "--role", "manager"],
        "864213\n",
    );
    ok(
        dir,
        &[
            "user",
            "add",
            "--name",
            "Bea",
            "--role",
            "budtender",
            "--as",
            "Max",
        ],
        "864213\n975319\n",
    );
}

#[test]
fn managers_add_list_and_revoke_integrations_and_see_each_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    register(dir);
    let add = [
        "--json",
        "integrations",
        "add",
        "--name",
        "Front POS",
        "--scope",
        "record",
        "--scope",
        "status",
        "--by",
        "Max",
    ];
    let wrong = fails(dir, &add, "9999\n");
    assert_eq!(wrong["code"], "wrong_pin", "{wrong}");
    let mut by_bea = add;
    by_bea[10] = "Bea";
    let refused = fails(dir, &by_bea, "975319\n");
    assert_eq!(refused["code"], "not_allowed", "{refused}");

    let created = json(&ok(dir, &add, "864213\n"));
    let token = created["token"].as_str().expect("the token").to_owned();
    assert!(token.starts_with("slk_") && token.len() > 40, "{token}");
    assert_eq!(
        created["integration"]["scopes"],
        json!(["record", "status"])
    );
    assert_eq!(created["integration"]["created_by"], "Max");
    let id = created["integration"]["id"].as_i64().unwrap().to_string();
    let again = fails(dir, &add, "864213\n");
    assert_eq!(again["code"], "invalid_input", "{again}");

    let listed = ok(dir, &["--json", "integrations", "list"], "");
    assert!(
        !listed.contains(&token),
        "a listing shows no token: {listed}"
    );
    let listed = json(&listed);
    assert_eq!(listed[0]["name"], "Front POS");
    assert_eq!(listed[0]["revoked_at"], Value::Null);
    let text = ok(dir, &["integrations", "list"], "");
    assert!(
        text.contains("Front POS") && text.contains("active"),
        "{text}"
    );
    assert!(!text.contains(&token), "{text}");

    let revoke = [
        "--json",
        "integrations",
        "revoke",
        id.as_str(),
        "--by",
        "Max",
    ];
    let revoked = json(&ok(dir, &revoke, "864213\n"));
    assert_eq!(revoked["revoked_by"], "Max");
    let text = ok(dir, &["integrations", "list"], "");
    assert!(text.contains("revoked"), "{text}");
    let missing = fails(
        dir,
        &["--json", "integrations", "revoke", "99", "--by", "Max"],
        "864213\n",
    );
    assert_eq!(missing["code"], "invalid_input", "{missing}");
}

/// A running `stateline serve`, killed if the test ends early.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, metrc_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir)
        .args([
            "serve",
            "--demo",
            "--demo-metrc-url",
            metrc_url,
            "--port",
            "0",
        ])
        .env_remove("STATELINE_DEMO")
        .env_remove("STATELINE_DEMO_METRC_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn serve_takes_a_sale_over_http_and_stops_cleanly_on_sigterm() {
    if !keychain_usable() {
        return;
    }
    let (rt, emulator) = demo_emulator();
    let metrc_url = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    register(dir);

    let mut served = Served(serve(dir, &metrc_url).spawn().expect("serve starts"));
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve prints where it listens first: {first:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let second = serve(dir, &metrc_url).output().unwrap();
    let (_, stderr) = texts(&second);
    assert!(
        !second.status.success() && stderr.contains("already running"),
        "{stderr}"
    );

    let created = json(&ok(
        dir,
        &[
            "--json",
            "integrations",
            "add",
            "--name",
            "Till",
            "--scope",
            "all",
            "--by",
            "Max",
        ],
        "864213\n",
    ));
    let token = created["token"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let (sale, record) = rt.block_on(async {
        let packages: Value = http
            .get(format!("{base}/v1/packages"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let label = packages[0]["label"].as_str().expect("a package").to_owned();
        let body = json!({
            "ticket_id": "T-1",
            "budtender": "Bea",
            "lines": [{"label": label, "quantity": "1", "price": "10.00"}],
        });
        let anonymous = http
            .post(format!("{base}/v1/sales"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status().as_u16(), 401);
        let sale = http
            .post(format!("{base}/v1/sales"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = sale.status().as_u16();
        let sale: Value = sale.json().await.unwrap();
        assert_eq!(status, 201, "{sale}");
        let record: Value = http
            .get(format!("{base}/v1/records/T-1"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (sale, record)
    });
    assert_eq!(record["ticket_id"], "T-1", "{record}");
    assert_eq!(sale["ticket_id"], "T-1", "{sale}");

    let pid = served.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = served.0.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(
        status.success(),
        "serve exits 0 on SIGTERM: {status}; {rest}"
    );
    assert!(rest.contains("stopped"), "{rest}");

    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert!(
        queue.to_string().contains("sale"),
        "the sale taken over HTTP is in the queue after the stop: {queue}"
    );
    drop(emulator);
}

#[test]
fn serve_with_the_door_prints_both_addresses_as_json_and_stops_on_sigint() {
    if !keychain_usable() {
        return;
    }
    let (_rt, emulator) = demo_emulator();
    let metrc_url = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    register(dir);
    let same = fails(
        dir,
        &[
            "--json",
            "serve",
            "--door",
            "--port",
            "7777",
            "--door-port",
            "7777",
        ],
        "",
    );
    assert_eq!(same["code"], "invalid_input", "{same}");

    let mut command = serve(dir, &metrc_url);
    command.arg("--json").args(["--door", "--door-port", "0"]);
    let mut served = Served(command.spawn().expect("serve starts"));
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let view = json(&first);
    let api = view["api_url"].as_str().expect("the API's address");
    let door = view["door_url"].as_str().expect("the door's address");
    assert!(api.starts_with("http://127.0.0.1:"), "{view}");
    assert!(
        door.starts_with("http://127.0.0.1:") && door != api,
        "{view}"
    );

    let pid = served.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = served.0.wait().unwrap();
    assert!(status.success(), "serve exits 0 on SIGINT: {status}");
    drop(emulator);
}
