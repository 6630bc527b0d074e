//! Stateline's performance benchmarks (SPEC section 9, issue #3), each reported as a ratio of two
//! figures measured in the same run, on the same machine and the same disk:
//!
//! 1. `commit`: median durable commit of a sale (`Database::record_sale`: sale, line, outbox entry,
//!    WAL, `synchronous=FULL`) against the median raw append of a record-sized buffer plus
//!    `File::sync_data` (fdatasync) in the same directory (target: within 2×);
//! 2. `claim`: median `Database::claim_batch` (limit 10) with 1,000 and with 1,000,000 records
//!    waiting (target: within 2×). The big backlog is written by a bulk builder (rusqlite on the
//!    same file, rows mirroring what `record_sale` writes) and checked through the public API;
//! 3. `drain`: a backlog drained by `DeliveryEngine::run_once` against the emulator with a fixed
//!    150 ms latency, against the ceiling `object limit × concurrency ÷ round trip` (target ≥ 80%)
//!    and against a naive sequential one-receipt-per-request sender (target ≥ 8×).
//!
//! Run `cargo bench -p stateline-delivery --bench delivery`; add `-- --quick` (or set
//! `STATELINE_BENCH_QUICK=1`) for a smoke run; `STATELINE_BENCH_ONLY=commit` (a comma-separated
//! list of `commit`, `claim`, `drain`) runs only those. Files go under `STATELINE_BENCH_DIR` or Cargo's
//! target tmp dir (on the repository's disk, never tmpfs). Nothing here asserts a timing: the
//! program prints a table and BENCHMARKS.md records it.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::OpenOptions as FileOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use metrc_emulator::{
    Control, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Emulator, Faults,
    Latency, Options, Permission, Seed,
};
use rusqlite::params;
use stateline_delivery::{DeliveryConfig, DeliveryEngine, payload};
use stateline_keys::StaticKeys;
use stateline_store::{
    Database, EntryKind, EntryState, Licence, MetrcPackage, Money, NewSale, NewSaleLine, Quantity,
};

type Res<T> = Result<T, Box<dyn Error>>;

const LICENCE: &str = DEMO_LICENSE;
const BATCH: usize = 10;
const LATENCY_MS: u64 = 150;
/// One unit per sale line, in milli-units.
const SOLD_MILLI: i64 = 1_000;
const LINE_CENTS: i64 = 1_250;

/// How much work each benchmark does.
#[derive(Debug, Clone, Copy)]
struct Scale {
    commits: usize,
    claim_small: usize,
    claim_large: usize,
    claims: usize,
    drain_sales: usize,
    single_user_sales: usize,
    naive_posts: usize,
    concurrency: usize,
}

const FULL: Scale = Scale {
    commits: 300,
    claim_small: 1_000,
    claim_large: 1_000_000,
    claims: 200,
    drain_sales: 10_000,
    single_user_sales: 1_000,
    naive_posts: 200,
    concurrency: 4,
};

const QUICK: Scale = Scale {
    commits: 40,
    claim_small: 1_000,
    claim_large: 20_000,
    claims: 30,
    drain_sales: 400,
    single_user_sales: 100,
    naive_posts: 20,
    concurrency: 4,
};

/// One line of the result table.
#[derive(Debug)]
struct Row {
    name: String,
    measured: String,
    baseline: String,
    ratio: f64,
    target: &'static str,
    pass: bool,
}

fn main() -> Res<()> {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("STATELINE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let scale = if quick { QUICK } else { FULL };
    let base = std::env::var_os("STATELINE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::Builder::new()
        .prefix("stateline-bench-")
        .tempdir_in(&base)?;
    println!(
        "stateline delivery benchmarks ({}), files in {}",
        if quick { "quick smoke run" } else { "full run" },
        dir.path().display()
    );
    let only = std::env::var("STATELINE_BENCH_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);
    let started = Instant::now();
    let mut rows = Vec::new();
    if wanted("commit") {
        rows.extend(commit::run(dir.path(), scale)?);
    }
    if wanted("claim") {
        rows.extend(claim::run(dir.path(), scale)?);
    }
    if wanted("drain") {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        rows.extend(runtime.block_on(drain::run(dir.path(), scale))?);
    }
    print_table(&rows);
    println!("total bench time {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| {:<44} | {:>22} | {:>22} | {:>7} | {:<12} | {:<4} |",
        "benchmark", "measured", "baseline", "ratio", "target", "pass"
    );
    println!(
        "|{:-<46}|{:-<24}|{:-<24}|{:-<9}|{:-<14}|{:-<6}|",
        "", "", "", "", "", ""
    );
    for r in rows {
        println!(
            "| {:<44} | {:>22} | {:>22} | {:>7.2} | {:<12} | {:<4} |",
            r.name,
            r.measured,
            r.baseline,
            r.ratio,
            r.target,
            if r.pass { "pass" } else { "FAIL" }
        );
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn fmt_dur(d: Duration) -> String {
    if d >= Duration::from_millis(1) {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    }
}

fn licence() -> Licence {
    Licence {
        number: LICENCE.into(),
        name: "Benchmark dispensary".into(),
        time_zone: DEMO_TIME_ZONE.into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    }
}

/// A package that can be sold from: label and unit of measure.
#[derive(Debug, Clone)]
struct Stock {
    label: String,
    unit: String,
}

/// A store with the benchmark licence and 24 big local packages (no emulator needed).
fn local_store(path: &Path) -> Res<(Database, Vec<Stock>)> {
    let db = Database::open(path)?;
    db.upsert_licence(&licence())?;
    let packages: Vec<MetrcPackage> = (1..=24)
        .map(|n| MetrcPackage {
            label: format!("1A4FF0200000000000{n:06}"),
            item_name: "Benchmark Flower".into(),
            unit_of_measure: "Grams".into(),
            quantity: Quantity::from_milli(1_000_000_000_000),
            last_modified: None,
        })
        .collect();
    db.upsert_packages_from_metrc(LICENCE, &packages)?;
    let stock = packages
        .into_iter()
        .map(|p| Stock {
            label: p.label,
            unit: p.unit_of_measure,
        })
        .collect();
    Ok((db, stock))
}

fn new_sale(user: &str, stock: &Stock) -> NewSale {
    NewSale {
        licence: LICENCE.into(),
        acting_user: user.into(),
        occurred_at: Timestamp::now(),
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        lines: vec![NewSaleLine {
            label: stock.label.clone(),
            quantity: Quantity::from_milli(SOLD_MILLI),
            unit_of_measure: stock.unit.clone(),
            total_amount: Money::from_cents(LINE_CENTS),
        }],
    }
}

fn waiting(db: &Database) -> Res<u64> {
    Ok(db
        .counts(None)?
        .iter()
        .filter(|c| !c.state.is_terminal() && c.state != EntryState::Rejected)
        .map(|c| c.count)
        .sum())
}

fn count(db: &Database, state: EntryState) -> Res<u64> {
    Ok(db
        .counts(None)?
        .iter()
        .filter(|c| c.state == state)
        .map(|c| c.count)
        .sum())
}

/// 1. Durable commit of a sale against one raw fsynced append on the same disk.
mod commit {
    use super::*;

    /// On-CPU time of every thread of this process so far (`/proc/self/task/*/schedstat`), in ns.
    fn process_cpu_ns() -> u64 {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .filter_map(|t| t.ok())
                    .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
                    .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// The commit of a sale on a register selling under Colorado's purchase limits (the state set,
    /// the item's Metrc facts known, so every sale is checked inside its transaction), wall time
    /// and on-CPU time, against the same appends.
    pub fn run(dir: &Path, scale: Scale) -> Res<Vec<Row>> {
        let mut rows = run_on(dir, scale, false)?;
        rows.extend(run_on(dir, scale, true)?);
        Ok(rows)
    }

    fn run_on(dir: &Path, scale: Scale, limits: bool) -> Res<Vec<Row>> {
        let name = if limits { "commit-limits" } else { "commit" };
        let (db, stock) = local_store(&dir.join(format!("{name}.sqlite")))?;
        if limits {
            db.set_setting(stateline_store::settings::REGISTER_STATE, "CO")?;
            db.upsert_items(
                LICENCE,
                &[stateline_store::Item {
                    metrc_id: 1,
                    name: "Benchmark Flower".into(),
                    category: Some("Buds".into()),
                    unit_of_measure: "Grams".into(),
                    category_type: Some("Buds".into()),
                    unit_weight: None,
                    unit_thc_content: None,
                }],
            )?;
        }
        let mut data_file = FileOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("append-sync-data.log"))?;
        let mut all_file = FileOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("append-sync-all.log"))?;
        // About the size of the rows one sale writes.
        let mut record = vec![b'x'; 255];
        record.push(b'\n');
        let warm_up = 10;
        let (mut sales, mut synced_data, mut synced_all) = (Vec::new(), Vec::new(), Vec::new());
        let mut on_cpu = Vec::new();
        // Interleaved, so that drift in the disk's speed hits all three alike.
        for i in 0..scale.commits + warm_up {
            let sale = new_sale("bea", &stock[i % stock.len()]);
            let cpu = process_cpu_ns();
            let t = Instant::now();
            db.record_sale(&sale)?;
            let sale_time = t.elapsed();
            let cpu = Duration::from_nanos(process_cpu_ns().saturating_sub(cpu));
            let t = Instant::now();
            data_file.write_all(&record)?;
            data_file.sync_data()?;
            let data_time = t.elapsed();
            let t = Instant::now();
            all_file.write_all(&record)?;
            all_file.sync_all()?;
            let all_time = t.elapsed();
            if i >= warm_up {
                on_cpu.push(cpu);
                sales.push(sale_time);
                synced_data.push(data_time);
                synced_all.push(all_time);
            }
        }
        let (sale, data, all) = (median(sales), median(synced_data), median(synced_all));
        let cpu = median(on_cpu);
        println!(
            "{name}: {} sales; median record_sale {} ({} on CPU), append+sync_data {}, append+sync_all {}",
            scale.commits,
            fmt_dur(sale),
            fmt_dur(cpu),
            fmt_dur(data),
            fmt_dur(all)
        );
        let ratio = sale.as_secs_f64() / data.as_secs_f64();
        let ratio_all = sale.as_secs_f64() / all.as_secs_f64();
        if limits {
            return Ok(vec![Row {
                name: "1c. the same under Colorado's limits".into(),
                measured: fmt_dur(sale),
                baseline: fmt_dur(data),
                ratio,
                target: "<= 2.00",
                pass: ratio <= 2.0,
            }]);
        }
        Ok(vec![
            Row {
                name: "1. record_sale vs append+sync_data".into(),
                measured: fmt_dur(sale),
                baseline: fmt_dur(data),
                ratio,
                target: "<= 2.00",
                pass: ratio <= 2.0,
            },
            Row {
                name: "1b. record_sale vs append+sync_all (info)".into(),
                measured: fmt_dur(sale),
                baseline: fmt_dur(all),
                ratio: ratio_all,
                target: "<= 2.00",
                pass: ratio_all <= 2.0,
            },
        ])
    }
}

/// Writes many pending sales straight into an existing store, mirroring `record_sale` row for row
/// (sale, line, outbox entry, causal row, package effect, the package's pending sum; the outbox
/// counters come from the schema's triggers). For building big backlogs only.
mod bulk {
    use super::*;

    pub fn add_sales(
        path: &Path,
        sales: usize,
        users: &[&str],
        stock: &[Stock],
        tag: &str,
    ) -> Res<Duration> {
        let started = Instant::now();
        let mut conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "cache_size", -262_144)?;
        let now = Timestamp::now().as_millisecond();
        let mut taken: BTreeMap<&str, i64> = BTreeMap::new();
        let chunk = 50_000;
        let mut done = 0;
        while done < sales {
            let tx = conn.transaction()?;
            {
                let mut sale = tx.prepare_cached(
                    "INSERT INTO sales (client_id, licence, acting_user, occurred_at, customer_type,
                        patient_number, caregiver_number, created_at)
                    VALUES (?1, ?2, ?3, ?4, 'Consumer', NULL, NULL, ?5)",
                )?;
                let mut line = tx.prepare_cached(
                    "INSERT INTO sale_lines (sale_id, line_no, label, quantity, unit_of_measure, total_cents)
                    VALUES (?1, 1, ?2, ?3, ?4, ?5)",
                )?;
                let mut entry = tx.prepare_cached(
                    "INSERT INTO outbox (client_id, kind, licence, acting_user, record_id, state,
                        attempts, next_attempt_at, occurred_at, created_at, state_changed_at, depends_on)
                    VALUES (?1, 'sale', ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?5, ?5, NULL)",
                )?;
                let mut causal = tx.prepare_cached(
                    "INSERT INTO outbox_packages (entry_id, label, kind, role)
                    VALUES (?1, ?2, 'sale', 'uses')",
                )?;
                let mut effect = tx.prepare_cached(
                    "INSERT INTO package_effects (entry_id, label, delta) VALUES (?1, ?2, ?3)",
                )?;
                for i in done..(done + chunk).min(sales) {
                    let client_id = format!("SL-{tag}-{i:012}");
                    let user = users[i % users.len()];
                    let stock = &stock[i % stock.len()];
                    let occurred = now - (sales - i) as i64;
                    sale.execute(params![client_id, LICENCE, user, occurred, now])?;
                    let sale_id = tx.last_insert_rowid();
                    line.execute(params![
                        sale_id,
                        stock.label,
                        SOLD_MILLI,
                        stock.unit,
                        LINE_CENTS
                    ])?;
                    entry.execute(params![client_id, LICENCE, user, sale_id, now, occurred])?;
                    let entry_id = tx.last_insert_rowid();
                    causal.execute(params![entry_id, stock.label])?;
                    effect.execute(params![entry_id, stock.label, -SOLD_MILLI])?;
                    *taken.entry(stock.label.as_str()).or_default() -= SOLD_MILLI;
                }
            }
            tx.commit()?;
            done = (done + chunk).min(sales);
        }
        {
            let tx = conn.transaction()?;
            let mut pending = tx.prepare(
                "UPDATE packages SET pending_delta = pending_delta + ?2 WHERE label = ?1",
            )?;
            for (label, delta) in &taken {
                pending.execute(params![label, delta])?;
            }
            drop(pending);
            tx.commit()?;
        }
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(started.elapsed())
    }

    /// Checks through the public API that the bulk rows are what `record_sale` would have written:
    /// counts, on-hand, a claimable batch whose Metrc payload builds.
    pub fn verify(db: &Database, expected_pending: u64, stock: &[Stock], sold: &[i64]) -> Res<()> {
        let pending = count(db, EntryState::Pending)?;
        if pending != expected_pending {
            return Err(
                format!("bulk backlog: {pending} pending, expected {expected_pending}").into(),
            );
        }
        for (s, sold) in stock.iter().zip(sold) {
            let package = db.package(&s.label)?;
            let on_hand = db.on_hand(&s.label)?;
            if on_hand.milli() != package.metrc_quantity.milli() - sold {
                return Err(format!("bulk backlog: on-hand of {} is off", s.label).into());
            }
        }
        let now = Timestamp::now();
        let batch = db.claim_batch(LICENCE, EntryKind::Sale, None, BATCH, now)?;
        if batch.len() != BATCH {
            return Err(format!("bulk backlog: claimed {} of {BATCH}", batch.len()).into());
        }
        let built = payload::build(db, &batch)?;
        if built.len() != BATCH {
            return Err("bulk backlog: the payload lost rows".into());
        }
        let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
        db.release_not_sent(&ids, now, "benchmark check")?;
        Ok(())
    }

    /// What each package gives up when `sales` sales are spread over `stock` round-robin.
    pub fn sold_per_package(sales: usize, stock: &[Stock]) -> Vec<i64> {
        (0..stock.len())
            .map(|k| {
                let n = sales / stock.len() + usize::from(k < sales % stock.len());
                n as i64 * SOLD_MILLI
            })
            .collect()
    }
}

/// 2. `claim_batch` with 1,000 vs 1,000,000 records waiting.
mod claim {
    use super::*;

    const USERS: [&str; 4] = ["bea", "cal", "dee", "eli"];

    /// Median wall time and median on-CPU time of one claim (the batch is released unsent after
    /// each claim, untimed, so the backlog and its head stay the same).
    struct Figures {
        wall: Duration,
        cpu: Option<Duration>,
    }

    /// This thread's on-CPU time (Linux `schedstat`, nanoseconds); `None` elsewhere.
    fn thread_cpu() -> Option<Duration> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(ns))
    }

    fn measure(db: &Database, user: Option<&str>, claims: usize) -> Res<Figures> {
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        let warm_up = 10;
        for i in 0..claims + warm_up {
            let now = Timestamp::now();
            let c0 = thread_cpu();
            let t = Instant::now();
            let batch = db.claim_batch(LICENCE, EntryKind::Sale, user, BATCH, now)?;
            let elapsed = t.elapsed();
            let c1 = thread_cpu();
            if batch.len() != BATCH {
                return Err(format!("claimed {} of {BATCH}", batch.len()).into());
            }
            let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
            db.release_not_sent(&ids, now, "benchmark: released unsent")?;
            if i >= warm_up {
                wall.push(elapsed);
                if let (Some(a), Some(b)) = (c0, c1) {
                    cpu.push(b.saturating_sub(a));
                }
            }
        }
        Ok(Figures {
            wall: median(wall),
            cpu: (!cpu.is_empty()).then(|| median(cpu)),
        })
    }

    fn backlog(dir: &Path, sales: usize, scale: Scale) -> Res<(Figures, Figures)> {
        let path = dir.join(format!("claim-{sales}.sqlite"));
        let (db, stock) = local_store(&path)?;
        // One sale through the real path, the reference the bulk rows mirror.
        db.record_sale(&new_sale(USERS[0], &stock[0]))?;
        let built = bulk::add_sales(&path, sales - 1, &USERS, &stock[1..], "BENCHCLAIM")?;
        let mut sold = vec![0; stock.len()];
        sold[0] = SOLD_MILLI;
        for (k, s) in bulk::sold_per_package(sales - 1, &stock[1..])
            .into_iter()
            .enumerate()
        {
            sold[k + 1] = s;
        }
        bulk::verify(&db, sales as u64, &stock, &sold)?;
        let size = std::fs::metadata(&path)?.len();
        println!(
            "claim: {sales} waiting built in {:.1} s ({} MB); plan: {}",
            built.as_secs_f64(),
            size / 1_000_000,
            db.claim_query_plan(EntryKind::Sale, true)?.join(" / ")
        );
        let by_user = measure(&db, Some(USERS[1]), scale.claims)?;
        let facility = measure(&db, None, scale.claims)?;
        drop(db);
        std::fs::remove_file(&path)?;
        Ok((by_user, facility))
    }

    pub fn run(dir: &Path, scale: Scale) -> Res<Vec<Row>> {
        let (small_user, small_facility) = backlog(dir, scale.claim_small, scale)?;
        let (large_user, large_facility) = backlog(dir, scale.claim_large, scale)?;
        let label = |n: usize| {
            if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
                format!("{}M", n / 1_000_000)
            } else {
                format!("{}k", n / 1_000)
            }
        };
        let (small, large) = (label(scale.claim_small), label(scale.claim_large));
        let mut rows = Vec::new();
        let mut add = |name: String, measured: Duration, baseline: Duration| {
            let ratio = measured.as_secs_f64() / baseline.as_secs_f64();
            rows.push(Row {
                name,
                measured: fmt_dur(measured),
                baseline: fmt_dur(baseline),
                ratio,
                target: "<= 2.00",
                pass: ratio <= 2.0,
            });
        };
        add(
            format!("2. claim_batch(10), per user: {large} vs {small}"),
            large_user.wall,
            small_user.wall,
        );
        add(
            format!("2b. claim_batch(10), facility: {large} vs {small}"),
            large_facility.wall,
            small_facility.wall,
        );
        if let (Some(l), Some(s)) = (large_user.cpu, small_user.cpu) {
            add(
                format!("2c. claim on-CPU, per user: {large} vs {small}"),
                l,
                s,
            );
        }
        if let (Some(l), Some(s)) = (large_facility.cpu, small_facility.cpu) {
            add(
                format!("2d. claim on-CPU, facility: {large} vs {small}"),
                l,
                s,
            );
        }
        Ok(rows)
    }
}

/// 3. Backlog drain against the emulator with a fixed 150 ms latency.
mod drain {
    use super::*;

    fn client(base_url: &str) -> Res<metrc::MetrcClient> {
        let mut config =
            metrc::ClientConfig::new(base_url.parse()?, metrc::VendorKey::new(DEMO_VENDOR_KEY)?);
        config.request_timeout = Duration::from_secs(20);
        Ok(metrc::MetrcClient::new(config)?)
    }

    fn budtender_key(n: usize) -> String {
        format!("bench-budtender-key-{n:04}")
    }

    /// The demo seed with `users` budtenders (sales permission only) and packages too big to run out.
    fn seed(users: usize) -> Seed {
        let mut seed = Seed::demo(jiff::Timestamp::now());
        for n in 0..users {
            seed.add_user(
                &format!("bench-bud-{n}"),
                &budtender_key(n),
                &[(LICENCE, Permission::sales_only())],
            );
        }
        for p in seed
            .packages
            .iter_mut()
            .filter(|p| p.license_number == LICENCE)
        {
            p.quantity = 1.0e9;
        }
        seed
    }

    /// A store refreshed from the emulator (SystemClock) and the packages it can sell from.
    async fn store(path: &Path, client: &metrc::MetrcClient) -> Res<(Database, Vec<Stock>)> {
        let db = Database::open(path)?;
        db.upsert_licence(&licence())?;
        stateline_delivery::refresh::refresh_licence(
            &db,
            client,
            &metrc::UserKey::new(DEMO_MANAGER_KEY)?,
            LICENCE,
        )
        .await?;
        let stock: Vec<Stock> = db
            .packages(LICENCE)?
            .into_iter()
            .filter(|p| !p.local_only)
            .map(|p| Stock {
                label: p.label,
                unit: p.unit_of_measure,
            })
            .collect();
        if stock.is_empty() {
            return Err("the emulator gave no packages".into());
        }
        Ok((db, stock))
    }

    struct Drained {
        sales: usize,
        elapsed: Duration,
        requests: u64,
    }

    /// Fills a fresh store with `sales` pending sales spread over `users` and drains it.
    async fn drain(
        dir: &Path,
        name: &str,
        client: &metrc::MetrcClient,
        control: &Control,
        users: &[String],
        sales: usize,
        concurrency: usize,
    ) -> Res<Drained> {
        let path = dir.join(format!("drain-{name}.sqlite"));
        let (db, stock) = store(&path, client).await?;
        let user_refs: Vec<&str> = users.iter().map(String::as_str).collect();
        bulk::add_sales(&path, sales, &user_refs, &stock, &format!("BENCH{name}"))?;
        let sold = bulk::sold_per_package(sales, &stock);
        bulk::verify(&db, sales as u64, &stock, &sold)?;
        let keys = StaticKeys::new();
        for (n, user) in users.iter().enumerate() {
            keys.set_user_key(user, metrc::UserKey::new(budtender_key(n))?);
        }
        let engine = DeliveryEngine::new(
            db.clone(),
            client.clone(),
            Arc::new(keys),
            DeliveryConfig {
                object_limit: BATCH,
                concurrency,
                seed: 7,
                ..DeliveryConfig::default()
            },
        );
        let receipts_before = control.receipts(LICENCE).len();
        let started = Instant::now();
        let (mut requests, mut confirmed) = (0, 0);
        let mut idle_passes = 0;
        while waiting(&db)? > 0 {
            let report = engine.run_once().await?;
            requests += report.requests;
            confirmed += report.confirmed;
            if report.rejected > 0 {
                return Err(format!("drain {name}: {} rejected", report.rejected).into());
            }
            if !report.made_progress() {
                idle_passes += 1;
                if idle_passes > 100 {
                    return Err(format!("drain {name} stalled: {:?}", db.counts(None)?).into());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let elapsed = started.elapsed();
        let landed = control.receipts(LICENCE).len() - receipts_before;
        if confirmed != sales as u64 || landed != sales {
            return Err(format!(
                "drain {name}: {confirmed} confirmed, {landed} receipts in the emulator, {sales} sold"
            )
            .into());
        }
        println!(
            "drain {name}: {sales} sales, {} users, concurrency {concurrency}: {:.2} s, {requests} write requests",
            users.len(),
            elapsed.as_secs_f64()
        );
        Ok(Drained {
            sales,
            elapsed,
            requests,
        })
    }

    /// Sequential one-receipt POSTs: each one's time (the round trip) and the whole run.
    async fn naive(
        client: &metrc::MetrcClient,
        stock: &[Stock],
        posts: usize,
    ) -> Res<(Vec<Duration>, Duration)> {
        let key = metrc::UserKey::new(budtender_key(0))?;
        let tz = jiff::tz::TimeZone::get(DEMO_TIME_ZONE)?;
        let mut each = Vec::new();
        let started = Instant::now();
        for i in 0..posts {
            let stock = &stock[i % stock.len()];
            let receipt = metrc::NewReceipt {
                sales_date_time: payload::local_date_time(Timestamp::now(), &tz),
                external_receipt_number: format!("SL-NAIVE-{i:012}"),
                sales_customer_type: "Consumer".into(),
                patient_license_number: None,
                caregiver_license_number: None,
                identification_method: None,
                patient_registration_location_id: None,
                transactions: vec![metrc::NewTransaction {
                    package_label: stock.label.clone(),
                    quantity: 1.0,
                    unit_of_measure: stock.unit.clone(),
                    total_amount: 12.5,
                    ..Default::default()
                }],
            };
            let t = Instant::now();
            let outcome = client
                .create_receipts(&key, LICENCE, std::slice::from_ref(&receipt))
                .await?;
            each.push(t.elapsed());
            if outcome.ids.len() > 1 {
                return Err("naive sender: more ids than receipts".into());
            }
        }
        Ok((each, started.elapsed()))
    }

    pub async fn run(dir: &Path, scale: Scale) -> Res<Vec<Row>> {
        let c = scale.concurrency;
        let emulator = Emulator::start("127.0.0.1:0".parse()?, seed(c), Options::default()).await?;
        let control = emulator.control();
        let client = client(&emulator.base_url())?;
        let (_, stock) = store(&dir.join("drain-naive.sqlite"), &client).await?;

        control.set_faults(Faults {
            latency: Some(Latency {
                fixed_ms: LATENCY_MS,
                ..Latency::default()
            }),
            ..Faults::default()
        });
        let (each, naive_total) = naive(&client, &stock, scale.naive_posts).await?;
        let round_trip = median(each);
        let naive_rate = scale.naive_posts as f64 / naive_total.as_secs_f64();
        println!(
            "naive: {} one-receipt POSTs in {:.2} s; median round trip {}",
            scale.naive_posts,
            naive_total.as_secs_f64(),
            fmt_dur(round_trip)
        );

        let users: Vec<String> = (0..c).map(|n| format!("bud{n}")).collect();
        let many = drain(
            dir,
            "spread",
            &client,
            &control,
            &users,
            scale.drain_sales,
            c,
        )
        .await?;
        let one = drain(
            dir,
            "single",
            &client,
            &control,
            &users[..1],
            scale.single_user_sales,
            c,
        )
        .await?;
        emulator.shutdown().await;

        let ceiling = (BATCH * c) as f64 / round_trip.as_secs_f64();
        let rate = |d: &Drained| d.sales as f64 / d.elapsed.as_secs_f64();
        let per_s = |r: f64| format!("{r:.1} rec/s");
        let (many_rate, one_rate) = (rate(&many), rate(&one));
        println!(
            "drain: ceiling {BATCH} x {c} / {} = {:.1} rec/s; {} requests for {} sales (spread)",
            fmt_dur(round_trip),
            ceiling,
            many.requests,
            many.sales
        );
        Ok(vec![
            Row {
                name: format!("3. drain {} sales, {c} users vs ceiling", many.sales),
                measured: per_s(many_rate),
                baseline: per_s(ceiling),
                ratio: many_rate / ceiling,
                target: ">= 0.80",
                pass: many_rate / ceiling >= 0.8,
            },
            Row {
                name: format!("3b. drain {} sales, {c} users vs naive", many.sales),
                measured: per_s(many_rate),
                baseline: per_s(naive_rate),
                ratio: many_rate / naive_rate,
                target: ">= 8.00",
                pass: many_rate / naive_rate >= 8.0,
            },
            Row {
                name: format!("3c. drain {} sales, 1 user vs ceiling", one.sales),
                measured: per_s(one_rate),
                baseline: per_s(ceiling),
                ratio: one_rate / ceiling,
                target: ">= 0.80",
                pass: one_rate / ceiling >= 0.8,
            },
            Row {
                name: format!("3d. drain {} sales, 1 user vs naive", one.sales),
                measured: per_s(one_rate),
                baseline: per_s(naive_rate),
                ratio: one_rate / naive_rate,
                target: ">= 8.00",
                pass: one_rate / naive_rate >= 8.0,
            },
        ])
    }
}
