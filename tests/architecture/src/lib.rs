//! The crate map as a checkable rule: reads `cargo metadata` and `crate-rules.txt` and lists every
//! workspace crate whose normal or build dependencies on other workspace crates are not allowed.
//!
//! Guarantees: a workspace crate with no rule line is itself a violation (a new crate must be
//! placed on the map); dev-dependencies are not checked (tests may compose crates freely).

use std::collections::{BTreeMap, BTreeSet};

/// `crate -> crates of ours it may depend on`, parsed from the rules file.
pub fn parse_rules(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut rules = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, allowed) = line
            .split_once(':')
            .ok_or_else(|| format!("line {}: expected `crate: allowed, ...`", n + 1))?;
        let allowed = allowed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if rules.insert(name.trim().to_owned(), allowed).is_some() {
            return Err(format!("line {}: {} has two rules", n + 1, name.trim()));
        }
    }
    Ok(rules)
}

/// The violations in `metadata` (the JSON of `cargo metadata --format-version 1 --no-deps`).
pub fn violations(
    metadata: &serde_json::Value,
    rules: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let ours: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut found = Vec::new();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or_default();
        let Some(allowed) = rules.get(name) else {
            found.push(format!("{name} is not on the crate map (crate-rules.txt)"));
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let is_dev = dep["kind"].as_str() == Some("dev");
            if is_dev || !ours.contains(dep_name) || allowed.contains(dep_name) {
                continue;
            }
            found.push(format!("{name} may not depend on {dep_name}"));
        }
    }
    found
}
