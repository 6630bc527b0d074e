//! The `metrc-emulator` binary prints its listening line first and serves the demo seed; the HTTP
//! control API works against it.
use crate::common;

use metrc_emulator::{DEMO_MANAGER_KEY, DEMO_VENDOR_KEY};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_listening_line_first_and_serves_demo() {
    let faults = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(faults.path(), r#"{"latency": {"fixed_ms": 1}}"#).unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_metrc-emulator"))
            .args(["--listen", "127.0.0.1:0", "--seed", "demo", "--faults"])
            .arg(faults.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    let client = common::client();
    let ok = client
        .get(format!("{base}/facilities/v2"))
        .basic_auth(DEMO_VENDOR_KEY, Some(DEMO_MANAGER_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = client
        .get(format!("{base}/facilities/v2"))
        .basic_auth(DEMO_VENDOR_KEY, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);

    // Control API over HTTP.
    let faults: serde_json::Value = client
        .get(format!("{base}/__emulator/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["latency"]["fixed_ms"], 1);
    let r = client
        .put(format!("{base}/__emulator/faults"))
        .json(&serde_json::json!({"outage_503": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let down = client
        .get(format!("{base}/facilities/v2"))
        .basic_auth(DEMO_VENDOR_KEY, Some(DEMO_MANAGER_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 503);
    client
        .put(format!("{base}/__emulator/faults"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();

    let r = client
        .post(format!("{base}/__emulator/users/manager/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let revoked = client
        .get(format!("{base}/facilities/v2"))
        .basic_auth(DEMO_VENDOR_KEY, Some(DEMO_MANAGER_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    let r = client
        .post(format!("{base}/__emulator/users/manager/key"))
        .json(&serde_json::json!({"key": "new-manager-key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .delete(format!("{base}/__emulator/users/manager/permissions"))
        .json(&serde_json::json!({"license": "403R-00001", "permission": "view packages"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let denied = client
        .get(format!(
            "{base}/packages/v2/active?licenseNumber=403R-00001"
        ))
        .basic_auth(DEMO_VENDOR_KEY, Some("new-manager-key"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let r = client
        .post(format!("{base}/__emulator/users/manager/permissions"))
        .json(&serde_json::json!({"license": "403R-00001", "permission": "ViewPackages"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{base}/__emulator/users/nobody/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let state: serde_json::Value = client
        .get(format!("{base}/__emulator/state?licenseNumber=403R-00001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["packages"].as_array().unwrap().len(), 24);
    let reqs: serde_json::Value = client
        .get(format!("{base}/__emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!reqs.as_array().unwrap().is_empty());
    assert!(!reqs.to_string().contains(DEMO_MANAGER_KEY));
    let opts: serde_json::Value = client
        .get(format!("{base}/__emulator/options"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(opts["object_limit"], 10);
    let r = client
        .put(format!("{base}/__emulator/options"))
        .json(&serde_json::json!({"object_limit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .put(format!("{base}/__emulator/options"))
        .body("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[test]
fn bad_seed_file_fails_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_metrc-emulator"))
        .args(["--seed", "/nonexistent/seed.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
