//! The sync kill loop (issue #16): a syncing process (`stateline-crash-syncer --follow`,
//! delivering to the Metrc emulator over HTTP) is killed with SIGKILL at a random moment, over
//! and over, on one database. Before each round the register records a few sales (by the
//! budtender or the manager) and adjustments (by the manager, down and up), each dated some
//! minutes back; each round Metrc is slowed by a seeded latency and sometimes commits a write and
//! never answers, so kills land before, during and after requests. At the end a final engine
//! drains everything (simulated time, so settle windows pass) and the checks are:
//!
//! - the database passes its integrity check and every record is confirmed;
//! - every record is in Metrc exactly once (lost 0, duplicated 0), Metrc holds nothing else;
//! - with its original time (a sale's wall-clock time, an adjustment's date, in the licence's
//!   zone) and under its maker's key (the Metrc user who recorded it is the maker's);
//! - every package holds in Metrc what it holds at the register.
//!
//! `STATELINE_SYNC_KILLS` sets the number of kills (default 100, CI's size); `STATELINE_SYNC_SEED`
//! the seed. The run prints one `sync-kill-loop:` line with `key=value` counts (kills, records,
//! lost, duplicated, wrong_time, wrong_key, ...) for scripts/soak.sh, then fails if any is off.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{
    Control, DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER, DEMO_MANAGER_KEY,
    DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Emulator, Faults, Latency, Options, Seed, Trigger, WriteFault,
    WriteFaultKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stateline_delivery::payload::local_date_time;
use stateline_delivery::{DeliveryConfig, DeliveryEngine};
use stateline_keys::StaticKeys;
use stateline_store::{
    Database, EntryFilter, EntryKind, EntryState, Licence, ManualClock, Money, NewAdjustment,
    NewSale, NewSaleLine, OpenOptions, Quantity,
};

const SYNCER: &str = env!("CARGO_BIN_EXE_stateline-crash-syncer");
/// The register's users: the budtender sells, the manager sells and adjusts.
const BEA: &str = "bea";
const MAX: &str = "max";
/// Units each package holds at the start (in Metrc and so at the register): never runs out.
const STOCK: f64 = 1_000_000.0;
/// The syncers' settle window: the emulator writes at once, so a write whose sender died has
/// landed long before two lookups this far apart have both missed it.
const SETTLE_MS: u64 = 1000;
/// The states of a record not yet known to be in Metrc.
const WAITING: [EntryState; 3] = [
    EntryState::Pending,
    EntryState::Sending,
    EntryState::Ambiguous,
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

/// The Metrc user whose key a local user's records must be sent with.
fn metrc_user(user: &str) -> &'static str {
    match user {
        BEA => DEMO_BUDTENDER,
        _ => DEMO_MANAGER,
    }
}

/// One record the register made (and so acknowledged): what Metrc must end up holding.
#[derive(Debug)]
struct Made {
    client_id: String,
    kind: EntryKind,
    user: &'static str,
    at: Timestamp,
}

/// The register under test: its database file, the emulator and the packages it sells.
struct Register {
    _dir: tempfile::TempDir,
    path: PathBuf,
    url: String,
    control: Control,
    labels: Vec<String>,
    /// Ids of the receipts the demo seed put in Metrc before the run.
    receipts_before: BTreeSet<u64>,
    /// Ids of the adjustments the demo seed put in Metrc before the run.
    adjustments_before: BTreeSet<u64>,
}

async fn register() -> (Register, Emulator) {
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().expect("address"),
        Seed::demo(Timestamp::now()),
        Options::default(),
    )
    .await
    .expect("the emulator starts");
    let control = emulator.control();
    let labels: Vec<String> = control
        .packages(DEMO_LICENSE)
        .into_iter()
        .filter(|p| p.unit_of_measure == "Each")
        .take(3)
        .map(|p| p.label)
        .collect();
    assert!(
        !labels.is_empty(),
        "the demo seed has packages sold by each"
    );
    for label in &labels {
        assert!(control.set_package_quantity(DEMO_LICENSE, label, STOCK));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stateline.sqlite");
    let db = Database::open(&path).expect("the database opens");
    db.upsert_licence(&Licence {
        number: DEMO_LICENSE.into(),
        name: "Sync kill loop".into(),
        time_zone: DEMO_TIME_ZONE.into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .expect("licence");
    let url = emulator.base_url();
    stateline_delivery::refresh::refresh_licence(
        &db,
        &client(&url),
        &metrc::UserKey::new(DEMO_MANAGER_KEY).expect("key"),
        DEMO_LICENSE,
    )
    .await
    .expect("refresh from the emulator");
    let receipts_before = control
        .receipts(DEMO_LICENSE)
        .iter()
        .map(|r| r.id)
        .collect();
    let adjustments_before = control
        .adjustments(DEMO_LICENSE)
        .iter()
        .map(|a| a.id)
        .collect();
    let register = Register {
        _dir: dir,
        path,
        url,
        control,
        labels,
        receipts_before,
        adjustments_before,
    };
    (register, emulator)
}

fn client(url: &str) -> metrc::MetrcClient {
    let mut config = metrc::ClientConfig::new(
        url.parse().expect("url"),
        metrc::VendorKey::new(DEMO_VENDOR_KEY).expect("vendor key"),
    );
    config.request_timeout = Duration::from_secs(2);
    metrc::MetrcClient::new(config).expect("client")
}

/// Records one to eight records, each dated up to ten minutes back.
fn record_some(db: &Database, labels: &[String], rng: &mut StdRng, made: &mut Vec<Made>) {
    for _ in 0..rng.random_range(1..=8) {
        let label = &labels[rng.random_range(0..labels.len())];
        let at = db.now() - SignedDuration::from_secs(rng.random_range(1..=600));
        if rng.random_bool(0.75) {
            let user = if rng.random_bool(0.5) { BEA } else { MAX };
            let recorded = db
                .record_sale(&NewSale {
                    licence: DEMO_LICENSE.into(),
                    acting_user: user.into(),
                    occurred_at: at,
                    customer_type: "Consumer".into(),
                    patient_number: None,
                    caregiver_number: None,
                    identification_method: None,
                    lines: vec![NewSaleLine {
                        label: label.clone(),
                        quantity: Quantity::parse("1").expect("quantity"),
                        unit_of_measure: "Each".into(),
                        total_amount: Money::parse("9.50").expect("money"),
                    }],
                })
                .expect("sale recorded");
            made.push(Made {
                client_id: recorded.client_id,
                kind: EntryKind::Sale,
                user,
                at,
            });
        } else {
            let quantity = if rng.random_bool(0.6) { "-1" } else { "2" };
            let recorded = db
                .record_adjustment(&NewAdjustment {
                    licence: DEMO_LICENSE.into(),
                    acting_user: MAX.into(),
                    label: label.clone(),
                    quantity: Quantity::parse(quantity).expect("quantity"),
                    unit_of_measure: "Each".into(),
                    reason: "Scale Variance".into(),
                    note: None,
                    occurred_at: at,
                })
                .expect("adjustment recorded");
            made.push(Made {
                client_id: recorded.client_id,
                kind: EntryKind::Adjustment,
                user: MAX,
                at,
            });
        }
    }
}

/// Metrc's faults for one round: a seeded latency on every request, and sometimes a write that
/// is committed and never answered (the syncer is killed while it waits for the reply).
fn round_faults(rng: &mut StdRng) -> Faults {
    let mut faults = Faults {
        rng_seed: rng.random(),
        latency: Some(Latency {
            fixed_ms: rng.random_range(0..=25),
            jitter_ms: 15,
            path_prefix: None,
        }),
        ..Faults::default()
    };
    if rng.random_bool(0.2) {
        faults.write_faults.push(WriteFault {
            kind: WriteFaultKind::LostReplyHang,
            trigger: Trigger::next(1),
        });
    }
    faults
}

fn count_in(db: &Database, states: &[EntryState]) -> u64 {
    db.counts(None)
        .expect("counts")
        .iter()
        .filter(|c| states.contains(&c.state))
        .map(|c| c.count)
        .sum()
}

/// What the kills caught.
#[derive(Debug, Default)]
struct Kills {
    /// SIGKILLs of a running syncer.
    kills: u64,
    /// Of which left records claimed as `sending` (a request about to go, in flight, or answered
    /// and not yet recorded).
    mid_send: u64,
    /// Records still waiting when the last syncer was killed (the final drain delivers them; the
    /// rest were delivered by the killed syncers).
    left_at_end: u64,
}

/// One round: start a syncer, kill it at a random moment, and see what it left.
fn round(register: &Register, db: &Database, rng: &mut StdRng, kills: &mut Kills) {
    let mut child = Command::new(SYNCER)
        .args(["--follow", "--settle-ms", &SETTLE_MS.to_string()])
        .arg(&register.path)
        .arg(&register.url)
        .env_remove("STATELINE_CRASH_AT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the syncer starts");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(
        stdin,
        "{BEA}={DEMO_BUDTENDER_KEY}\n{MAX}={DEMO_MANAGER_KEY}"
    )
    .expect("keys sent");
    drop(stdin);
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next()
            && line == "syncing"
        {
            let _ = tx.send(());
        }
        lines.for_each(drop);
    });
    if rng.random_bool(0.8) {
        // Most kills land while it delivers; the rest during start-up and recovery.
        let _ = rx.recv_timeout(Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(rng.random_range(0..=250)));
    } else {
        std::thread::sleep(Duration::from_millis(rng.random_range(0..=25)));
    }
    child.kill().expect("SIGKILL");
    let output = child.wait_with_output().expect("the syncer is reaped");
    reader.join().expect("the stdout reader");
    assert!(
        killed_by_us(output.status),
        "the syncer stopped by itself ({}); it must run until killed:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    kills.kills += 1;
    if count_in(db, &[EntryState::Sending]) > 0 {
        kills.mid_send += 1;
    }
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

/// Most passes of the final drain.
const DRAIN_PASSES: u32 = 150;

/// The final drain: one engine on the database with a manual clock moved 400 s after each pass
/// (so settle windows and the gate's backoff pass), until nothing waits. A second of real time
/// also passes between passes: Metrc's rate limits count real seconds, and a lookup of an
/// adjustment reads the licence's whole adjustment history, page by page, so passes packed into
/// one real second would be refused (429) over and over. Returns the database and the passes run.
async fn drain(path: &Path, url: &str) -> (Database, u32) {
    let clock = ManualClock::new(Timestamp::now());
    let db = Database::open_with(
        path,
        OpenOptions {
            clock: Arc::new(clock.clone()),
            ..OpenOptions::default()
        },
    )
    .expect("the database opens after the last kill");
    db.integrity_check().expect("integrity check");
    let keys = StaticKeys::new();
    keys.set_user_key(BEA, metrc::UserKey::new(DEMO_BUDTENDER_KEY).expect("key"));
    keys.set_user_key(MAX, metrc::UserKey::new(DEMO_MANAGER_KEY).expect("key"));
    let engine = DeliveryEngine::new(
        db.clone(),
        client(url),
        Arc::new(keys),
        DeliveryConfig {
            concurrency: 1,
            ..DeliveryConfig::default()
        },
    );
    engine.recover().await.expect("recover");
    let mut passes = 0;
    while passes < DRAIN_PASSES {
        passes += 1;
        engine.run_once().await.expect("a drain pass");
        if count_in(&db, &WAITING) == 0 {
            break;
        }
        clock.advance(SignedDuration::from_secs(400));
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    (db, passes)
}

/// What the ledger check found: every count but the first three must be zero.
#[derive(Debug, Default)]
struct Ledger {
    records: usize,
    sales: usize,
    adjustments: usize,
    lost: usize,
    duplicated: usize,
    wrong_time: usize,
    wrong_key: usize,
    /// Receipts or adjustments in Metrc that the register never made.
    unknown: usize,
    /// Records the register does not hold as confirmed.
    unconfirmed: usize,
    /// Packages whose quantity differs between Metrc and the register.
    quantity_mismatch: usize,
    problems: Vec<String>,
}

impl Ledger {
    fn problem(&mut self, what: String) {
        if self.problems.len() < 20 {
            self.problems.push(what);
        }
    }
}

fn check(db: &Database, register: &Register, made: &[Made]) -> Ledger {
    let control = &register.control;
    let tz = TimeZone::get(DEMO_TIME_ZONE).expect("the licence's zone");
    let mut ledger = Ledger {
        records: made.len(),
        ..Ledger::default()
    };
    let mut receipts: BTreeMap<String, Vec<metrc_emulator::Receipt>> = BTreeMap::new();
    for receipt in control.receipts(DEMO_LICENSE) {
        if register.receipts_before.contains(&receipt.id) {
            continue;
        }
        if let Some(number) = receipt.external_receipt_number.clone() {
            receipts.entry(number).or_default().push(receipt);
        }
    }
    let mut adjustments: BTreeMap<String, Vec<metrc_emulator::Adjustment>> = BTreeMap::new();
    for adjustment in control.adjustments(DEMO_LICENSE) {
        if register.adjustments_before.contains(&adjustment.id) {
            continue;
        }
        let token = adjustment.note.as_deref().and_then(|n| {
            let start = n.rfind('[')?;
            Some(n[start + 1..].trim_end_matches(']').to_owned())
        });
        if let Some(token) = token {
            adjustments.entry(token).or_default().push(adjustment);
        }
    }
    let entries = db
        .list_entries(&EntryFilter {
            limit: Some(1_000_000),
            ..EntryFilter::default()
        })
        .expect("entries");
    let states: BTreeMap<&str, EntryState> = entries
        .iter()
        .map(|e| (e.client_id.as_str(), e.state))
        .collect();
    if entries.len() != made.len() {
        ledger.problem(format!(
            "the register made {} records; its outbox holds {}",
            made.len(),
            entries.len()
        ));
        ledger.unconfirmed += made.len().abs_diff(entries.len());
    }
    for record in made {
        if states.get(record.client_id.as_str()) != Some(&EntryState::Confirmed) {
            ledger.unconfirmed += 1;
            ledger.problem(format!(
                "{} is {:?} at the register",
                record.client_id,
                states.get(record.client_id.as_str())
            ));
        }
        let local = local_date_time(record.at, &tz);
        let (copies, times, users): (usize, Vec<String>, Vec<Option<String>>) = match record.kind {
            EntryKind::Sale => {
                ledger.sales += 1;
                let found = receipts.remove(&record.client_id).unwrap_or_default();
                (
                    found.len(),
                    found.iter().map(|r| r.sales_date_time.clone()).collect(),
                    found
                        .iter()
                        .map(|r| r.recorded_by_user_name.clone())
                        .collect(),
                )
            }
            _ => {
                ledger.adjustments += 1;
                let found = adjustments.remove(&record.client_id).unwrap_or_default();
                (
                    found.len(),
                    found.iter().map(|a| a.adjustment_date.clone()).collect(),
                    found
                        .iter()
                        .map(|a| a.adjusted_by_user_name.clone())
                        .collect(),
                )
            }
        };
        let expected_time = match record.kind {
            EntryKind::Sale => local.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
            _ => local.date().to_string(),
        };
        match copies {
            0 => {
                ledger.lost += 1;
                ledger.problem(format!(
                    "{} ({:?}) is not in Metrc",
                    record.client_id, record.kind
                ));
            }
            1 => {}
            n => {
                ledger.duplicated += n - 1;
                ledger.problem(format!("{} is in Metrc {n} times", record.client_id));
            }
        }
        if times.iter().any(|t| *t != expected_time) {
            ledger.wrong_time += 1;
            ledger.problem(format!(
                "{} is in Metrc at {times:?}; it was made at {expected_time}",
                record.client_id
            ));
        }
        let maker = metrc_user(record.user);
        if users.iter().any(|u| u.as_deref() != Some(maker)) {
            ledger.wrong_key += 1;
            ledger.problem(format!(
                "{} by {} was recorded in Metrc by {users:?}, not {maker}",
                record.client_id, record.user
            ));
        }
    }
    ledger.unknown = receipts.values().map(Vec::len).sum::<usize>()
        + adjustments.values().map(Vec::len).sum::<usize>();
    if ledger.unknown > 0 {
        let numbers: Vec<&String> = receipts.keys().chain(adjustments.keys()).collect();
        ledger.problem(format!(
            "Metrc holds records the register never made: {numbers:?}"
        ));
    }
    for label in &register.labels {
        let at_register = db.on_hand(label).expect("on hand");
        let in_metrc = control
            .package(DEMO_LICENSE, label)
            .map(|p| Quantity::from_f64(p.quantity));
        if in_metrc != Some(at_register) {
            ledger.quantity_mismatch += 1;
            ledger.problem(format!(
                "package {label}: Metrc has {in_metrc:?}, the register {at_register}"
            ));
        }
    }
    ledger
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_kill_loop_delivers_everything_once_with_its_time_and_key() {
    let rounds = env_number("STATELINE_SYNC_KILLS", 100);
    let seed = env_number("STATELINE_SYNC_SEED", 0x5F4C_1111);
    let (register, _emulator) = register().await;
    let started = Instant::now();
    let (register, made, kills) = tokio::task::spawn_blocking(move || {
        let db = Database::open(&register.path).expect("the database opens");
        let mut rng = StdRng::seed_from_u64(seed);
        let mut made = Vec::new();
        let mut kills = Kills::default();
        for _ in 0..rounds {
            record_some(&db, &register.labels, &mut rng, &mut made);
            register.control.set_faults(round_faults(&mut rng));
            round(&register, &db, &mut rng, &mut kills);
        }
        register.control.clear_faults();
        kills.left_at_end = count_in(&db, &WAITING);
        (register, made, kills)
    })
    .await
    .expect("the kill loop");
    let killing = started.elapsed();

    let (db, drain_passes) = drain(&register.path, &register.url).await;
    db.integrity_check()
        .expect("integrity check after the drain");
    let ledger = check(&db, &register, &made);
    println!(
        "sync-kill-loop: kills={} mid_send={} left_at_end={} records={} sales={} adjustments={} lost={} duplicated={} wrong_time={} wrong_key={} unknown={} unconfirmed={} quantity_mismatch={} drain_passes={drain_passes} seed={seed:#x} secs={:.1}",
        kills.kills,
        kills.mid_send,
        kills.left_at_end,
        ledger.records,
        ledger.sales,
        ledger.adjustments,
        ledger.lost,
        ledger.duplicated,
        ledger.wrong_time,
        ledger.wrong_key,
        ledger.unknown,
        ledger.unconfirmed,
        ledger.quantity_mismatch,
        killing.as_secs_f64(),
    );
    assert!(
        ledger.problems.is_empty(),
        "seed {seed:#x} (replay: STATELINE_SYNC_SEED={seed} STATELINE_SYNC_KILLS={rounds}):\n{}",
        ledger.problems.join("\n")
    );
    assert_eq!(kills.kills, rounds, "every round killed a running syncer");
    assert!(
        kills.mid_send > 0 || rounds < 20,
        "no kill caught a send in progress: the kill delays are too short or too long to test anything"
    );
}
