//! End-to-end tests of the `stateline` binary: the real process, a real SQLite file in a
//! temporary folder, and the Metrc emulator (demo seed) on loopback in this test process.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use metrc_emulator::{
    DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY,
};
use serde_json::Value;
use support::{BIN, json, texts};

use crate::support;

const LABEL: &str = "1A4FF0100000022000000001";
const KEYS: [&str; 3] = [DEMO_VENDOR_KEY, DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY];

/// Runs `stateline --data-dir DIR ARGS` with `stdin`, and checks no key leaked into its output.
fn stateline(dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::run(dir, args, stdin, &KEYS)
}

/// Runs and expects success, returning stdout.
fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    support::succeeded(&stateline(dir, args, stdin), args)
}

fn sale_json(label: &str, quantity: &str) -> String {
    serde_json::json!({
        "licence": DEMO_LICENSE,
        "acting_user": "bea",
        "occurred_at": support::minutes_ago(60),
        "customer_type": "Consumer",
        "patient_number": null,
        "caregiver_number": null,
        "lines": [{
            "label": label,
            "quantity": quantity,
            "unit_of_measure": "Grams",
            "total_amount": "12.50"
        }]
    })
    .to_string()
}

fn add_licence(dir: &Path) {
    add_licence_with(dir, &[]);
}

/// `stateline --json licence add` for the demo licence with `extra` flags; its JSON answer.
fn add_licence_with(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "--json",
        "licence",
        "add",
        "--number",
        DEMO_LICENSE,
        "--name",
        "Demo",
        "--time-zone",
        DEMO_TIME_ZONE,
    ];
    args.extend_from_slice(extra);
    json(&ok(dir, &args, ""))
}

/// Pulls the demo licence's inventory from the emulator at `url` with the demo manager's key.
fn refresh_as_manager(dir: &Path, url: &str) {
    ok(
        dir,
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

fn count_in(queue: &Value, state: &str) -> u64 {
    queue["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .filter(|c| c["state"] == state)
        .map(|c| c["count"].as_u64().expect("count"))
        .sum()
}

/// Issue #16: a budtender's key was revoked, his records parked waiting for a key; his new key
/// given to `stateline sync` on stdin releases them and they go out once, with their times.
#[test]
fn a_new_key_on_stdin_releases_the_records_that_waited_for_it() {
    const NEW_KEY: &str = "demo-budtender-key-2222";
    let canaries = [
        DEMO_VENDOR_KEY,
        DEMO_BUDTENDER_KEY,
        DEMO_MANAGER_KEY,
        NEW_KEY,
    ];
    let run = |dir: &Path, args: &[&str], stdin: &str| {
        support::succeeded(&support::run(dir, args, stdin, &canaries), args)
    };
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    add_licence(dir);
    run(
        dir,
        &[
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            &url,
            "--user-key-stdin",
        ],
        &format!("{DEMO_MANAGER_KEY}\n"),
    );
    for quantity in ["1", "2"] {
        run(dir, &["record", "sale", "-"], &sale_json(LABEL, quantity));
    }

    assert!(emulator.control().revoke_user_key(DEMO_BUDTENDER_KEY));
    let refused = json(&run(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &format!("bea={DEMO_BUDTENDER_KEY}\n"),
    ));
    assert_eq!(refused["confirmed"], 0, "{refused}");
    let queue = json(&run(dir, &["--json", "queue"], ""));
    assert_eq!(count_in(&queue, "waiting_for_key"), 2, "{queue}");

    assert!(emulator.control().set_user_key(DEMO_BUDTENDER_KEY, NEW_KEY));
    let synced = json(&run(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &format!("bea={NEW_KEY}\n"),
    ));
    assert_eq!(synced["confirmed"], 2, "{synced}");
    assert_eq!(synced["status"]["waiting"], 0, "{synced}");
    assert_eq!(emulator.control().receipts(DEMO_LICENSE).len(), 2);
    rt.block_on(emulator.shutdown());
}

#[test]
fn a_sale_goes_from_stdin_to_metrc_once() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();

    add_licence(dir);
    let licences = json(&ok(dir, &["--json", "licence", "list"], ""));
    assert_eq!(licences[0]["number"], DEMO_LICENSE);

    let refreshed = ok(
        dir,
        &[
            "--json",
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            &url,
            "--user-key-stdin",
        ],
        &format!("{DEMO_MANAGER_KEY}\n"),
    );
    assert_eq!(json(&refreshed)["packages"], 24);

    let recorded = json(&ok(
        dir,
        &["--json", "record", "sale"],
        &sale_json(LABEL, "3.5"),
    ));
    let client_id = recorded["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();
    let entry_id = recorded["entry_id"].as_i64().expect("entry_id");
    assert!(recorded["record_id"].is_i64());

    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert_eq!(count_in(&queue, "pending"), 1);
    assert_eq!(queue["entries"][0]["client_id"], client_id.as_str());
    assert!(queue["oldest_waiting"][0]["at"].is_string());

    let human = ok(dir, &["record", "sale", "-"], &sale_json(LABEL, "1"));
    assert!(human.starts_with("recorded sale "), "{human}");

    let adjustment = serde_json::json!({
        "licence": DEMO_LICENSE,
        "acting_user": "max",
        "label": "1A4FF0100000022000000002",
        "quantity": "-0.5",
        "unit_of_measure": "Grams",
        "reason": "Scale Variance",
        "note": null,
        "occurred_at": support::minutes_ago(55)
    });
    let file = dir.join("adjustment.json");
    std::fs::write(&file, adjustment.to_string()).expect("write the adjustment");
    let file = file.to_str().expect("utf-8 path");
    let adjusted = ok(dir, &["record", "adjustment", "--file", file], "");
    assert!(adjusted.starts_with("recorded adjustment "), "{adjusted}");

    let synced = json(&ok(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &format!("bea={DEMO_BUDTENDER_KEY}\nmax={DEMO_MANAGER_KEY}\n"),
    ));
    assert_eq!(synced["confirmed"], 3, "{synced}");
    assert_eq!(synced["status"]["waiting"], 0, "{synced}");

    let queue = json(&ok(dir, &["--json", "queue", "--state", "confirmed"], ""));
    assert!(
        queue["counts"].as_array().expect("counts").is_empty(),
        "nothing waits: {queue}"
    );
    let entries = queue["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "{queue}");
    assert!(entries.iter().all(|e| e["state"] == "confirmed"), "{queue}");
    let receipts = emulator.control().receipts(DEMO_LICENSE);
    let held = receipts
        .iter()
        .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
        .count();
    assert_eq!(held, 1, "Metrc holds the receipt exactly once");

    let history = json(&ok(
        dir,
        &["--json", "queue", "show", &entry_id.to_string()],
        "",
    ));
    assert_eq!(history["entry"]["state"], "confirmed");
    assert!(!history["attempts"].as_array().expect("attempts").is_empty());

    // A second run finds nothing to do and sends nothing again.
    let again = ok(
        dir,
        &["sync", "--once", "--metrc-url", &url],
        &format!("bea={DEMO_BUDTENDER_KEY}\n"),
    );
    assert!(again.contains("0 confirmed"), "{again}");
    assert_eq!(
        emulator.control().receipts(DEMO_LICENSE).len(),
        receipts.len()
    );
    rt.block_on(emulator.shutdown());
}

#[test]
fn licence_add_takes_the_deadline_from_the_state_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let add = |number: &str, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "licence",
            "add",
            "--number",
            number,
            "--name",
            "Shop",
            "--time-zone",
            DEMO_TIME_ZONE,
        ];
        args.extend_from_slice(extra);
        json(&ok(dir, &args, ""))
    };

    // The shipped default of the licence's state, flagged as an assumption.
    let mi = add("MI-1", &["--state", "mi"]);
    assert_eq!(mi["reporting_deadline_hours"], 24);
    assert_eq!(mi["deadline_source"]["kind"], "state_default");
    assert_eq!(mi["deadline_source"]["state"], "MI");
    assert_eq!(mi["deadline_source"]["assumed"], true);
    let human = ok(
        dir,
        &[
            "licence",
            "add",
            "--number",
            "MI-1",
            "--name",
            "Shop",
            "--time-zone",
            DEMO_TIME_ZONE,
            "--state",
            "MI",
        ],
        "",
    );
    assert!(
        human.contains("24 h: the state default for MI; it is an assumption"),
        "{human}"
    );

    // A manager's default is used as set (and no longer an assumption); it comes from the table.
    ok(
        dir,
        &["user", "add", "--name", "Ana", "--role", "manager"],
        "48213957\n",
    );
    ok(
        dir,
        &[
            "deadlines",
            "set",
            "--state",
            "MI",
            "--hours",
            "12",
            "--as",
            "Ana",
        ],
        "48213957\n",
    );
    let mi = add("MI-2", &["--state", "MI"]);
    assert_eq!(mi["reporting_deadline_hours"], 12);
    assert_eq!(mi["deadline_source"]["assumed"], false);

    // An explicit deadline wins; with no state at all, the strictest state default applies.
    assert_eq!(
        add("MI-3", &["--state", "MI", "--deadline-hours", "36"])["reporting_deadline_hours"],
        36
    );
    let unknown = add("X-1", &[]);
    assert_eq!(unknown["reporting_deadline_hours"], 12);
    assert_eq!(
        unknown["deadline_source"]["kind"],
        "strictest_state_default"
    );

    // The register's state (chosen in the app's setup) is used when --state is not given.
    stateline_store::Database::open(dir.join("stateline.sqlite"))
        .expect("database")
        .set_setting("app.state_code", "CO")
        .expect("state");
    let co = add("CO-1", &[]);
    assert_eq!(co["reporting_deadline_hours"], 24);
    assert_eq!(co["deadline_source"]["state"], "CO");
    assert_eq!(co["deadline_source"]["assumed"], true);

    // A bad state is refused and nothing is saved.
    let output = stateline(
        dir,
        &[
            "licence",
            "add",
            "--number",
            "ZZ-1",
            "--name",
            "Shop",
            "--time-zone",
            DEMO_TIME_ZONE,
            "--state",
            "Colorado",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let listed = json(&ok(dir, &["--json", "licence", "list"], ""));
    let numbers: Vec<&str> = listed
        .as_array()
        .expect("licences")
        .iter()
        .map(|l| l["number"].as_str().expect("number"))
        .collect();
    assert_eq!(numbers.len(), 5, "{numbers:?}");
    assert!(!numbers.contains(&"ZZ-1"), "{numbers:?}");
}

#[test]
fn bad_json_exits_1_and_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    add_licence(dir);
    let oversized = format!("{{\"licence\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let cases = [
        ("{not json", "the sale JSON is not valid"),
        (r#"{"licence":"403R-00001"}"#, "acting_user"),
        (&sale_json(LABEL, "lots") as &str, "lines[0].quantity"),
        (&oversized as &str, "larger than 1024 KiB"),
    ];
    for (input, expected) in cases {
        let output = stateline(dir, &["record", "sale"], input);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(
            stderr.contains(expected),
            "{stderr} should mention {expected}"
        );
        assert!(stderr.contains("nothing was recorded"), "{stderr}");
    }
    let output = stateline(dir, &["--json", "record", "sale"], "[]");
    assert_eq!(output.status.code(), Some(1));
    let error = json(&texts(&output).0);
    assert_eq!(error["code"], "invalid_input");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("nothing was recorded")
    );

    // A sale dated in 2099, or for a customer type Metrc does not know, is refused by the core.
    for (field, value, expected) in [
        (
            "occurred_at",
            "2099-01-01T00:00:00Z",
            "ahead of this register's clock",
        ),
        ("customer_type", "Martian", "use one of"),
    ] {
        let mut sale: serde_json::Value = serde_json::from_str(&sale_json(LABEL, "1")).unwrap();
        sale[field] = value.into();
        let output = stateline(dir, &["--json", "record", "sale"], &sale.to_string());
        assert_eq!(output.status.code(), Some(1));
        let error = json(&texts(&output).0);
        assert_eq!(error["code"], "invalid_input", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(expected),
            "{error}"
        );
    }

    // A well-formed sale the core refuses (unknown package) is a core error with its code.
    let output = stateline(dir, &["--json", "record", "sale"], &sale_json("NOPE", "1"));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json(&texts(&output).0)["code"], "unknown_package");

    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert!(
        queue["counts"].as_array().expect("counts").is_empty(),
        "{queue}"
    );
    assert!(
        queue["entries"].as_array().expect("entries").is_empty(),
        "{queue}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["frobnicate"][..],
        &["sync", "--metrc-url", "http://127.0.0.1:1"],
        &["record", "receipt"],
        &[
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            "http://x",
        ],
    ] {
        let output = stateline(dir.path(), args, "");
        assert_eq!(output.status.code(), Some(2), "`stateline {args:?}`");
    }
}

#[test]
fn a_wrong_key_is_refused_without_being_shown() {
    let (rt, emulator) = support::demo_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    add_licence(dir.path());
    let wrong = "wrong-user-key-99999999";
    let output = stateline(
        dir.path(),
        &[
            "--json",
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            &emulator.base_url(),
            "--user-key-stdin",
        ],
        &format!("{wrong}\n"),
    );
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(json(&stdout)["code"], "metrc_key_refused");
    assert!(!stdout.contains(wrong) && !stderr.contains(wrong));
    rt.block_on(emulator.shutdown());
}

#[test]
fn the_emulator_command_prints_its_address() {
    let mut child = Command::new(BIN)
        .args(["emulator", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("stateline emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
}

#[test]
fn sync_watch_delivers_and_stops_on_ctrl_c() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    add_licence(dir);
    refresh_as_manager(dir, &url);
    let recorded = json(&ok(
        dir,
        &["--json", "record", "sale"],
        &sale_json(LABEL, "2"),
    ));
    let client_id = recorded["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();

    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["--json", "sync", "--watch", "--metrc-url", &url])
        .env("STATELINE_VENDOR_KEY", DEMO_VENDOR_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync --watch starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("bea={DEMO_BUDTENDER_KEY}\n").as_bytes())
        .expect("keys");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    loop {
        let line = lines
            .next()
            .expect("a status line before the sale is delivered")
            .expect("stdout");
        assert!(!line.contains(DEMO_BUDTENDER_KEY));
        let status = json(&line);
        seen.push(line);
        if status["waiting"] == 0 && status["running"] == true {
            break;
        }
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let rest: Vec<String> = lines.map(|l| l.expect("stdout")).collect();
    let output = child.wait_with_output().expect("sync --watch exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}\n{stderr}", output.status);
    assert!(!stderr.contains(DEMO_BUDTENDER_KEY));
    let last = json(rest.last().unwrap_or_else(|| seen.last().expect("lines")));
    assert_eq!(
        last["running"], false,
        "the final snapshot says the worker stopped"
    );
    let held = emulator
        .control()
        .receipts(DEMO_LICENSE)
        .iter()
        .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
        .count();
    assert_eq!(held, 1);
    rt.block_on(emulator.shutdown());
}

/// The patient-number rule lives in the store's `record_sale`, so the command line enforces it as
/// the app does: at a licence bound with `--requires-patient-number`, a sale without one (missing
/// or blank) is refused with `invalid_input`, says what to enter and records nothing; the same
/// sale with the number is recorded and keeps it.
#[test]
fn record_sale_refuses_a_sale_without_the_patient_number_its_licence_requires() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let added = add_licence_with(dir, &["--requires-patient-number"]);
    assert_eq!(added["requires_patient_number"], true);
    assert_eq!(added["requires_caregiver_number"], false);
    refresh_as_manager(dir, &url);
    let with_patient = |patient: Value| {
        let mut sale: Value = serde_json::from_str(&sale_json(LABEL, "1")).expect("sale");
        sale["customer_type"] = "Patient".into();
        sale["patient_number"] = patient;
        sale.to_string()
    };
    for missing in [Value::Null, Value::from("   ")] {
        let output = stateline(dir, &["--json", "record", "sale"], &with_patient(missing));
        assert_eq!(output.status.code(), Some(1));
        let error = json(&texts(&output).0);
        assert_eq!(error["code"], "invalid_input", "{error}");
        let message = error["message"].as_str().expect("message");
        assert!(message.contains("patient"), "{message}");
    }
    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert!(
        queue["counts"].as_array().expect("counts").is_empty(),
        "a refused sale recorded nothing: {queue}"
    );

    let recorded = json(&ok(
        dir,
        &["--json", "record", "sale"],
        &with_patient(Value::from("PAT-0042")),
    ));
    assert!(recorded["client_id"].is_string(), "{recorded}");
    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert_eq!(count_in(&queue, "pending"), 1, "{queue}");
    rt.block_on(emulator.shutdown());
}

/// A licence added as medical-only and requiring the identification method: a consumer sale is
/// refused naming the customer type, an external patient without the method is refused naming it,
/// each writing nothing; with the method the sale is recorded. The plain output says what the
/// licence's sales need.
#[test]
fn a_medical_only_licence_refuses_consumers_and_asks_external_patients_for_identification() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let added = add_licence_with(
        dir,
        &[
            "--medical-only",
            "--requires-patient-number",
            "--requires-identification-method",
        ],
    );
    assert_eq!(added["sells_to_consumers"], false, "{added}");
    assert_eq!(added["requires_identification_method"], true, "{added}");
    refresh_as_manager(dir, &url);
    let sale_as = |customer: &str, method: Value| {
        let mut sale: Value = serde_json::from_str(&sale_json(LABEL, "1")).expect("sale");
        sale["customer_type"] = customer.into();
        sale["patient_number"] = "OUT-0042".into();
        sale["identification_method"] = method;
        sale.to_string()
    };
    for (sale, field) in [
        (sale_as("Consumer", Value::Null), "customer type"),
        (
            sale_as("ExternalPatient", Value::Null),
            "identification method",
        ),
        (
            sale_as("ExternalPatient", Value::from("<id>")),
            "identification method",
        ),
    ] {
        let output = stateline(dir, &["--json", "record", "sale"], &sale);
        assert_eq!(output.status.code(), Some(1));
        let error = json(&texts(&output).0);
        assert_eq!(error["code"], "invalid_input", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{error}"
        );
    }
    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert!(
        queue["counts"].as_array().expect("counts").is_empty(),
        "{queue}"
    );
    ok(
        dir,
        &["--json", "record", "sale"],
        &sale_as("ExternalPatient", Value::from("State ID")),
    );
    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert_eq!(count_in(&queue, "pending"), 1, "{queue}");

    let plain = ok(
        dir,
        &[
            "licence",
            "add",
            "--number",
            "403R-00002",
            "--name",
            "Annex",
            "--time-zone",
            DEMO_TIME_ZONE,
            "--medical-only",
        ],
        "",
    );
    assert!(
        plain.contains("sells only to patients and caregivers"),
        "{plain}"
    );
    rt.block_on(emulator.shutdown());
}

#[test]
fn a_paper_sale_from_before_the_reporting_window_needs_a_managers_approval() {
    let (_rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    add_licence(dir);
    refresh_as_manager(dir, &url);
    ok(
        dir,
        &["user", "add", "--name", "Ana", "--role", "manager"],
        "48151623\n",
    );
    let mut sale: Value = serde_json::from_str(&sale_json(LABEL, "1")).unwrap();
    sale["acting_user"] = "Ana".into();
    sale["occurred_at"] = support::minutes_ago(30 * 60).into();
    let file = dir.join("paper-sale.json");
    std::fs::write(&file, sale.to_string()).unwrap();
    let file = file.to_str().unwrap();

    // Thirty hours ago is before the demo licence's 24-hour reporting window.
    let output = stateline(dir, &["--json", "record", "sale", "--file", file], "");
    assert_eq!(output.status.code(), Some(1));
    let error = json(&texts(&output).0);
    assert_eq!(error["code"], "sale_too_old", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("late sale"), "{error}");
    assert!(
        message.contains("was 1 day 6 h ago") && !message.contains(":00Z"),
        "how long ago, never a raw instant: {error}"
    );

    // The approval needs a reason, the JSON from a file and the manager's PIN.
    let usage = stateline(
        dir,
        &[
            "record",
            "sale",
            "--file",
            file,
            "--late",
            "--approved-by",
            "Ana",
        ],
        "48151623\n",
    );
    assert_eq!(usage.status.code(), Some(2), "{:?}", texts(&usage));
    let wrong = stateline(
        dir,
        &[
            "--json",
            "record",
            "sale",
            "--file",
            file,
            "--late",
            "--approved-by",
            "Ana",
            "--reason",
            "paper sale",
        ],
        "11112222\n",
    );
    assert_eq!(json(&texts(&wrong).0)["code"], "wrong_pin");
    let queue = json(&ok(dir, &["--json", "queue"], ""));
    assert!(queue["entries"].as_array().unwrap().is_empty(), "{queue}");

    let recorded = json(&ok(
        dir,
        &[
            "--json",
            "record",
            "sale",
            "--file",
            file,
            "--late",
            "--approved-by",
            "Ana",
            "--reason",
            "paper sale from the outage",
        ],
        "48151623\n",
    ));
    assert!(recorded["client_id"].is_string(), "{recorded}");
    let audit = ok(dir, &["--json", "audit", "list"], "");
    assert!(audit.contains("sale_exception_approved"), "{audit}");
    assert!(audit.contains("paper sale from the outage"), "{audit}");
    assert!(
        !audit.contains("48151623"),
        "the PIN never reaches the audit log"
    );
}
