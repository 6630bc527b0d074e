//! End-to-end tests of `stateline reconcile`, `report outage`, `deadlines` and `audit` with the
//! real binary, a real SQLite file and the Metrc emulator on loopback in this test process.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use jiff::Timestamp;
use metrc_emulator::{
    DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Faults,
    Receipt, RefuseConnections, SaleLine,
};
use support::{json, texts};

use crate::support;

const LABEL: &str = "1A4FF0100000022000000001";
const KEYS: [&str; 3] = [DEMO_VENDOR_KEY, DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY];
const MANAGER_PIN: &str = "31415926";
const BUDTENDER_PIN: &str = "27182818";
const ODD_NAME: &str = "Bea, \"B\"";

fn stateline(dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::run(
        dir,
        args,
        stdin,
        &[&KEYS[..], &[MANAGER_PIN, BUDTENDER_PIN]].concat(),
    )
}

fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    support::succeeded(&stateline(dir, args, stdin), args)
}

fn sale_json(at: Timestamp) -> String {
    serde_json::json!({
        "licence": DEMO_LICENSE,
        "acting_user": ODD_NAME,
        "occurred_at": at.to_string(),
        "customer_type": "Consumer",
        "patient_number": null,
        "caregiver_number": null,
        "lines": [{
            "label": LABEL,
            "quantity": "1",
            "unit_of_measure": "Grams",
            "total_amount": "12.50"
        }]
    })
    .to_string()
}

fn today() -> String {
    Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .date()
        .to_string()
}

#[test]
fn compliance_commands_end_to_end() {
    let (rt, emulator) = support::demo_emulator();
    let control = emulator.control();
    let url = emulator.base_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let keys = format!("{ODD_NAME}={DEMO_BUDTENDER_KEY}\nmax={DEMO_MANAGER_KEY}\n");

    ok(
        dir,
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
    ok(
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
    ok(
        dir,
        &["user", "add", "--name", "max", "--role", "manager"],
        &format!("{MANAGER_PIN}\n"),
    );
    ok(
        dir,
        &[
            "user",
            "add",
            "--name",
            "bea",
            "--role",
            "budtender",
            "--as",
            "max",
        ],
        &format!("{MANAGER_PIN}\n{BUDTENDER_PIN}\n"),
    );
    // The budtender whose name needs quoting in the reports makes the sales.
    ok(
        dir,
        &[
            "user",
            "add",
            "--name",
            ODD_NAME,
            "--role",
            "budtender",
            "--as",
            "max",
        ],
        &format!("{MANAGER_PIN}\n{BUDTENDER_PIN}\n"),
    );

    // One sale sent at once; one made while Metrc's port is closed.
    ok(dir, &["record", "sale"], &sale_json(Timestamp::now()));
    let synced = json(&ok(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &keys,
    ));
    assert_eq!(synced["confirmed"], 1, "{synced}");
    control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    let waiting = json(&ok(
        dir,
        &["--json", "record", "sale"],
        &sale_json(Timestamp::now()),
    ));
    let offline = json(&ok(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &keys,
    ));
    // The sale waits. The gate the failure closed reopens after a backoff of about a second of
    // real time, which a loaded machine can spend before the status is printed: the health is
    // offline, or back in step with the sale still waiting (the gate itself is tested on a
    // manual clock in the delivery crate).
    assert_eq!(
        (
            offline["confirmed"].as_u64(),
            offline["status"]["waiting"].as_u64()
        ),
        (Some(0), Some(1)),
        "{offline}"
    );
    assert!(
        ["offline", "in_step"].contains(&offline["status"]["health"].as_str().unwrap_or("")),
        "{offline}"
    );
    control.clear_faults();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listening = (0..200).any(|_| {
        std::net::TcpStream::connect(&addr).is_ok() || {
            std::thread::sleep(Duration::from_millis(50));
            false
        }
    });
    assert!(listening, "the emulator listens again at {addr}");

    // The outage report: exactly the record made while offline, the name quoted.
    let csv = ok(
        dir,
        &[
            "report",
            "outage",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--format",
            "csv",
        ],
        "",
    );
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains(waiting["client_id"].as_str().unwrap()),
        "{csv}"
    );
    assert!(lines[1].contains(",\"Bea, \"\"B\"\"\","), "{csv}");
    assert!(lines[1].contains(",offline,"), "{csv}");
    let page = dir.join("outage.html");
    let page_arg = page.to_str().unwrap();
    let wrote = ok(
        dir,
        &[
            "report",
            "outage",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--format",
            "html",
            "--out",
            page_arg,
        ],
        "",
    );
    assert!(wrote.starts_with("wrote 1 record(s)"), "{wrote}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Bea, &quot;B&quot;") && !html.contains("https://"));
    let backwards = stateline(
        dir,
        &[
            "--json",
            "report",
            "outage",
            "--from",
            "2100-01-01",
            "--to",
            "2000-01-01",
        ],
        "",
    );
    assert_eq!(backwards.status.code(), Some(1));
    assert_eq!(json(&texts(&backwards).0)["code"], "invalid_input");

    // Reconciliation: a receipt made elsewhere is found; the waiting sale is not compared.
    let foreign = control.insert_receipt(Receipt::new_simple(
        control.now(),
        DEMO_LICENSE,
        Some("OTHER-POS-9"),
        &Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
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
    std::thread::sleep(Duration::from_millis(20));
    let day = today();
    let report = json(&ok(
        dir,
        &[
            "--json",
            "reconcile",
            "--licence",
            DEMO_LICENSE,
            "--day",
            &day,
            "--metrc-url",
            &url,
            "--user",
            "max",
        ],
        &keys,
    ));
    assert_eq!(report["run"]["local_sales"], 2, "{report}");
    assert_eq!(report["run"]["not_compared"], 1, "{report}");
    let differences = report["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{report}");
    assert_eq!(differences[0]["kind"], "unknown_external_number");
    assert_eq!(differences[0]["metrc_receipt_id"], foreign as i64);
    assert_eq!(differences[0]["fix"], "acknowledge");
    let human = ok(
        dir,
        &[
            "reconcile",
            "--licence",
            DEMO_LICENSE,
            "--day",
            &day,
            "--metrc-url",
            &url,
        ],
        &format!("max={DEMO_MANAGER_KEY}\n"),
    );
    assert!(human.contains("1 difference(s)"), "{human}");
    assert!(
        human.contains("unknown_external_number, record OTHER-POS-9"),
        "{human}"
    );
    let no_key = stateline(
        dir,
        &[
            "reconcile",
            "--licence",
            DEMO_LICENSE,
            "--day",
            &day,
            "--metrc-url",
            &url,
        ],
        "",
    );
    assert_eq!(no_key.status.code(), Some(1));
    let bad_day = stateline(
        dir,
        &[
            "reconcile",
            "--licence",
            DEMO_LICENSE,
            "--day",
            "22/11/2026",
            "--metrc-url",
            &url,
        ],
        &keys,
    );
    assert!(texts(&bad_day).1.contains("YYYY-MM-DD"));

    // A fix is a manager's: a budtender is refused, a manager's is audited. Only a void talks
    // to Metrc, so only a void reads a key: without one it is refused with `no_key` and changes
    // nothing; an acknowledgement needs neither a key nor `--metrc-url`.
    let difference = differences[0]["id"].as_i64().unwrap().to_string();
    let fix = |who: &str, pin: &str, fix: &str, extra: &[&str], stdin: &str| {
        let args = [
            &[
                "--json",
                "reconcile",
                "fix",
                "--difference",
                &difference,
                "--fix",
                fix,
                "--note",
                "made by the delivery service",
                "--as",
                who,
            ][..],
            extra,
        ]
        .concat();
        stateline(dir, &args, &format!("{pin}\n{stdin}"))
    };
    let fix_audits = || {
        json(&ok(
            dir,
            &[
                "--json",
                "audit",
                "list",
                "--action",
                "reconciliation_action",
            ],
            "",
        ))
        .as_array()
        .unwrap()
        .len()
    };
    let refused = fix("bea", BUDTENDER_PIN, "acknowledge", &[], "");
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(json(&texts(&refused).0)["code"], "not_allowed");
    control.clear_request_log();
    let keyless_void = fix(
        "max",
        MANAGER_PIN,
        "void_in_metrc",
        &["--metrc-url", &url],
        "",
    );
    assert_eq!(keyless_void.status.code(), Some(1));
    assert_eq!(
        json(&texts(&keyless_void).0)["code"],
        "no_key",
        "{keyless_void:?}"
    );
    assert_eq!(fix_audits(), 0, "a refused void is not audited");
    assert!(control.request_log().is_empty(), "nothing reached Metrc");
    assert!(
        control
            .receipts(DEMO_LICENSE)
            .iter()
            .any(|r| r.id == foreign && !r.voided)
    );
    let fixed = json(&support::succeeded(
        &fix("max", MANAGER_PIN, "acknowledge", &[], ""),
        &["reconcile", "fix"],
    ));
    assert_eq!(fixed["resolution"], "acknowledge");
    assert_eq!(fixed["resolved_by"], "max");
    assert_eq!(fix_audits(), 1);
    let help = ok(dir, &["reconcile", "fix", "--help"], "");
    assert!(help.contains("only for `--fix void_in_metrc`"), "{help}");

    // The daily run: yesterday once per licence.
    let due = json(&ok(
        dir,
        &["--json", "reconcile", "due", "--metrc-url", &url],
        &format!("max={DEMO_MANAGER_KEY}\n"),
    ));
    assert_eq!(due[0]["outcome"], "ran", "{due}");
    let again = ok(
        dir,
        &["reconcile", "due", "--metrc-url", &url],
        &format!("max={DEMO_MANAGER_KEY}\n"),
    );
    assert!(again.contains("already compared"), "{again}");

    // Deadlines: listed, set by a manager, refused to a budtender.
    let listed = json(&ok(dir, &["--json", "deadlines", "list"], ""));
    assert_eq!(listed.as_array().unwrap().len(), 51);
    let set = json(&ok(
        dir,
        &[
            "--json",
            "deadlines",
            "set",
            "--state",
            "co",
            "--hours",
            "12",
            "--as",
            "max",
        ],
        &format!("{MANAGER_PIN}\n"),
    ));
    assert_eq!(set["hours"], 12);
    let refused = stateline(
        dir,
        &[
            "--json",
            "deadlines",
            "set",
            "--state",
            "CO",
            "--hours",
            "6",
            "--as",
            "bea",
        ],
        &format!("{BUDTENDER_PIN}\n"),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(json(&texts(&refused).0)["code"], "not_allowed");
    let text = ok(dir, &["deadlines", "list"], "");
    assert!(text.contains("CO        12  set by max"), "{text}");

    // The audit log: the change is there, the chain verifies, the export is complete.
    let entries = json(&ok(
        dir,
        &["--json", "audit", "list", "--action", "deadline_changed"],
        "",
    ));
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(entries[0]["actor"], "max");
    let all = json(&ok(
        dir,
        &["--json", "audit", "list", "--limit", "1000"],
        "",
    ));
    let count = all.as_array().unwrap().len();
    assert!(count >= 5, "users, sales and the deadline: {all}");
    let verified = ok(dir, &["audit", "verify"], "");
    assert!(verified.starts_with("audit log intact"), "{verified}");
    let export = dir.join("audit.csv");
    ok(
        dir,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--out",
            export.to_str().unwrap(),
        ],
        "",
    );
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(exported.starts_with("seq,at,actor,action,subject,detail,hash\r\n"));
    assert_eq!(exported.matches("\r\n").count(), count + 1, "{exported}");
    let bad_action = stateline(dir, &["audit", "list", "--action", "nonsense"], "");
    assert_eq!(bad_action.status.code(), Some(1));

    rt.block_on(emulator.shutdown());
}
