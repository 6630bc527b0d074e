//! End-to-end tests of `stateline user …` (real binary, real SQLite in a temporary folder) and
//! `stateline key …` (the real OS keychain and the Metrc emulator on loopback).
//!
//! The keychain tests run when a Secret Service is reachable. With `CI=true` and none reachable
//! they fail; elsewhere they are skipped with the reason printed. Each uses a Metrc user id unique
//! to this run, and clears what it set. PINs are 8 digits so that the leak checks cannot match a
//! timestamp or id by chance.

use std::path::Path;
use std::process::Output;

use metrc_emulator::{DEMO_MANAGER_KEY, DEMO_VENDOR_KEY, Emulator, Options, Seed};
use stateline_core::secrets::{KeychainStore, SecretStore};
use support::{json, texts};

mod support;

const MANAGER_PIN: &str = "48213957";
const BUDTENDER_PIN: &str = "73946158";
const SECRETS: [&str; 4] = [
    DEMO_VENDOR_KEY,
    DEMO_MANAGER_KEY,
    MANAGER_PIN,
    BUDTENDER_PIN,
];

/// Runs `stateline --data-dir DIR ARGS` with `stdin`; checks no key or PIN reached its output.
fn stateline(dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::run(dir, args, stdin, &SECRETS)
}

fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    support::succeeded(&stateline(dir, args, stdin), args)
}

/// Runs with `--json`, expects exit 1, returns the error code.
fn fails(dir: &Path, args: &[&str], stdin: &str) -> String {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = stateline(dir, &all, stdin);
    let (stdout, stderr) = texts(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "`stateline {args:?}` should fail:\n{stdout}\n{stderr}"
    );
    json(&stdout)["code"].as_str().expect("code").to_owned()
}

fn pins(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn managers_add_users_and_reset_pins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();

    // First run: the first user must be a manager, with one PIN line.
    assert_eq!(
        fails(
            dir,
            &["user", "add", "--name", "Bea", "--role", "budtender"],
            &pins(&[BUDTENDER_PIN])
        ),
        "invalid_configuration"
    );
    let first = json(&ok(
        dir,
        &[
            "--json", "user", "add", "--name", "Ana", "--role", "manager",
        ],
        &pins(&[MANAGER_PIN]),
    ));
    assert_eq!(first["name"], "Ana");
    assert_eq!(first["role"], "manager");

    // Now a manager must act.
    assert_eq!(
        fails(
            dir,
            &["user", "add", "--name", "Bea", "--role", "budtender"],
            &pins(&[BUDTENDER_PIN])
        ),
        "invalid_configuration"
    );
    let added = ok(
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
        &pins(&[MANAGER_PIN, BUDTENDER_PIN]),
    );
    assert!(added.contains("added Bea (budtender)"), "{added}");

    // A wrong manager PIN is refused.
    assert_eq!(
        fails(
            dir,
            &[
                "user",
                "add",
                "--name",
                "Cy",
                "--role",
                "budtender",
                "--as",
                "Ana"
            ],
            &pins(&["0000", BUDTENDER_PIN])
        ),
        "wrong_pin"
    );
    // A budtender cannot add users or reset PINs.
    assert_eq!(
        fails(
            dir,
            &[
                "user",
                "add",
                "--name",
                "Cy",
                "--role",
                "budtender",
                "--as",
                "Bea"
            ],
            &pins(&[BUDTENDER_PIN, "5555"])
        ),
        "not_allowed"
    );
    assert_eq!(
        fails(
            dir,
            &["user", "reset-pin", "--name", "Ana", "--as", "Bea"],
            &pins(&[BUDTENDER_PIN, "5555"])
        ),
        "not_allowed"
    );
    // A missing PIN line is named, not guessed.
    assert_eq!(
        fails(
            dir,
            &[
                "user",
                "add",
                "--name",
                "Cy",
                "--role",
                "budtender",
                "--as",
                "Ana"
            ],
            &pins(&[MANAGER_PIN])
        ),
        "invalid_configuration"
    );

    // The manager resets Bea's PIN; the old one no longer works.
    ok(
        dir,
        &["user", "reset-pin", "--name", "Bea", "--as", "Ana"],
        &pins(&[MANAGER_PIN, "86429731"]),
    );

    // The list shows roles and lock state, never PINs or hashes.
    let list_text = ok(dir, &["user", "list"], "");
    assert!(
        list_text.contains("Ana") && list_text.contains("manager"),
        "{list_text}"
    );
    assert!(
        list_text.contains("Bea") && list_text.contains("budtender"),
        "{list_text}"
    );
    let list = ok(dir, &["--json", "user", "list"], "");
    assert!(
        !list.contains("argon2") && !list.contains("86429731"),
        "{list}"
    );
    let list = json(&list);
    let users = list.as_array().expect("array");
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| u["locked"] == false));
    assert!(users.iter().all(|u| u.get("pin_hash").is_none()));
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether the real keychain can be used; fails in CI when it cannot, skips elsewhere.
fn keychain_usable() -> bool {
    match KeychainStore::new().probe() {
        Ok(()) => true,
        Err(e) => {
            let reason = format!(
                "the session has no usable Secret Service: {} ({e})",
                e.code()
            );
            assert!(
                !in_ci(),
                "CI=true but the keychain test cannot run: {reason}"
            );
            eprintln!(
                "SKIPPED: {reason} (set up a D-Bus session with gnome-keyring, or run in CI)"
            );
            false
        }
    }
}

#[test]
fn keys_are_set_validated_and_cleared_in_the_keychain() {
    if !keychain_usable() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(
            "127.0.0.1:0".parse().expect("addr"),
            Seed::demo(),
            Options::default(),
        ))
        .expect("emulator starts");
    let url = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let user = format!("cli-test-{}", std::process::id());
    let entry = ["--user", user.as_str(), "--environment", "demo"];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(entry.iter())
            .chain(tail.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run_ok = |args: Vec<String>, stdin: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(dir, &args, stdin)
    };

    let saved = run_ok(with(&["key", "set"], &[]), &format!("{DEMO_MANAGER_KEY}\n"));
    assert!(
        saved.contains(&format!("metrc-user:demo:{user}")),
        "{saved}"
    );
    assert!(
        saved.contains(&DEMO_MANAGER_KEY[DEMO_MANAGER_KEY.len() - 4..]),
        "{saved}"
    );

    let table = run_ok(with(&["key", "validate"], &["--metrc-url", &url]), "");
    assert!(!table.trim().is_empty());
    let report = json(&run_ok(
        with(&["--json", "key", "validate"], &["--metrc-url", &url]),
        "",
    ));
    assert_eq!(report["verdict"]["code"], "all_good", "{report}");

    run_ok(with(&["key", "clear"], &[]), "");
    let args = with(&["key", "validate"], &["--metrc-url", &url]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(fails(dir, &args, ""), "key_not_found");

    // A key Metrc refuses is saved, validates as not good (exit 1), and is cleared.
    run_ok(
        with(&["key", "set"], &[]),
        "RefusedByMetrcKey000000000000000000000000009zz9\n",
    );
    let args = with(&["--json", "key", "validate"], &["--metrc-url", &url]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = stateline(dir, &args, "");
    assert_eq!(output.status.code(), Some(1));
    let report = json(&texts(&output).0);
    assert_eq!(report["verdict"]["code"], "key_invalid", "{report}");
    run_ok(with(&["key", "clear"], &[]), "");

    rt.block_on(emulator.shutdown());
}
