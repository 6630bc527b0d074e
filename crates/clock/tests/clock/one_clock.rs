//! The project's one clock: no non-test source file of any Rust crate reads the system clock for
//! a timestamp except `crates/clock/src/lib.rs` (`SystemClock`). Monotonic `Instant`s (timeouts,
//! pacing) are not timestamps and are allowed. Test files may read the real time (live tests are
//! written relative to now); everything they call takes its time from an injected clock.

use std::path::{Path, PathBuf};

const READS_THE_SYSTEM_CLOCK: [&str; 5] = [
    "Timestamp::now()",
    "SystemTime::now()",
    "Zoned::now()",
    "Utc::now()",
    "Local::now()",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn offenders(root: &Path) -> Vec<String> {
    let mut dirs: Vec<PathBuf> = vec![root.join("src-tauri/src"), root.join("tests/crash/src")];
    // Every crate's product source; `stateline-testkit` is test code (a dev-dependency only).
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
        .filter(|e| e.file_name() != "testkit")
    {
        dirs.push(entry.path().join("src"));
    }
    let allowed = root.join("crates/clock/src/lib.rs");
    let mut files = Vec::new();
    for dir in dirs {
        rust_sources(&dir, &mut files);
    }
    assert!(
        files.len() > 50,
        "the scan found only {} files",
        files.len()
    );
    let mut found = Vec::new();
    for file in files.into_iter().filter(|f| *f != allowed) {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if READS_THE_SYSTEM_CLOCK
                .iter()
                .any(|call| line.contains(call))
            {
                let shown = file.strip_prefix(root).unwrap_or(&file).display();
                found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn only_system_clock_reads_the_system_clock() {
    let found = offenders(&workspace_root());
    assert!(
        found.is_empty(),
        "these read the system clock instead of an injected Clock:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_a_planted_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("crates/planted/src")).unwrap();
    std::fs::create_dir_all(root.join("crates/clock/src")).unwrap();
    for i in 0..60 {
        std::fs::write(
            root.join(format!("crates/planted/src/m{i}.rs")),
            "fn f() {}\n",
        )
        .unwrap();
    }
    std::fs::write(
        root.join("crates/planted/src/lib.rs"),
        "// Timestamp::now() in a comment is fine\nfn f() { let _ = jiff::Timestamp::now(); }\n",
    )
    .unwrap();
    let found = offenders(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("crates/planted/src/lib.rs:2:"));
}
