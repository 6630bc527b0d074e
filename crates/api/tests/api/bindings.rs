//! The TypeScript bindings in `ui/src/bindings/` must be exactly what the IPC types generate.
//!
//! `cargo test -p stateline-api --test api bindings` fails when they are stale;
//! `STATELINE_WRITE_BINDINGS=1 cargo test -p stateline-api --test api bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const REGENERATE: &str = "run `STATELINE_WRITE_BINDINGS=1 cargo test -p stateline-api --test api bindings` and commit ui/src/bindings";

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
}

/// Every `.ts` file under `dir`, by path relative to `dir`.
fn read_ts(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.expect("read the bindings folder").path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(
                name,
                std::fs::read_to_string(&path).expect("read a binding"),
            );
        }
    }
    files
}

#[test]
fn bindings_are_fresh() {
    let generated = tempfile::tempdir().expect("temp dir");
    stateline_api::dto::export_bindings(generated.path()).expect("export the bindings");
    let fresh = read_ts(generated.path());
    assert!(fresh.contains_key("AppState.ts"), "nothing was generated");
    let committed_path = committed_dir();
    if std::env::var_os("STATELINE_WRITE_BINDINGS").is_some() {
        std::fs::create_dir_all(&committed_path).expect("create ui/src/bindings");
        for name in read_ts(&committed_path).keys() {
            std::fs::remove_file(committed_path.join(name)).expect("remove a stale binding");
        }
        for (name, text) in &fresh {
            std::fs::write(committed_path.join(name), text).expect("write a binding");
        }
        return;
    }
    let committed = read_ts(&committed_path);
    let missing: Vec<&String> = fresh
        .keys()
        .filter(|k| !committed.contains_key(*k))
        .collect();
    let extra: Vec<&String> = committed
        .keys()
        .filter(|k| !fresh.contains_key(*k))
        .collect();
    let changed: Vec<&String> = fresh
        .iter()
        .filter(|(k, v)| committed.get(*k).is_some_and(|c| c != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "ui/src/bindings is stale (missing {missing:?}, not generated any more {extra:?}, changed {changed:?}); {REGENERATE}"
    );
}
