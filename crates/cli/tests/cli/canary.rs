//! The canary scan (SPEC guarantee 6): every key path of the command line runs with unmistakable
//! canary vendor and user keys and canary PINs, at trace logging, against the Metrc emulator and
//! the real OS keychain; then every output and every file the runs left — stdout/stderr (where the
//! logs go), the SQLite database with its WAL and shared memory, backups, exports and reports,
//! and the temporary folder the runs were given — is searched for the canaries, their Base64
//! forms and the Base64 of the `vendor:user` Basic-auth pairs. Zero hits is the only pass.
//!
//! Runs where a Secret Service is reachable; with `CI=true` and none reachable it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use metrc_emulator::{DEMO_LICENSE, Emulator, Options, Permission, Seed};
use stateline_secrets::{KeychainStore, SecretStore};

const BIN: &str = env!("CARGO_BIN_EXE_stateline");
const VENDOR: &str = "CanaryVendorKey-q7Zx4Lm9Tw2Rb8Kd";
const MANAGER_KEY: &str = "CanaryManagerKey-h3Vn6Yp1Qs5Jc0Wf";
const BUDTENDER_KEY: &str = "CanaryBudtenderKey-m8Gt2Xe7Ua4Nz6Hr";
const MANAGER_PIN: &str = "80641397";
const BUDTENDER_PIN: &str = "57302864";

/// Every form of every secret that must never appear.
fn forbidden() -> Vec<(String, Vec<u8>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for secret in [
        VENDOR,
        MANAGER_KEY,
        BUDTENDER_KEY,
        MANAGER_PIN,
        BUDTENDER_PIN,
    ] {
        out.push((secret.to_owned(), secret.as_bytes().to_vec()));
        out.push((format!("base64({secret})"), b64.encode(secret).into_bytes()));
    }
    for user in [MANAGER_KEY, BUDTENDER_KEY] {
        let pair = format!("{VENDOR}:{user}");
        out.push((format!("basic({user})"), b64.encode(&pair).into_bytes()));
    }
    // The keys' distinctive middles, in case something cut or re-encoded them.
    for key in [VENDOR, MANAGER_KEY, BUDTENDER_KEY] {
        let middle = &key[key.len() - 16..key.len() - 4];
        out.push((format!("part of {key}"), middle.as_bytes().to_vec()));
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn keychain_usable() -> bool {
    match KeychainStore::new().probe() {
        Ok(()) => true,
        Err(e) => {
            assert!(!in_ci(), "CI=true but the keychain is not usable: {e}");
            eprintln!("SKIPPED: no usable Secret Service ({e})");
            false
        }
    }
}

/// The demo dispensary with canary keys.
fn canary_seed() -> Seed {
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.vendor_keys = vec![VENDOR.into()];
    seed.users.clear();
    seed.add_user("manager", MANAGER_KEY, &[(DEMO_LICENSE, Permission::all())]);
    seed.add_user(
        "budtender",
        BUDTENDER_KEY,
        &[(DEMO_LICENSE, Permission::sales_only())],
    );
    seed
}

struct Runs {
    data: PathBuf,
    tmp: PathBuf,
    outputs: Vec<(String, Vec<u8>)>,
    /// Whether runs get the canary vendor key in `STATELINE_VENDOR_KEY` (else the keychain's).
    vendor_env: bool,
}

impl Runs {
    /// Runs `stateline` at trace logging with `stdin`; keeps stdout and stderr for the scan.
    fn run(&mut self, args: &[&str], stdin: &str, expect_success: bool) -> String {
        let mut command = Command::new(BIN);
        if self.vendor_env {
            command.env("STATELINE_VENDOR_KEY", VENDOR);
        } else {
            command.env_remove("STATELINE_VENDOR_KEY");
        }
        let mut child = command
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("RUST_LOG", "trace")
            .env("TMPDIR", &self.tmp)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("stateline starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let output = child.wait_with_output().expect("stateline finishes");
        let label = format!("stateline {args:?}");
        if expect_success {
            assert!(
                output.status.success(),
                "{label} failed:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        self.outputs
            .push((format!("{label} stdout"), output.stdout.clone()));
        self.outputs
            .push((format!("{label} stderr"), output.stderr));
        stdout
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_key_or_pin_reaches_any_output_or_file() {
    if !keychain_usable() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(
            "127.0.0.1:0".parse().expect("addr"),
            canary_seed(),
            Options::default(),
        ))
        .expect("emulator starts");
    let url = emulator.base_url();
    let root = tempfile::tempdir().expect("tempdir");
    let (data, tmp) = (root.path().join("data"), root.path().join("tmp"));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let mut runs = Runs {
        data: data.clone(),
        tmp,
        outputs: Vec::new(),
        vendor_env: true,
    };
    let m = |extra: &str| format!("{MANAGER_PIN}\n{extra}");
    let b = |extra: &str| format!("{BUDTENDER_PIN}\n{extra}");
    let env = ["--environment", "demo"];
    let url_args = ["--metrc-url", url.as_str()];
    let with = |head: &[&'static str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .map(|s| s.to_string())
            .chain(tail.iter().map(|s| s.to_string()))
            .collect()
    };
    let run = |runs: &mut Runs, args: Vec<String>, stdin: &str, ok: bool| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        runs.run(&args, stdin, ok)
    };

    // People and the licence.
    run(
        &mut runs,
        with(
            &["user", "add", "--name", "Canary Max", "--role", "manager"],
            &[],
        ),
        &format!("{MANAGER_PIN}\n"),
        true,
    );
    run(
        &mut runs,
        with(
            &[
                "user",
                "add",
                "--name",
                "Canary Bea",
                "--role",
                "budtender",
                "--as",
                "Canary Max",
            ],
            &[],
        ),
        &format!("{MANAGER_PIN}\n{BUDTENDER_PIN}\n"),
        true,
    );
    run(
        &mut runs,
        with(
            &[
                "licence",
                "add",
                "--number",
                DEMO_LICENSE,
                "--name",
                "Canary Dispensary",
                "--time-zone",
                "America/Denver",
            ],
            &[],
        ),
        "",
        true,
    );
    // A wrong PIN, a malformed key and a key Metrc refuses: error paths too.
    run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Bea"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &format!("11112222\n{BUDTENDER_KEY}\n"),
        false,
    );
    run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Bea"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &b("CanaryBudtenderKey-m8Gt2Xe7Ua4Nz6Hr with spaces\n"),
        false,
    );
    run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Bea"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &b("CanaryBudtenderKey-m8Gt2Xe7Ua4Nz6HX\n"),
        false,
    );
    // Keys saved, listed, validated; the facility key; the mode; an override.
    let saved = run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Bea"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &b(&format!("{BUDTENDER_KEY}\n")),
        true,
    );
    assert!(saved.contains("6Hr"), "the last four are shown: {saved}");
    run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Max", "--for", "Canary Max"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &m(&format!("{MANAGER_KEY}\n")),
        true,
    );
    run(
        &mut runs,
        with(
            &["key", "set", "--as", "Canary Max", "--facility"],
            &[&env[..], &url_args[..]].concat(),
        ),
        &m(&format!("{MANAGER_KEY}\n")),
        true,
    );
    run(
        &mut runs,
        with(
            &[
                "key",
                "validate",
                "--as",
                "Canary Max",
                "--for",
                "Canary Bea",
            ],
            &[&env[..], &url_args[..]].concat(),
        ),
        &m(""),
        false,
    );
    run(
        &mut runs,
        with(&["--json", "key", "list", "--as", "Canary Max"], &env),
        &m(""),
        true,
    );
    run(
        &mut runs,
        with(
            &[
                "key",
                "mode",
                "individual",
                "--allow-facility-overrides",
                "--as",
                "Canary Max",
            ],
            &env,
        ),
        &m(""),
        true,
    );
    // The vendor key saved from stdin for the register's environment; the next runs use it.
    stateline_store::Database::open(data.join("stateline.sqlite"))
        .expect("database")
        .set_setting("app.environment", "demo")
        .expect("register environment");
    run(
        &mut runs,
        with(&["vendor-key", "set", "--as", "Canary Max"], &env),
        &m(&format!("{VENDOR}\n")),
        true,
    );
    runs.vendor_env = false;
    run(
        &mut runs,
        with(
            &["--json", "vendor-key", "status", "--as", "Canary Max"],
            &env,
        ),
        &m(""),
        true,
    );
    // Inventory with a key on stdin, a sale, delivery with keys from the keychain.
    run(
        &mut runs,
        with(
            &["refresh", "--licence", DEMO_LICENSE, "--user-key-stdin"],
            &url_args,
        ),
        &format!("{MANAGER_KEY}\n"),
        true,
    );
    let sale = serde_json::json!({
        "licence": DEMO_LICENSE, "acting_user": "Canary Bea", "occurred_at": crate::support::minutes_ago(60),
        "customer_type": "Consumer", "patient_number": null, "caregiver_number": null,
        "lines": [{"label": "1A4FF0100000022000000001", "quantity": "1", "unit_of_measure": "Grams", "total_amount": "12.50"}]
    });
    run(
        &mut runs,
        with(&["record", "sale", "-"], &[]),
        &sale.to_string(),
        true,
    );
    // A paper sale from before the reporting window, approved with the manager's PIN.
    let mut paper = sale.clone();
    paper["occurred_at"] = crate::support::minutes_ago(30 * 60).into();
    let paper_file = root.path().join("paper-sale.json");
    std::fs::write(&paper_file, paper.to_string()).expect("paper sale file");
    let paper_path = paper_file.to_str().expect("utf-8 path");
    run(
        &mut runs,
        with(
            &["record", "sale", "--late", "--approved-by", "Canary Max"],
            &[
                "--file",
                paper_path,
                "--reason",
                "paper sale from the outage",
            ],
        ),
        &m(""),
        true,
    );
    let synced = run(
        &mut runs,
        with(
            &["--json", "sync", "--once", "--keychain", "demo"],
            &url_args,
        ),
        "",
        true,
    );
    assert!(synced.contains("\"confirmed\":2"), "{synced}");
    runs.vendor_env = true;
    run(
        &mut runs,
        with(
            &[
                "key",
                "override",
                "--as",
                "Canary Max",
                "--for",
                "Canary Bea",
                "--reason",
                "canary check",
            ],
            &[&env[..], &url_args[..]].concat(),
        ),
        &m(""),
        true,
    );
    run(
        &mut runs,
        with(&["sync", "--once", "--user", "Canary Bea"], &url_args),
        &format!("Canary Bea={BUDTENDER_KEY}\n"),
        true,
    );
    run(
        &mut runs,
        with(&["doctor"], &[&env[..], &url_args[..]].concat()),
        "",
        false,
    );
    // Exports and reports written to files, and a backup.
    let audit = data.join("audit.csv");
    let report = data.join("outage.html");
    run(
        &mut runs,
        with(
            &["audit", "export", "--format", "csv", "--out"],
            &[audit.to_str().expect("utf-8")],
        ),
        "",
        true,
    );
    run(
        &mut runs,
        with(
            &[
                "report",
                "outage",
                "--from",
                "2026-01-01",
                "--to",
                "2027-01-01",
                "--format",
                "html",
                "--out",
            ],
            &[report.to_str().expect("utf-8")],
        ),
        "",
        true,
    );
    run(&mut runs, with(&["audit", "verify"], &[]), "", true);
    run(&mut runs, with(&["backup", "now"], &[]), "", true);
    run(&mut runs, with(&["queue"], &[]), "", true);
    // Clear the keys this run saved (the keychain is shared with the developer's session).
    run(
        &mut runs,
        with(&["vendor-key", "clear", "--as", "Canary Max"], &env),
        &m(""),
        true,
    );
    for who in [
        &["--for", "Canary Bea"][..],
        &["--for", "Canary Max"][..],
        &["--facility"][..],
    ] {
        run(
            &mut runs,
            with(
                &["key", "clear", "--as", "Canary Max"],
                &[&env[..], who].concat(),
            ),
            &m(""),
            true,
        );
    }
    rt.block_on(emulator.shutdown());

    // The scan.
    let mut files = Vec::new();
    files_under(root.path(), &mut files);
    let mut scanned: Vec<(String, Vec<u8>)> = runs.outputs;
    for path in &files {
        scanned.push((
            path.display().to_string(),
            std::fs::read(path).expect("read file"),
        ));
    }
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("stateline.sqlite")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.contains("backups")), "{names:?}");
    let all_bytes: usize = scanned.iter().map(|(_, b)| b.len()).sum();
    let seen_name = scanned.iter().any(|(_, b)| contains(b, b"Canary Bea"));
    let seen_trace = scanned.iter().any(|(_, b)| contains(b, b"TRACE"));
    assert!(
        all_bytes > 100_000 && seen_name && seen_trace,
        "the scan did not see the data and the trace logs"
    );
    let mut hits = Vec::new();
    for (what, needle) in forbidden() {
        for (name, bytes) in &scanned {
            if contains(bytes, &needle) {
                hits.push(format!("{what} in {name}"));
            }
        }
    }
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
}
