//! The crate map as a checkable rule: reads `cargo metadata` and `crate-rules.txt` and lists every
//! workspace crate whose normal or build dependencies on other workspace crates are not allowed.
//!
//! Guarantees: a workspace crate with no rule line is itself a violation (a new crate must be
//! placed on the map); a crate may also be barred from outside crates (`crate !: tokio, ...`);
//! dev-dependencies are not checked (tests may compose crates freely).

use std::collections::{BTreeMap, BTreeSet};

/// The parsed rules file.
#[derive(Debug, Default)]
pub struct Rules {
    /// `crate -> crates of ours it may depend on`.
    pub allowed: BTreeMap<String, BTreeSet<String>>,
    /// `crate -> outside crates it may never depend on`.
    pub barred: BTreeMap<String, BTreeSet<String>>,
}

/// Parses the rules file.
pub fn parse_rules(text: &str) -> Result<Rules, String> {
    let mut rules = Rules::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, allowed) = line
            .split_once(':')
            .ok_or_else(|| format!("line {}: expected `crate: allowed, ...`", n + 1))?;
        let names = allowed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let (table, name) = match name.trim().strip_suffix('!') {
            Some(barred) => (&mut rules.barred, barred.trim()),
            None => (&mut rules.allowed, name.trim()),
        };
        if table.insert(name.to_owned(), names).is_some() {
            return Err(format!("line {}: {name} has two rules", n + 1));
        }
    }
    Ok(rules)
}

/// The violations in `metadata` (the JSON of `cargo metadata --format-version 1 --no-deps`).
pub fn violations(metadata: &serde_json::Value, rules: &Rules) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let ours: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut found = Vec::new();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or_default();
        let barred = rules.barred.get(name);
        let Some(allowed) = rules.allowed.get(name) else {
            found.push(format!("{name} is not on the crate map (crate-rules.txt)"));
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let is_dev = dep["kind"].as_str() == Some("dev");
            if is_dev {
                continue;
            }
            let forbidden_ours = ours.contains(dep_name) && !allowed.contains(dep_name);
            let barred_outside = barred.is_some_and(|b| b.contains(dep_name));
            if forbidden_ours || barred_outside {
                found.push(format!("{name} may not depend on {dep_name}"));
            }
        }
    }
    found
}
