//! Shared by the CLI end-to-end tests: run the real `stateline` binary against a data folder,
//! feed it stdin, and check that none of the given secrets reached its output.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use metrc_emulator::DEMO_VENDOR_KEY;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_stateline");

/// Runs `stateline --data-dir DIR ARGS` with `stdin` (debug logging on) and asserts that no
/// string of `secrets` appears in its stdout or stderr.
pub fn run(dir: &Path, args: &[&str], stdin: &str, secrets: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("STATELINE_VENDOR_KEY", DEMO_VENDOR_KEY)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stateline starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
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
