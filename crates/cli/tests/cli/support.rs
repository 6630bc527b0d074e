//! Shared by the CLI end-to-end tests: run the real `stateline` binary against a data folder,
//! feed it stdin, and check that none of the given secrets reached its output.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use metrc_emulator::{DEMO_VENDOR_KEY, Emulator, Options, Seed};
use serde_json::Value;
use stateline_secrets::{KeychainStore, SecretStore};

pub const BIN: &str = env!("CARGO_BIN_EXE_stateline");

/// Runs `stateline --data-dir DIR ARGS` with `stdin` (debug logging on) and the demo vendor key
/// in `STATELINE_VENDOR_KEY`, and asserts that no string of `secrets` appears in its stdout or
/// stderr.
pub fn run(dir: &Path, args: &[&str], stdin: &str, secrets: &[&str]) -> Output {
    run_with_vendor_key(dir, args, stdin, secrets, Some(DEMO_VENDOR_KEY))
}

/// [`run`] with `STATELINE_VENDOR_KEY` set to `vendor_key`, or removed when `None`.
pub fn run_with_vendor_key(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    secrets: &[&str],
    vendor_key: Option<&str>,
) -> Output {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("STATELINE_VENDOR_KEY")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(value) = vendor_key {
        command.env("STATELINE_VENDOR_KEY", value);
    }
    let mut child = command.spawn().expect("stateline starts");
    // A command that refuses its arguments may exit before it reads stdin; that is not a failure
    // of the test (its exit status and output are what is checked).
    match child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("write stdin"),
    }
    let output = child.wait_with_output().expect("stateline finishes");
    let (stdout, stderr) = texts(&output);
    for secret in secrets {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret leaked from `stateline {args:?}`:\n{stdout}\n{stderr}"
        );
    }
    output
}

pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts success and returns stdout.
pub fn succeeded(output: &Output, args: &[&str]) -> String {
    let (stdout, stderr) = texts(output);
    assert!(
        output.status.success(),
        "`stateline {args:?}` failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether the real keychain can be used; fails in CI when it cannot, skips elsewhere (saying so).
pub fn keychain_usable() -> bool {
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

/// The demo emulator on a loopback port, with the runtime that serves it (keep both alive).
pub fn demo_emulator() -> (tokio::runtime::Runtime, Emulator) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(
            "127.0.0.1:0".parse().expect("addr"),
            Seed::demo(jiff::Timestamp::now()),
            Options::default(),
        ))
        .expect("emulator starts");
    (rt, emulator)
}

/// A record time `minutes` before now (RFC 3339 UTC): inside every licence's reporting window,
/// whatever today's date (the suite also runs under a moved clock).
pub fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}
