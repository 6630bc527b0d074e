//! The kill loop: a recorder process is killed with SIGKILL at a random moment, over and over,
//! on one database; every sale it acknowledged (printed after the commit returned) must be there
//! with its lines and its outbox entry, no outbox entry may lack its sale, and the database must
//! pass its integrity check.
//!
//! `STATELINE_KILL_LOOPS` sets the number of rounds (default 200); `STATELINE_KILL_SEED` the seed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stateline_crash_tests::{LABEL, LICENCE, UNIT};
use stateline_store::{Database, EntryFilter, EntryKind, Licence, MetrcPackage, Quantity};

const RECORDER: &str = env!("CARGO_BIN_EXE_stateline-crash-recorder");

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

fn seed_database(path: &Path) {
    let db = Database::open(path).expect("database opens");
    db.upsert_licence(&Licence {
        number: LICENCE.into(),
        name: "Crash loop".into(),
        time_zone: "America/Denver".into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .expect("licence");
    db.upsert_packages_from_metrc(
        LICENCE,
        &[MetrcPackage {
            label: LABEL.into(),
            item_name: "Crash Flower".into(),
            unit_of_measure: UNIT.into(),
            // a billion grams: sales of one gram never run out
            quantity: Quantity::from_milli(1_000_000_000_000),
            last_modified: None,
        }],
    )
    .expect("package");
}

/// One round: start the recorder, kill it after a random delay, return the ids it printed.
fn round(path: &Path, rng: &mut StdRng) -> Vec<(String, i64)> {
    let mut child = Command::new(RECORDER)
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the recorder starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        // Only whole lines count: a line cut off by the kill was never acknowledged.
        let mut reader = BufReader::new(stdout);
        let mut ids = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with('\n') => {
                    let (client_id, entry_id) = line
                        .trim_end()
                        .split_once(' ')
                        .expect("`client_id entry_id`");
                    let entry_id: i64 = entry_id.parse().expect("numeric entry id");
                    if ids.is_empty() {
                        let _ = tx.send(());
                    }
                    ids.push((client_id.to_owned(), entry_id));
                }
                Ok(_) => break,
            }
        }
        ids
    });
    let after_first_id = rng.random_bool(0.5);
    let delay = Duration::from_millis(rng.random_range(5..=60));
    if after_first_id {
        // Give the recorder ample time to open the database before the clock starts.
        let _ = rx.recv_timeout(Duration::from_secs(20));
    }
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("the recorder is reaped");
    assert!(
        killed_by_us(status),
        "the recorder stopped by itself ({status}); it must run until killed"
    );
    reader.join().expect("the reader thread")
}

#[cfg(unix)]
fn killed_by_us(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[cfg(not(unix))]
fn killed_by_us(status: std::process::ExitStatus) -> bool {
    status.code() == Some(1)
}

#[test]
fn kill_loop_loses_nothing_acknowledged() {
    let rounds = env_number("STATELINE_KILL_LOOPS", 200);
    let seed = env_number("STATELINE_KILL_SEED", 0x5747_E11E);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stateline.sqlite");
    seed_database(&path);
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut acknowledged: Vec<(String, i64)> = Vec::new();
    for _ in 0..rounds {
        acknowledged.extend(round(&path, &mut rng));
    }
    let killing = started.elapsed();

    let db = Database::open(&path).expect("the database opens after the last kill");
    db.integrity_check().expect("integrity check");

    // Every acknowledged sale is there, with its lines and its outbox entry.
    for (client_id, entry_id) in &acknowledged {
        let sale = db
            .sale_by_client_id(client_id)
            .unwrap_or_else(|e| panic!("acknowledged sale {client_id} is missing: {e}"));
        assert_eq!(sale.lines.len(), 1, "sale {client_id} lost its lines");
        assert_eq!(sale.lines[0].label, LABEL);
        let entry = db
            .entry_by_client_id(client_id)
            .expect("entry lookup")
            .unwrap_or_else(|| panic!("acknowledged sale {client_id} has no outbox entry"));
        assert_eq!(entry.id, *entry_id, "sale {client_id}: entry id changed");
        assert_eq!(entry.record_id, sale.id);
        assert_eq!(entry.kind, EntryKind::Sale);
    }

    // No outbox entry without its sale; the counters agree with the entries.
    let mut entries = Vec::new();
    let mut before_id = None;
    loop {
        let page = db
            .list_entries(&EntryFilter {
                before_id,
                limit: Some(1000),
                ..EntryFilter::default()
            })
            .expect("entries");
        let Some(last) = page.last() else { break };
        before_id = Some(last.id);
        entries.extend(page);
    }
    let mut by_client: HashMap<&str, i64> = HashMap::new();
    for entry in &entries {
        let sale = db
            .sale_by_client_id(&entry.client_id)
            .unwrap_or_else(|e| panic!("outbox entry #{} has no sale: {e}", entry.id));
        assert_eq!(
            sale.id, entry.record_id,
            "entry #{} points at another sale",
            entry.id
        );
        assert!(
            !sale.lines.is_empty(),
            "sale of entry #{} has no lines",
            entry.id
        );
        assert!(
            by_client.insert(&entry.client_id, entry.id).is_none(),
            "two entries for {}",
            entry.client_id
        );
    }
    let counted: u64 = db
        .counts(None)
        .expect("counts")
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(
        counted,
        entries.len() as u64,
        "status counters disagree with the outbox"
    );
    assert!(
        acknowledged.len() <= entries.len(),
        "more acknowledged sales than entries"
    );
    let on_hand = db.on_hand(LABEL).expect("on hand");
    assert_eq!(
        on_hand.milli(),
        1_000_000_000_000 - 1000 * entries.len() as i64,
        "on-hand quantity does not match the recorded sales"
    );
    assert!(
        !acknowledged.is_empty(),
        "no round acknowledged a sale; the kill delays are too short to test anything"
    );
    println!(
        "kill loop: {rounds} rounds (seed {seed:#x}) in {:.1} s; {} acknowledged sales checked, {} sales in the database",
        killing.as_secs_f64(),
        acknowledged.len(),
        entries.len()
    );
}
