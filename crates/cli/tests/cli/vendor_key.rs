//! End-to-end tests of `stateline vendor-key set|clear|status` and of commands taking the vendor
//! key from the OS keychain: the real binary with `STATELINE_VENDOR_KEY` removed from its
//! environment, the real keychain (gnome-keyring under the D-Bus session CI provides) and the
//! Metrc emulator on loopback.
//!
//! Runs when a Secret Service is reachable. With `CI=true` and none reachable it fails; elsewhere
//! it is skipped with the reason printed. The register's environment is set to `demo`, so the
//! only keychain entry touched is `metrc-vendor:demo` (the app never saves one there: demo mode
//! uses the emulator's own key); the test clears it when done, also when it fails.

use std::path::Path;
use std::process::Output;

use metrc_emulator::{DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY};
use serde_json::Value;
use stateline_secrets::{EntryId, KeychainStore, SecretStore};
use stateline_store::Database;
use support::{json, keychain_usable, texts};

use crate::support;

const MANAGER_PIN: &str = "61853920";
const BUDTENDER_PIN: &str = "29470316";
const SECRETS: [&str; 4] = [
    DEMO_VENDOR_KEY,
    DEMO_MANAGER_KEY,
    MANAGER_PIN,
    BUDTENDER_PIN,
];
/// A well-formed vendor key the emulator does not know.
const OTHER_VENDOR_KEY: &str = "UnknownVendorKey-4Rt8Wq2Zp6Ln";

/// Runs `stateline --data-dir DIR ARGS` with `stdin`, `STATELINE_VENDOR_KEY` set to `vendor_env`
/// or removed; checks that no key or PIN reached its output.
fn stateline(dir: &Path, args: &[&str], stdin: &str, vendor_env: Option<&str>) -> Output {
    support::run_with_vendor_key(dir, args, stdin, &SECRETS, vendor_env)
}

/// Runs without `STATELINE_VENDOR_KEY` and expects success; returns stdout.
fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    support::succeeded(&stateline(dir, args, stdin, None), args)
}

/// Runs with `--json` and expects exit 1; returns the `{"code","message"}` error.
fn fails_with(dir: &Path, args: &[&str], stdin: &str, vendor_env: Option<&str>) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = stateline(dir, &all, stdin, vendor_env);
    let (stdout, stderr) = texts(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "`stateline {args:?}` should fail:\n{stdout}\n{stderr}"
    );
    json(&stdout)
}

fn demo_entry() -> EntryId {
    EntryId::vendor("demo").expect("entry")
}

/// Clears `metrc-vendor:demo` when dropped, so a failed assertion leaves nothing in the keychain.
struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        let _ = KeychainStore::new().delete(&demo_entry());
    }
}

fn refresh_args(url: &str) -> Vec<&str> {
    vec![
        "refresh",
        "--licence",
        DEMO_LICENSE,
        "--metrc-url",
        url,
        "--user-key-stdin",
    ]
}

/// A refresh without a vendor key anywhere fails with a message naming both ways to give one.
fn assert_no_vendor_key(dir: &Path, url: &str) {
    let error = fails_with(
        dir,
        &refresh_args(url),
        &format!("{DEMO_MANAGER_KEY}\n"),
        None,
    );
    assert_eq!(error["code"], "invalid_configuration", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("STATELINE_VENDOR_KEY")
            && message.contains("stateline vendor-key set")
            && message.contains("demo"),
        "{message}"
    );
    let output = stateline(
        dir,
        &[
            "--json",
            "doctor",
            "--metrc-url",
            url,
            "--environment",
            "demo",
        ],
        "",
        None,
    );
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let report = json(&stdout);
    let checks = report["checks"].as_array().expect("checks");
    let vendor = checks
        .iter()
        .find(|c| c["name"] == "vendor key")
        .unwrap_or_else(|| panic!("doctor reports the vendor key: {report}"));
    assert_eq!(vendor["ok"], false, "{report}");
    assert_eq!(vendor["code"], "invalid_configuration", "{report}");
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "database" && c["ok"] == true),
        "the other checks still ran: {report}"
    );
    assert!(
        !checks.iter().any(|c| c["name"] == "metrc"),
        "Metrc is not probed without a vendor key: {report}"
    );
}

#[test]
fn a_manager_saves_the_vendor_key_from_stdin_and_commands_use_it() {
    if !keychain_usable() {
        return;
    }
    let _cleanup = ClearOnDrop;
    let _ = KeychainStore::new().delete(&demo_entry());
    let (rt, emulator) = support::demo_emulator();
    let url = emulator.base_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();

    ok(
        dir,
        &["user", "add", "--name", "Ana", "--role", "manager"],
        &format!("{MANAGER_PIN}\n"),
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
            "Ana",
        ],
        &format!("{MANAGER_PIN}\n{BUDTENDER_PIN}\n"),
    );
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
            "--state",
            "CO",
        ],
        "",
    );
    // The register's environment, as the app's setup stores it.
    Database::open(dir.join("stateline.sqlite"))
        .expect("database")
        .set_setting("app.environment", "demo")
        .expect("environment");

    // Nothing saved and no environment variable: a clear error, and status says none.
    assert_no_vendor_key(dir, &url);
    let status = json(&ok(
        dir,
        &["--json", "vendor-key", "status", "--as", "Ana"],
        &format!("{MANAGER_PIN}\n"),
    ));
    assert_eq!(status["environment"], "demo");
    assert_eq!(status["saved"], false);
    assert_eq!(status["environment_variable_set"], false);

    // A budtender may not set, see or clear it; a wrong PIN is refused; nothing is saved.
    for action in ["set", "status", "clear"] {
        let error = fails_with(
            dir,
            &["vendor-key", action, "--as", "Bea"],
            &format!("{BUDTENDER_PIN}\n{DEMO_VENDOR_KEY}\n"),
            None,
        );
        assert_eq!(error["code"], "not_allowed", "{action}: {error}");
    }
    let error = fails_with(
        dir,
        &["vendor-key", "set", "--as", "Ana"],
        &format!("11112222\n{DEMO_VENDOR_KEY}\n"),
        None,
    );
    assert_eq!(error["code"], "wrong_pin", "{error}");
    let error = fails_with(
        dir,
        &["vendor-key", "set", "--as", "Ana"],
        &format!("{MANAGER_PIN}\nnot a key\n"),
        None,
    );
    assert_eq!(error["code"], "invalid_configuration", "{error}");
    assert!(
        KeychainStore::new().get(&demo_entry()).is_err(),
        "nothing was saved by the refused attempts"
    );

    // The manager saves it: the key goes to the keychain; output shows only the last four.
    let last_four = &DEMO_VENDOR_KEY[DEMO_VENDOR_KEY.len() - 4..];
    let saved = ok(
        dir,
        &["vendor-key", "set", "--as", "Ana"],
        &format!("{MANAGER_PIN}\n{DEMO_VENDOR_KEY}\n"),
    );
    assert!(
        saved.contains("saved the vendor key for demo") && saved.contains(last_four),
        "{saved}"
    );
    {
        use secrecy::ExposeSecret;
        let stored = KeychainStore::new().get(&demo_entry()).expect("saved");
        assert_eq!(stored.expose_secret(), DEMO_VENDOR_KEY);
    }
    let audited = json(&ok(
        dir,
        &["--json", "audit", "list", "--action", "vendor_key_changed"],
        "",
    ));
    let audited = audited.as_array().expect("entries");
    assert_eq!(audited.len(), 1, "only the save is audited: {audited:?}");
    assert_eq!(audited[0]["actor"], "Ana");
    assert_eq!(audited[0]["subject"], "metrc-vendor:demo");
    assert!(
        audited[0]["detail"].as_str().unwrap().contains(last_four),
        "{audited:?}"
    );
    let status = json(&ok(
        dir,
        &["--json", "vendor-key", "status", "--as", "Ana"],
        &format!("{MANAGER_PIN}\n"),
    ));
    assert_eq!(status["saved"], true);
    assert_eq!(status["last_four"], last_four);

    // Commands now work with STATELINE_VENDOR_KEY unset.
    let refreshed = json(&ok(
        dir,
        &[&["--json"][..], &refresh_args(&url)].concat(),
        &format!("{DEMO_MANAGER_KEY}\n"),
    ));
    assert_eq!(refreshed["packages"], 24);
    let sale = serde_json::json!({
        "licence": DEMO_LICENSE, "acting_user": "Bea", "occurred_at": support::minutes_ago(60),
        "customer_type": "Consumer", "patient_number": null, "caregiver_number": null,
        "lines": [{"label": "1A4FF0100000022000000001", "quantity": "1",
                   "unit_of_measure": "Grams", "total_amount": "12.50"}]
    });
    ok(dir, &["record", "sale", "-"], &sale.to_string());
    let synced = json(&ok(
        dir,
        &["--json", "sync", "--once", "--metrc-url", &url],
        &format!("Bea={DEMO_MANAGER_KEY}\n"),
    ));
    assert_eq!(synced["confirmed"], 1, "{synced}");

    // A command given an environment uses that environment's entry, not the register's.
    Database::open(dir.join("stateline.sqlite"))
        .expect("database")
        .set_setting("app.environment", "sandbox")
        .expect("environment");
    let error = fails_with(
        dir,
        &refresh_args(&url),
        &format!("{DEMO_MANAGER_KEY}\n"),
        None,
    );
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("sandbox"), "{message}");
    let output = stateline(
        dir,
        &[
            "--json",
            "doctor",
            "--metrc-url",
            &url,
            "--environment",
            "demo",
        ],
        "",
        None,
    );
    let report = json(&texts(&output).0);
    let checks = report["checks"].as_array().expect("checks");
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "vendor key" && c["ok"] == true),
        "doctor --environment demo finds the demo vendor key: {report}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "metrc" && c["ok"] == true),
        "{report}"
    );
    Database::open(dir.join("stateline.sqlite"))
        .expect("database")
        .set_setting("app.environment", "demo")
        .expect("environment");

    // The environment variable, when set, comes first: an unknown vendor key is refused by Metrc.
    let error = fails_with(
        dir,
        &refresh_args(&url),
        &format!("{DEMO_MANAGER_KEY}\n"),
        Some(OTHER_VENDOR_KEY),
    );
    assert_eq!(error["code"], "metrc_key_refused", "{error}");

    // Cleared: back to the clear error.
    let cleared = ok(
        dir,
        &["vendor-key", "clear", "--as", "Ana"],
        &format!("{MANAGER_PIN}\n"),
    );
    assert!(
        cleared.contains("cleared the vendor key for demo"),
        "{cleared}"
    );
    assert!(KeychainStore::new().get(&demo_entry()).is_err());
    let audited = json(&ok(
        dir,
        &["--json", "audit", "list", "--action", "vendor_key_changed"],
        "",
    ));
    assert_eq!(audited.as_array().expect("entries").len(), 2, "{audited}");
    assert_eq!(
        audited[0]["detail"], "cleared from the OS keychain",
        "newest first"
    );
    assert_no_vendor_key(dir, &url);
    rt.block_on(emulator.shutdown());
}
