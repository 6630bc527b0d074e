//! The workspace's crates depend on each other only as `crate-rules.txt` allows.

use std::path::Path;
use std::process::Command;

use stateline_architecture_tests::{parse_rules, violations};

fn rules() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
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
            { "name": "stateline-core", "kind": null },
            { "name": "stateline-clock", "kind": null },
            { "name": "reqwest", "kind": null }
        ]},
        { "name": "stateline-core", "dependencies": [
            { "name": "stateline-cli", "kind": "dev" }
        ]},
        { "name": "stateline-clock", "dependencies": [] },
        { "name": "stateline-cli", "dependencies": [] },
        { "name": "stateline-newcomer", "dependencies": [] }
    ]});
    let found = violations(&metadata, &rules());
    assert_eq!(
        found,
        vec![
            "metrc may not depend on stateline-core".to_owned(),
            "stateline-newcomer is not on the crate map (crate-rules.txt)".to_owned(),
        ]
    );
}
