//! End-to-end tests of `stateline backup`, `stateline manifests` and the incremental
//! `stateline refresh`: the real binary, a real SQLite file, the emulator on loopback.

use std::path::Path;
use std::process::Output;

use metrc_emulator::{
    DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Delivery,
    Transfer, TransferPackage,
};
use serde_json::Value;
use support::{json, texts};

use crate::support;

const PIN: &str = "97531864";
const BEA_PIN: &str = "86420975";
const SECRETS: [&str; 5] = [
    DEMO_VENDOR_KEY,
    DEMO_BUDTENDER_KEY,
    DEMO_MANAGER_KEY,
    PIN,
    BEA_PIN,
];
const LABEL: &str = "1A4FF0100000022000000001";

fn stateline(dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::run(dir, args, stdin, &SECRETS)
}

fn ok(dir: &Path, args: &[&str], stdin: &str) -> Value {
    json(&support::succeeded(&stateline(dir, args, stdin), args))
}

/// Runs, expects exit code 1, returns the JSON error's code.
fn fails(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = stateline(dir, args, stdin);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}:\n{stdout}\n{stderr}");
    json(&stdout)["code"].as_str().expect("code").to_owned()
}

fn record_sale(dir: &Path) -> String {
    let sale = serde_json::json!({
        "licence": DEMO_LICENSE,
        "acting_user": "bea",
        "occurred_at": support::minutes_ago(60),
        "customer_type": "Consumer",
        "patient_number": null,
        "caregiver_number": null,
        "lines": [{ "label": LABEL, "quantity": "1", "unit_of_measure": "Grams", "total_amount": "9.00" }]
    });
    ok(dir, &["--json", "record", "sale"], &sale.to_string())["client_id"]
        .as_str()
        .expect("client id")
        .to_owned()
}

fn pending(dir: &Path) -> u64 {
    let queue = ok(dir, &["--json", "queue"], "");
    queue["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .filter(|c| c["state"] == "pending")
        .map(|c| c["count"].as_u64().expect("count"))
        .sum()
}

/// Metrc's filters carry whole seconds, so a refresh sees a change once the second it was made
/// in has passed (a later refresh would see it anyway through the overlap).
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

fn setup(dir: &Path, url: &str) {
    ok(
        dir,
        &[
            "--json",
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
            "--json", "user", "add", "--name", "Ana", "--role", "manager",
        ],
        &format!("{PIN}\n"),
    );
    ok(
        dir,
        &[
            "--json",
            "user",
            "add",
            "--name",
            "bea",
            "--role",
            "budtender",
            "--as",
            "Ana",
        ],
        &format!("{PIN}\n{BEA_PIN}\n"),
    );
    let refreshed = ok(
        dir,
        &[
            "--json",
            "refresh",
            "--licence",
            DEMO_LICENSE,
            "--metrc-url",
            url,
            "--user-key-stdin",
        ],
        &format!("{DEMO_MANAGER_KEY}\n"),
    );
    assert_eq!(
        refreshed["full"], true,
        "the first refresh is full: {refreshed}"
    );
}

#[test]
fn backup_and_restore_round_trip_keeps_the_queue_deliverable() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    setup(dir, &url);
    let in_backup = [record_sale(dir), record_sale(dir)];

    let taken = ok(dir, &["--json", "backup", "now"], "");
    let file = taken["taken"]["path"].as_str().expect("path").to_owned();
    let again = ok(dir, &["--json", "backup", "now", "--if-due"], "");
    assert!(again["taken"].is_null(), "today's backup exists: {again}");
    let listed = ok(dir, &["--json", "backup", "list"], "");
    assert_eq!(listed.as_array().expect("list").len(), 1);
    assert_eq!(listed[0]["path"], file.as_str());
    let not_in_backup = record_sale(dir);
    assert_eq!(pending(dir), 3);

    let restore = ["--json", "backup", "restore", file.as_str(), "--as", "Ana"];
    assert_eq!(fails(dir, &restore, &format!("{PIN}\n")), "unsent_records");
    assert_eq!(pending(dir), 3, "a refused restore changes nothing");
    assert_eq!(fails(dir, &restore, "11111111\n"), "wrong_pin");

    let mut confirmed = restore.to_vec();
    confirmed.push("--yes-discard-unsent");
    let restored = ok(dir, &confirmed, &format!("{PIN}\n"));
    let kept = restored["replaced_kept_at"].as_str().expect("kept aside");
    assert!(Path::new(kept).is_file());
    assert_eq!(restored["unsent_replaced"], 3);
    assert_eq!(pending(dir), 2);

    let new_install = tempfile::tempdir().expect("tempdir");
    let onto_new = ["--json", "backup", "restore", file.as_str(), "--as", "Ana"];
    assert_eq!(
        fails(new_install.path(), &onto_new, "11111111\n"),
        "wrong_pin",
        "a new install checks the PIN against the backup's users"
    );
    ok(new_install.path(), &onto_new, &format!("{PIN}\n"));
    assert_eq!(
        pending(new_install.path()),
        2,
        "a new register gets the queue too"
    );

    let synced = ok(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &format!("bea={DEMO_BUDTENDER_KEY}\nAna={DEMO_MANAGER_KEY}\n"),
    );
    assert_eq!(synced["confirmed"], 2, "{synced}");
    let receipts = emulator.control().receipts(DEMO_LICENSE);
    for id in &in_backup {
        let n = receipts
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(id))
            .count();
        assert_eq!(n, 1, "{id}");
    }
    assert!(
        receipts
            .iter()
            .all(|r| r.external_receipt_number.as_deref() != Some(&not_in_backup))
    );
    rt.block_on(emulator.shutdown());
}

#[test]
fn refresh_is_incremental_and_manifests_read_offline() {
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    setup(dir, &url);
    let key = format!("{DEMO_MANAGER_KEY}\n");
    let refresh = [
        "--json",
        "refresh",
        "--licence",
        DEMO_LICENSE,
        "--metrc-url",
        &url,
        "--user-key-stdin",
    ];
    assert!(
        emulator
            .control()
            .set_package_quantity(DEMO_LICENSE, LABEL, 77.0)
    );
    settle();
    let again = ok(dir, &refresh, &key);
    assert_eq!(again["full"], false, "{again}");
    assert_eq!(again["windows"], 1, "{again}");
    assert_eq!(again["packages"], 1, "only the changed package: {again}");
    let mut full = refresh.to_vec();
    full.push("--full");
    assert_eq!(ok(dir, &full, &key)["packages"], 24);

    emulator.control().add_transfer(Transfer {
        id: 0,
        license_number: DEMO_LICENSE.into(),
        manifest_number: "0000000404".into(),
        shipper_license_number: "403-X0011".into(),
        shipper_name: "CLI Grower".into(),
        created: jiff::Timestamp::UNIX_EPOCH,
        last_modified: jiff::Timestamp::UNIX_EPOCH,
        received: None,
        deliveries: vec![Delivery {
            id: 404,
            estimated_arrival: "2026-11-25T10:00:00.000".into(),
            packages: vec![TransferPackage {
                package_id: 40401,
                label: "1A4FF0100000022000404001".into(),
                item_name: "Gelato Flower".into(),
                item_category: "Buds".into(),
                quantity: 28.0,
                unit_of_measure: "Grams".into(),
            }],
        }],
    });
    settle();
    let online = ok(
        dir,
        &[
            "--json",
            "manifests",
            "--licence",
            DEMO_LICENSE,
            "--refresh",
            "--metrc-url",
            &url,
        ],
        &key,
    );
    let manifest = online
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["manifest_number"] == "0000000404")
        .cloned()
        .expect("the new manifest");
    assert_eq!(manifest["packages"][0]["label"], "1A4FF0100000022000404001");
    rt.block_on(emulator.shutdown());
    let offline = ok(dir, &["--json", "manifests", "--licence", DEMO_LICENSE], "");
    assert_eq!(offline, online, "the cache reads the same offline");
}
