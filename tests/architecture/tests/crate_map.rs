//! The crate map as tests: the workspace's crates depend on each other only as `crate-rules.txt`
//! allows, the delivery engine names only the key port, and the split kept every wire error code.

use std::path::Path;
use std::process::Command;

use stateline_architecture_tests::{Rules, parse_rules, violations};

fn rules() -> Rules {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("crate-rules.txt");
    parse_rules(&std::fs::read_to_string(path).expect("crate-rules.txt")).expect("valid rules")
}

#[test]
fn every_crate_depends_only_on_what_the_crate_map_allows() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        metadata["packages"]
            .as_array()
            .is_some_and(|p| p.len() >= 7),
        "cargo metadata lists the workspace"
    );
    let found = violations(&metadata, &rules());
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_forbidden_dependency_and_an_unmapped_crate_are_caught() {
    let metadata = serde_json::json!({ "packages": [
        { "name": "metrc", "dependencies": [
            { "name": "stateline-store", "kind": null },
            { "name": "stateline-clock", "kind": null },
            { "name": "reqwest", "kind": null }
        ]},
        { "name": "stateline-store", "dependencies": [
            { "name": "stateline-cli", "kind": "dev" },
            { "name": "tokio", "kind": null },
            { "name": "rusqlite", "kind": null }
        ]},
        { "name": "stateline-delivery", "dependencies": [
            { "name": "stateline-api", "kind": null }
        ]},
        { "name": "stateline-api", "dependencies": [] },
        { "name": "stateline-clock", "dependencies": [] },
        { "name": "stateline-cli", "dependencies": [] },
        { "name": "stateline-newcomer", "dependencies": [] }
    ]});
    let found = violations(&metadata, &rules());
    assert_eq!(
        found,
        vec![
            "metrc may not depend on stateline-store".to_owned(),
            "stateline-store may not depend on tokio".to_owned(),
            "stateline-delivery may not depend on stateline-api".to_owned(),
            "stateline-newcomer is not on the crate map (crate-rules.txt)".to_owned(),
        ]
    );
}

/// The names of `stateline_keys` items that `source` uses (`stateline_keys::X` and
/// `stateline_keys::{X, Y}`), with their module path (`validation::Verdict`).
fn keys_items_used(source: &str) -> Vec<String> {
    let mut items = Vec::new();
    for (i, _) in source.match_indices("stateline_keys::") {
        let rest = &source[i + "stateline_keys::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            items.extend(
                group[..end]
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            items.push(rest[..end].trim_end_matches(':').to_owned());
        }
    }
    items
}

/// What the delivery engine may name of the keys crate: the port, nothing else.
const KEY_PORT: [&str; 3] = ["KeySource", "KeyOwner", "SendingKey"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_delivery_engine_names_only_the_key_port() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/delivery/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 5, "found the delivery sources in {src:?}");
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        for item in keys_items_used(&source) {
            if !KEY_PORT.contains(&item.as_str()) {
                found.push(format!("{}: stateline_keys::{item}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "beyond the key port:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_use_of_the_key_service_beyond_the_port_is_caught() {
    let planted =
        "use stateline_keys::{KeySource, Keys};\nfn f(k: stateline_keys::validation::Verdict) {}";
    let beyond: Vec<String> = keys_items_used(planted)
        .into_iter()
        .filter(|i| !KEY_PORT.contains(&i.as_str()))
        .collect();
    assert_eq!(beyond, ["Keys", "validation::Verdict"]);
}

/// The error codes on the wire before the crate split (`CoreError::code` and the Metrc classes);
/// the UI and `docs/ipc.md` branch on exactly these.
const WIRE_CODES: &str = "already_set_up backup_invalid database_damaged database_in_use \
    database_too_new duplicate_tag entry_has_dependents facility_keys_not_allowed \
    illegal_transition insufficient_quantity integrity_check_failed internal invalid_input \
    invalid_pin invalid_quantity invalid_time_zone io_error key_refused metrc_invalid_input \
    metrc_key_refused metrc_not_found metrc_rate_limited metrc_rejected metrc_too_large \
    metrc_unavailable metrc_unreachable migration_failed no_key not_allowed not_demo \
    not_logged_in note_required package_wrong_licence pragma_mismatch sale_not_changeable \
    stop_timed_out storage_error unit_mismatch unknown_adjustment_reason unknown_entry \
    unknown_licence unknown_package unknown_sale unknown_user unsent_records user_disabled \
    user_exists user_locked wrong_pin \
    over_limit item_not_mapped patient_not_eligible patient_reading_needed \
    manager_approval_needed sale_too_old \
    disk_full data_folder_read_only \
    ticket_conflict unauthorized token_revoked scope_missing unknown_ticket not_found \
    api_listen_failed api_certificate_failed api_stopping";

/// The string literals returned by every `pub fn code(&self)` in `source`.
fn codes_in(source: &str) -> std::collections::BTreeSet<String> {
    let mut codes = std::collections::BTreeSet::new();
    for (start, _) in source.match_indices("pub fn code(&self)") {
        let body = &source[start..];
        let open = body.find('{').expect("a body");
        let mut depth = 0;
        let mut end = body.len();
        for (i, c) in body[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        for literal in body[open..end].split('"').skip(1).step_by(2) {
            if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                codes.insert(literal.to_owned());
            }
        }
    }
    codes
}

#[test]
fn the_split_crates_put_the_same_error_codes_on_the_wire() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = std::collections::BTreeSet::new();
    for crate_dir in [
        "store",
        "tasks",
        "keys",
        "delivery",
        "compliance",
        "api",
        "metrc",
        "pos",
    ] {
        let path = root.join("crates").join(crate_dir).join("src/error.rs");
        let source = std::fs::read_to_string(&path).expect("the crate's error.rs");
        found.extend(codes_in(&source));
    }
    let expected: std::collections::BTreeSet<String> =
        WIRE_CODES.split_whitespace().map(str::to_owned).collect();
    assert_eq!(
        found, expected,
        "the wire codes changed; docs/ipc.md and the UI rely on them"
    );
}

#[test]
fn code_literals_are_read_from_code_functions_only() {
    let planted = r#"
        fn message() -> &'static str { "not_a_code" }
        pub fn code(&self) -> &'static str { match self { A => "alpha", B(e) => e.code() } }
    "#;
    assert_eq!(codes_in(planted).into_iter().collect::<Vec<_>>(), ["alpha"]);
}
