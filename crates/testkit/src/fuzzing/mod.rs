//! The fuzzing oracles: one function per fuzz target of `fuzz/` (a cargo-fuzz project outside
//! the workspace), each taking the raw input bytes and panicking only on a finding. The targets
//! are one-line calls into here, so the oracles build and run with the workspace on stable: the
//! test below replays every committed input (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`)
//! through them in `cargo test --workspace`, and the property tests of each crate use them too.
//!
//! The shared oracle: no panic, no unbounded allocation (libFuzzer's `-rss_limit_mb` and
//! `-max_len` in `scripts/fuzz.sh`), every refusal a coded error (never `internal`), nothing
//! half-written. Each module's doc says how its target reads an input and what it checks.
//!
//! Guarantees: an oracle never panics on an input the code under test handles as documented; it
//! keeps its fixtures (a database, an app) per thread and makes them afresh when an input spent
//! them, so inputs can run in any order.

pub mod backup;
pub mod ipc;
pub mod metrc_reply;
pub mod record_json;
pub mod retry_after;
pub mod rules;

use std::path::{Path, PathBuf};

/// An oracle: runs one input, panics on a finding.
pub type Oracle = fn(&[u8]);

/// Every fuzz target with its oracle, by the target's name.
pub const TARGETS: &[(&str, Oracle)] = &[
    ("metrc_reply", metrc_reply::check),
    ("retry_after", retry_after::check),
    ("cli_record_json", record_json::check),
    ("ipc_requests", ipc::check),
    ("backup_restore", backup::check),
    ("rules_file", rules::check),
];

/// The fuzz project's folder (`fuzz/` at the repository root).
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The committed inputs of `target`, sorted by path: its seeds (`fuzz/corpus/<target>/seed-*`;
/// what a local run adds to that folder is git-ignored and left out) and its regressions.
pub fn committed_inputs(target: &str) -> Vec<PathBuf> {
    let files = |kind: &str| -> Vec<PathBuf> {
        std::fs::read_dir(fuzz_dir().join(kind).join(target))
            .map(|dir| {
                dir.map(|e| e.expect("a readable corpus entry").path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut all: Vec<PathBuf> = files("corpus")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        })
        .chain(files("regressions"))
        .collect();
    all.sort();
    all
}

/// Runs every committed input of `target` through its oracle; returns how many ran.
pub fn replay(target: &str) -> usize {
    let (_, oracle) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target}"));
    let files = committed_inputs(target);
    for file in &files {
        let data = std::fs::read(file).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| oracle(&data));
        if let Err(panic) = outcome {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("{target}: {} fails the oracle: {why}", file.display());
        }
    }
    files.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each target's committed inputs pass its oracle, and every target has seeds.
    fn replays(target: &str) {
        assert!(replay(target) > 0, "{target} has no committed inputs");
    }

    #[test]
    fn metrc_reply_inputs_pass() {
        replays("metrc_reply");
    }

    #[test]
    fn retry_after_inputs_pass() {
        replays("retry_after");
    }

    #[test]
    fn cli_record_json_inputs_pass() {
        replays("cli_record_json");
    }

    #[test]
    fn ipc_requests_inputs_pass() {
        replays("ipc_requests");
    }

    #[test]
    fn backup_restore_inputs_pass() {
        replays("backup_restore");
    }

    #[test]
    fn rules_file_inputs_pass() {
        replays("rules_file");
    }

    /// The oracle module of a target.
    fn module(target: &str) -> &'static str {
        match target {
            "cli_record_json" => "record_json",
            "ipc_requests" => "ipc",
            "backup_restore" => "backup",
            "rules_file" => "rules",
            "metrc_reply" => "metrc_reply",
            "retry_after" => "retry_after",
            other => panic!("no oracle module for {other}"),
        }
    }

    /// Each target of `fuzz/` is built from its one line calling its oracle here.
    #[test]
    fn every_fuzz_target_has_an_oracle() {
        let manifest =
            std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
        for (name, _) in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "{name} is not a target of fuzz/Cargo.toml"
            );
            let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
            let source = std::fs::read_to_string(&target)
                .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            let oracle = format!("stateline_testkit::fuzzing::{}::check(data)", module(name));
            assert!(
                source.contains(&oracle),
                "fuzz/fuzz_targets/{name}.rs does not call {oracle}"
            );
        }
    }
}
