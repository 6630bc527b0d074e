//! Property tests of `stateline record sale|adjustment|new-packages --file F`: the real binary on
//! record JSON damaged — a value anywhere swapped for another of any type, the text cut short —
//! exits 0 having recorded it, or 1 with a coded `{"code","message"}` and the database unchanged
//! (nothing half-written); it never panics. The requests are the `cli_record_json` fuzz target's
//! seeds (`fuzz/corpus/cli_record_json/`, and its regressions), whose oracle
//! (`stateline_testkit::fuzzing::record_json`) runs the same parse in-process.
//!
//! `PROPTEST_CASES` raises the case count of a long run (CI keeps the defaults below: each case
//! starts the binary).

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use stateline_store::ManualClock;
use stateline_testkit::fuzzing::committed_inputs;
use stateline_testkit::store::{A, B, C, LIC, open_at, pkg, t0};

use crate::support::{self, BIN};

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig::with_cases(cases)
}

/// A data folder with the testkit's licence and packages, and no users yet.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let db = open_at(&dir.path().join("stateline.sqlite"), &clock).unwrap();
    db.upsert_licence(&stateline_store::Licence {
        number: LIC.into(),
        name: "Green Door".into(),
        time_zone: "America/Denver".into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .unwrap();
    db.upsert_packages_from_metrc(
        LIC,
        &[
            pkg(A, "Blue Dream", "Grams", "10"),
            pkg(B, "Gummies", "Each", "5"),
            pkg(C, "Pre-roll", "Each", "20"),
        ],
    )
    .unwrap();
    db.upsert_adjustment_reasons(
        LIC,
        &[stateline_store::AdjustmentReason {
            name: "Drying".into(),
            requires_note: false,
        }],
    )
    .unwrap();
    dir
}

fn table_counts(dir: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(dir.join("stateline.sqlite")).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap();
    names
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

/// Records `text` as `kind` with the real binary; checks the outcome (see the module doc) and
/// says whether it was recorded.
fn record(kind: &str, text: &[u8]) -> Result<bool, TestCaseError> {
    let dir = data_dir();
    let file = dir.path().join("record.json");
    std::fs::write(&file, text).unwrap();
    let before = table_counts(dir.path());
    let output = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--json", "record", kind, "--file"])
        .arg(&file)
        .env_remove("STATELINE_VENDOR_KEY")
        .output()
        .unwrap();
    let (stdout, stderr) = support::texts(&output);
    match output.status.code() {
        Some(0) => {
            prop_assert!(stdout.contains("client_id"), "{stdout}");
            return Ok(true);
        }
        Some(1) => {
            let error: Value = serde_json::from_str(stdout.trim())
                .map_err(|e| TestCaseError::fail(format!("{e}: {stdout} {stderr}")))?;
            let code = error["code"].as_str().unwrap_or_default();
            prop_assert!(!code.is_empty() && code != "internal", "{error}");
            prop_assert_eq!(table_counts(dir.path()), before, "refused: {}", error);
        }
        other => prop_assert!(
            false,
            "`record {kind}` exited {other:?}: {stdout}\n{stderr}"
        ),
    }
    Ok(false)
}

/// The committed requests, dated an hour ago (inside the reporting window), by kind.
fn seeds() -> Vec<(&'static str, Value)> {
    let now = support::minutes_ago(60);
    committed_inputs("cli_record_json")
        .into_iter()
        .filter_map(|path| {
            let mut v: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
            let kind = if v.get("outputs").is_some() {
                "new-packages"
            } else if v.get("reason").is_some() {
                "adjustment"
            } else {
                "sale"
            };
            if v.get("occurred_at").is_some() {
                v["occurred_at"] = Value::from(now.as_str());
            }
            Some((kind, v))
        })
        .collect()
}

fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "-?[0-9]{0,30}(\\.[0-9]{0,30})?".prop_map(Value::from),
        Just(Value::from(A)),
        Just(Value::Array(Vec::new())),
        Just(Value::Object(serde_json::Map::new())),
    ]
}

fn leaves(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(path.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            let mut p = path.clone();
            p.push(k.clone());
            leaves(x, p, out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            let mut p = path.clone();
            p.push(i.to_string());
            leaves(x, p, out);
        }),
        _ => {}
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, key| match v {
        Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
        other => &mut other[key.as_str()],
    })
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn a_record_with_one_value_swapped_is_recorded_or_refused_whole(
        seed in any::<prop::sample::Index>(),
        place in any::<prop::sample::Index>(),
        with in any_json(),
    ) {
        let seeds = seeds();
        let (kind, mut request) = seeds[seed.index(seeds.len())].clone();
        let mut all = Vec::new();
        leaves(&request, Vec::new(), &mut all);
        *at_path(&mut request, &all[place.index(all.len())]) = with;
        record(kind, request.to_string().as_bytes())?;
    }

    #[test]
    fn a_record_cut_short_is_refused_whole(seed in any::<prop::sample::Index>(), cut in 0.0f64..1.0) {
        let seeds = seeds();
        let (kind, request) = &seeds[seed.index(seeds.len())];
        let text = request.to_string();
        let cut = &text.as_bytes()[..(text.len() as f64 * cut) as usize];
        prop_assert!(!record(kind, cut)?, "a record cut short was recorded");
    }
}

#[test]
fn the_committed_records_are_recorded_or_refused_whole() {
    let seeds = seeds();
    assert!(seeds.len() >= 10, "{} seeds", seeds.len());
    let mut recorded = Vec::new();
    for (kind, request) in seeds {
        if record(kind, request.to_string().as_bytes()).unwrap() {
            recorded.push(kind);
        }
    }
    for kind in ["sale", "adjustment", "new-packages"] {
        assert!(
            recorded.contains(&kind),
            "no seed {kind} was recorded: the seeds no longer reach the store"
        );
    }
}

#[test]
fn a_file_over_a_mebibyte_is_refused_before_anything_is_read_into_the_store() {
    let padding = " ".repeat(1024 * 1024);
    let (kind, request) = &seeds()[0];
    assert!(!record(kind, format!("{request}{padding}").as_bytes()).unwrap());
}
