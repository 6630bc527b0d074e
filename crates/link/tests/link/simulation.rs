//! Seeded simulation of a store (issue #13): three registers, each on its own SQLite with its
//! own skewed clock and delivery engine, one store server (PostgreSQL) and one Metrc (the
//! emulator). Random sales by two users at random registers, link passes, delivery passes,
//! refreshes, registers cut off from the store and back, Metrc outages, delivery engines
//! crashing and recovering, the store server restarting. Bea's key is at some registers only:
//! her sales elsewhere wait, are handed over, and a register holding her key delivers them under
//! a lease (courier passes at random moments, leases lapsing in real time).
//!
//! Oracles:
//! - **no overselling while connected**: a connected register syncs before and after each sale
//!   (as the app's link does within milliseconds), and its on-hand never shows more than is
//!   physically left (Metrc's starting quantity less every sale recorded anywhere) — it errs low,
//!   never high — so, until some register has sold while cut off, what is physically left never
//!   goes below zero;
//! - **Metrc's ledger is the union of every register's records**: after healing, every sale is in
//!   Metrc exactly once with its original time — also those delivered by another register — or was refused by Metrc (only sales made while cut
//!   off can be), and Metrc holds nothing else;
//! - **the store holds every record once**, with the state its register has;
//! - **on-hand converges**: after a last sync and refresh, every register shows Metrc's quantity,
//!   less what refused sales still hold (they left the store physically).
//!
//! `STATELINE_SIM_SEEDS=N` runs N seeds (default 100), `STATELINE_SIM_SEED=S` replays one; a
//! failure names its seed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{
    DEMO_LICENSE, Faults, Options, RefuseConnections, Seed, Trigger, WriteFault, WriteFaultKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use stateline_courier::{Courier, CourierConfig};
use stateline_delivery::refresh::refresh_licence;
use stateline_delivery::{DeliveryConfig, DeliveryEngine, payload};
use stateline_link::handover::LeaseTerms;
use stateline_link::{RegisterIdentity, ServerConfig, StoreServer, sync_pass};
use stateline_store::{
    Clock, EntryFilter, EntryKind, EntryState, Money, NewSale, NewSaleLine, Quantity,
};
use stateline_testkit::delivery::{BUDTENDER, Harness, MANAGER, Register, START, user_key};
use stateline_testkit::postgres::{Cluster, USER};

const REGISTERS: usize = 3;
const STEPS: usize = 45;
const START_QUANTITY: i64 = 4;

struct Till {
    name: String,
    register: Register,
    server: Option<StoreServer>,
    cut_off: bool,
    /// Delivers the handed-over sales of the users whose keys this register holds.
    courier: Courier,
}

/// Leases short enough for a run in real time: 300 ms, 300 ms more before a lapsed one is taken
/// over, a POST only with 100 ms left.
fn courier_config() -> CourierConfig {
    CourierConfig {
        terms: LeaseTerms {
            lease: Duration::from_millis(300),
            grace: Duration::from_millis(300),
        },
        margin: Duration::from_millis(100),
        batch: 10,
        object_limit: 10,
        concurrency: 2,
    }
}

/// Writes that `register` holds `user`'s key, as the keys crate would (never the key).
fn holds_key_of(register: &Register, user: &str) {
    let conn = rusqlite::Connection::open(register.dir.path().join("stateline.sqlite"))
        .expect("the register's database");
    conn.execute(
        "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at, saved_by,
             verdict, validated_at)
         VALUES ('demo', ?1, 'entry', '1111', ?2, 'max', 'all_good', ?2)",
        rusqlite::params![
            format!("user:{user}"),
            stateline_store::time::to_ms(register.db.now())
        ],
    )
    .expect("key metadata");
}

struct World {
    cluster_port: u16,
    password: String,
    database: String,
    harness: Harness,
    tills: Vec<Till>,
    labels: Vec<String>,
    /// Sales recorded anywhere, per label (units).
    sold: BTreeMap<String, i64>,
    sold_while_cut_off: bool,
    config: DeliveryConfig,
    tally: Tally,
}

/// What the seeds exercised, summed (printed, so a run that stopped exercising something shows).
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    sales: u64,
    refused_as_oversold: u64,
    sold_while_cut_off: u64,
    refused_by_metrc: u64,
    store_restarts: u64,
    delivered_for_others: u64,
    found_by_lookup: u64,
}

impl World {
    fn server_config(&self) -> ServerConfig {
        ServerConfig {
            host: "127.0.0.1".into(),
            port: self.cluster_port,
            database: self.database.clone(),
            user: USER.into(),
            password: SecretString::from(self.password.clone()),
            connect_timeout: Duration::from_secs(5),
            tls: stateline_link::StoreTls::Off,
        }
    }

    /// One link pass at till `i` (connecting and joining first when needed); a failure drops the
    /// connection, to be made again next time. Returns whether the pass completed.
    async fn link(&mut self, i: usize) -> bool {
        if self.tills[i].cut_off {
            return false;
        }
        let config = self.server_config();
        let till = &mut self.tills[i];
        if till.server.is_none() {
            let Ok(server) = StoreServer::connect(&config).await else {
                return false;
            };
            let db = &till.register.db;
            if server
                .join(db.install_id(), &till.name, "0.1.0", db.now())
                .await
                .is_err()
            {
                return false;
            }
            till.server = Some(server);
        }
        let identity = RegisterIdentity {
            name: till.name.clone(),
            app_version: "0.1.0".into(),
        };
        let server = till.server.as_mut().expect("connected");
        let db = &till.register.db;
        match sync_pass(db, server, &identity, 25, &till.register.clock, |_| {}).await {
            Ok(_) => true,
            Err(_) => {
                till.server = None;
                false
            }
        }
    }

    /// A courier pass at till `i` (when it is connected).
    async fn deliver_for_others(&mut self, i: usize) {
        if !self.link(i).await {
            return;
        }
        let till = &mut self.tills[i];
        let server = till.server.as_mut().expect("connected");
        match till.courier.run_once(server).await {
            Ok(report) => {
                self.tally.delivered_for_others += (report.sent + report.found) as u64;
                self.tally.found_by_lookup += report.found as u64;
            }
            Err(_) => till.server = None,
        }
    }

    fn physically_left(&self, label: &str) -> i64 {
        START_QUANTITY - self.sold.get(label).copied().unwrap_or(0)
    }

    async fn sell(&mut self, i: usize, rng: &mut StdRng) -> Result<(), String> {
        let label = self.labels[rng.random_range(0..self.labels.len())].clone();
        let user = if rng.random_bool(0.5) {
            BUDTENDER
        } else {
            MANAGER
        };
        let connected = !self.tills[i].cut_off && self.link(i).await;
        let till = &self.tills[i];
        let view = till
            .register
            .db
            .on_hand(&label)
            .map_err(|e| e.to_string())?;
        if connected
            && !self.sold_while_cut_off
            && view.milli() > self.physically_left(&label) * 1000
        {
            return Err(format!(
                "{} shows {view} of {label} after syncing; only {} are left in the store",
                till.name,
                self.physically_left(&label)
            ));
        }
        let sale = NewSale {
            licence: DEMO_LICENSE.into(),
            acting_user: user.into(),
            occurred_at: till.register.clock.now(),
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            lines: vec![NewSaleLine {
                label: label.clone(),
                quantity: Quantity::parse("1").expect("quantity"),
                unit_of_measure: "Each".into(),
                total_amount: Money::parse("10").expect("money"),
            }],
        };
        match till.register.db.record_sale(&sale) {
            Ok(_) => {
                self.tally.sales += 1;
                self.tally.sold_while_cut_off += u64::from(!connected);
                *self.sold.entry(label.clone()).or_default() += 1;
                self.sold_while_cut_off |= !connected;
                if connected {
                    self.link(i).await;
                }
            }
            Err(e) if e.code() == "insufficient_quantity" => self.tally.refused_as_oversold += 1,
            Err(e) => return Err(format!("sale at {}: {e}", till.name)),
        }
        if !self.sold_while_cut_off && self.physically_left(&label) < 0 {
            return Err(format!(
                "{label} oversold while every register was connected: {} left",
                self.physically_left(&label)
            ));
        }
        Ok(())
    }

    async fn refresh(&self, i: usize) -> Result<(), String> {
        let till = &self.tills[i];
        refresh_licence(
            &till.register.db,
            &self.harness.client,
            &user_key(metrc_emulator::DEMO_MANAGER_KEY),
            DEMO_LICENSE,
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("refresh at {}: {e}", till.name))
    }

    fn advance(&self, seconds: i64) {
        for till in &self.tills {
            till.register
                .clock
                .advance(SignedDuration::from_secs(seconds));
        }
    }

    fn waiting(&self) -> u64 {
        self.tills
            .iter()
            .flat_map(|t| t.register.db.counts(None).expect("counts"))
            .filter(|c| !c.state.is_terminal() && c.state != EntryState::Rejected)
            .map(|c| c.count)
            .sum()
    }
}

async fn run_seed(cluster: &Cluster, seed: u64) -> Result<Tally, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let config = DeliveryConfig {
        concurrency: 1,
        seed,
        ..DeliveryConfig::default()
    };
    let harness = Harness::with(
        Seed::demo(Timestamp::now()),
        Options::default(),
        config.clone(),
    )
    .await;
    let labels: Vec<String> = (0..3).map(|i| harness.package("Each", i).label).collect();
    for label in &labels {
        assert!(
            harness
                .control
                .set_package_quantity(DEMO_LICENSE, label, START_QUANTITY as f64)
        );
    }
    let start: Timestamp = START.parse().expect("start");
    let mut tills = Vec::new();
    // Bea's key is at one register at least, and (in most seeds) not at every one: her sales
    // at the others wait for it and are handed over to a register that holds it.
    let keeper = rng.random_range(0..REGISTERS);
    for n in 0..REGISTERS {
        let skew = SignedDuration::from_secs(rng.random_range(-300..=300));
        let register = harness
            .another_register(seed * 10 + n as u64 + 1, start + skew, config.clone())
            .await;
        if n == keeper || rng.random_bool(0.25) {
            holds_key_of(&register, BUDTENDER);
        } else {
            register.keys.clear_user_key(BUDTENDER);
        }
        let courier = Courier::new(
            register.db.clone(),
            harness.client.clone(),
            std::sync::Arc::new(register.keys.clone()),
            std::sync::Arc::new(register.clock.clone()),
            courier_config(),
        );
        tills.push(Till {
            name: format!("Register {}", n + 1),
            register,
            server: None,
            cut_off: false,
            courier,
        });
    }
    let database = format!("sim_{seed}");
    cluster.create_database(&database);
    let mut world = World {
        cluster_port: cluster.port(),
        password: cluster.password().to_owned(),
        database,
        harness,
        tills,
        labels,
        sold: BTreeMap::new(),
        sold_while_cut_off: false,
        config,
        tally: Tally::default(),
    };
    let restart_at = seed.is_multiple_of(8).then(|| rng.random_range(0..STEPS));
    for step in 0..STEPS {
        if restart_at == Some(step) {
            cluster.restart();
            world.tally.store_restarts += 1;
            for till in &mut world.tills {
                till.server = None;
            }
        }
        let i = rng.random_range(0..REGISTERS);
        match rng.random_range(0..16) {
            0..=5 => world.sell(i, &mut rng).await?,
            6 | 7 => {
                let _ = world.tills[i].register.engine.run_once().await;
            }
            8 => {
                let _ = world.refresh(i).await;
            }
            9 => {
                let cut = world.tills.iter().filter(|t| t.cut_off).count();
                let till = &mut world.tills[i];
                if till.cut_off || cut == 0 {
                    till.cut_off = !till.cut_off;
                    till.server = None;
                }
            }
            10 => {
                let faults = match rng.random_range(0..3) {
                    0 => Faults {
                        rng_seed: seed,
                        outage_503: Some(Trigger::always().with_probability(0.6)),
                        ..Faults::default()
                    },
                    1 => Faults {
                        rng_seed: seed,
                        refuse_connections: Some(RefuseConnections::default()),
                        ..Faults::default()
                    },
                    // Metrc takes the write and the answer is lost: the sender cannot know.
                    _ => Faults {
                        rng_seed: seed,
                        write_faults: vec![WriteFault {
                            kind: WriteFaultKind::CommitThen500,
                            trigger: Trigger::always().with_probability(0.5),
                        }],
                        ..Faults::default()
                    },
                };
                world.harness.control.set_faults(faults);
            }
            11 => world.harness.control.clear_faults(),
            12 => {
                let till = &mut world.tills[i];
                till.register.engine = DeliveryEngine::new(
                    till.register.db.clone(),
                    world.harness.client.clone(),
                    std::sync::Arc::new(till.register.keys.clone()),
                    DeliveryConfig {
                        seed: rng.random(),
                        ..world.config.clone()
                    },
                );
                till.register
                    .engine
                    .recover()
                    .await
                    .map_err(|e| format!("recover: {e}"))?;
            }
            13 => {
                world.link(i).await;
            }
            14 => world.deliver_for_others(i).await,
            _ => world.advance(rng.random_range(1..300)),
        }
    }
    heal(&mut world).await?;
    check(&mut world).await?;
    Ok(world.tally)
}

/// Everything back: Metrc without faults, every register connected, delivered and synced.
async fn heal(world: &mut World) -> Result<(), String> {
    world.harness.control.clear_faults();
    for till in &mut world.tills {
        till.cut_off = false;
    }
    for round in 0..60 {
        world.advance(400);
        for till in &world.tills {
            till.register
                .engine
                .run_once()
                .await
                .map_err(|e| format!("healing pass at {}: {e}", till.name))?;
        }
        // Handed-over sales: makers hand over and hear back, holders deliver; a lease left by a
        // holder that was unsure lapses in real time.
        for i in 0..REGISTERS {
            world.link(i).await;
        }
        for i in 0..REGISTERS {
            world.deliver_for_others(i).await;
        }
        for i in 0..REGISTERS {
            world.link(i).await;
        }
        if world.waiting() == 0 {
            break;
        }
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(350)).await;
        }
    }
    if world.waiting() > 0 {
        return Err(format!(
            "{} records still waiting after healing",
            world.waiting()
        ));
    }
    // Two rounds: every register pushes its final states, then every register pulls them all.
    for _ in 0..2 {
        for i in 0..REGISTERS {
            if !world.link(i).await {
                return Err(format!(
                    "{} could not sync after healing",
                    world.tills[i].name
                ));
            }
        }
    }
    world.advance(1);
    for i in 0..REGISTERS {
        // Metrc's read limits are real time: a refresh right after a busy moment may be told to
        // wait a second.
        let mut tries = 0;
        while let Err(why) = world.refresh(i).await {
            tries += 1;
            if tries == 5 {
                return Err(why);
            }
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
    }
    Ok(())
}

async fn check(world: &mut World) -> Result<(), String> {
    let tz = world.tills[0]
        .register
        .db
        .licence(DEMO_LICENSE)
        .and_then(|l| l.tz())
        .map_err(|e| e.to_string())?;
    let mut in_metrc: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for receipt in world.harness.control.receipts(DEMO_LICENSE) {
        if let Some(external) = receipt.external_receipt_number.clone() {
            in_metrc
                .entry(external)
                .or_default()
                .push(receipt.sales_date_time.clone());
        }
    }
    let mut made = BTreeSet::new();
    let mut refused_per_label: BTreeMap<String, i64> = BTreeMap::new();
    let mut local_states = BTreeMap::new();
    for till in &world.tills {
        let db = &till.register.db;
        let entries = db
            .list_entries(&EntryFilter {
                limit: Some(10_000),
                ..EntryFilter::default()
            })
            .map_err(|e| e.to_string())?;
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Sale) {
            made.insert(entry.client_id.clone());
            local_states.insert(
                (db.install_id().to_owned(), entry.id),
                entry.state.as_str().to_owned(),
            );
            let times = in_metrc.get(&entry.client_id).cloned().unwrap_or_default();
            match entry.state {
                EntryState::Confirmed => {
                    let expected =
                        format!("{}.000", payload::local_date_time(entry.occurred_at, &tz));
                    if times != vec![expected.clone()] {
                        return Err(format!(
                            "{} sale {} is in Metrc {} time(s) at {times:?}; expected once at {expected}",
                            till.name,
                            entry.client_id,
                            times.len()
                        ));
                    }
                }
                EntryState::Rejected if world.sold_while_cut_off => {
                    if !times.is_empty() {
                        return Err(format!("refused sale {} is in Metrc", entry.client_id));
                    }
                    world.tally.refused_by_metrc += 1;
                    let sale = db.sale(entry.record_id).map_err(|e| e.to_string())?;
                    for line in sale.lines {
                        *refused_per_label.entry(line.label).or_default() += line.quantity.milli();
                    }
                }
                other => {
                    return Err(format!(
                        "{} sale {} ended {other:?} (nothing was oversold while connected)",
                        till.name, entry.client_id
                    ));
                }
            }
        }
    }
    let extra: Vec<_> = in_metrc.keys().filter(|k| !made.contains(*k)).collect();
    if !extra.is_empty() {
        return Err(format!("Metrc holds receipts nobody made: {extra:?}"));
    }

    let mut store = StoreServer::connect(&world.server_config())
        .await
        .map_err(|e| e.to_string())?;
    let overview = store.overview().await.map_err(|e| e.to_string())?;
    let in_store: i64 = overview.registers.iter().map(|r| r.records).sum();
    if in_store != local_states.len() as i64 {
        return Err(format!(
            "the store holds {in_store} records, the registers made {}",
            local_states.len()
        ));
    }
    let open_in_store: i64 = overview.registers.iter().map(|r| r.open).sum();
    let open_here = local_states
        .values()
        .filter(|s| !matches!(s.as_str(), "confirmed" | "voided"))
        .count() as i64;
    if open_in_store != open_here {
        return Err(format!(
            "the store counts {open_in_store} records not with Metrc, the registers {open_here}"
        ));
    }

    for till in &world.tills {
        for label in &world.labels {
            let metrc = world
                .harness
                .control
                .package(DEMO_LICENSE, label)
                .map_or(0, |p| Quantity::from_f64(p.quantity).milli());
            let expected = metrc - refused_per_label.get(label).copied().unwrap_or(0);
            let shown = till
                .register
                .db
                .on_hand(label)
                .map_err(|e| e.to_string())?
                .milli();
            if shown != expected {
                return Err(format!(
                    "{} shows {shown} of {label}; Metrc has {metrc}, refused sales hold {}; {}",
                    till.name,
                    refused_per_label.get(label).copied().unwrap_or(0),
                    effects_of(&till.register, label)
                ));
            }
        }
    }
    Ok(())
}

/// What a register counts against `label`, for a failure's message.
fn effects_of(register: &Register, label: &str) -> String {
    let conn = rusqlite::Connection::open(register.dir.path().join("stateline.sqlite"))
        .expect("the register's database");
    let peer: Vec<(String, i64, i64, Option<i64>)> = conn
        .prepare(
            "SELECT register_id, local_seq, delta, confirmed_at FROM peer_effects WHERE label = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_map([label], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect()
        })
        .unwrap_or_default();
    let own: Vec<(i64, i64)> = conn
        .prepare("SELECT entry_id, delta FROM package_effects WHERE label = ?1")
        .and_then(|mut stmt| {
            stmt.query_map([label], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap_or_default();
    format!("own effects {own:?}, other registers' {peer:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_store_simulation_metrc_equals_every_registers_records() {
    let seeds: Vec<u64> = match std::env::var("STATELINE_SIM_SEED") {
        Ok(one) => vec![one.parse().expect("STATELINE_SIM_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("STATELINE_SIM_SEEDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(100);
            (0..n).collect()
        }
    };
    let cluster = Cluster::start();
    let mut failures = Vec::new();
    let mut total = Tally::default();
    for seed in &seeds {
        match run_seed(&cluster, *seed).await {
            Ok(tally) => {
                total.sales += tally.sales;
                total.refused_as_oversold += tally.refused_as_oversold;
                total.sold_while_cut_off += tally.sold_while_cut_off;
                total.refused_by_metrc += tally.refused_by_metrc;
                total.store_restarts += tally.store_restarts;
                total.delivered_for_others += tally.delivered_for_others;
                total.found_by_lookup += tally.found_by_lookup;
            }
            Err(why) => {
                eprintln!(
                    "seed {seed} FAILED: {why}\n  replay: STATELINE_SIM_SEED={seed} cargo test -p stateline-link --test link simulation"
                );
                failures.push(*seed);
            }
        }
    }
    println!(
        "store simulation: {} seeds, {} failed; {total:?}",
        seeds.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "failing seeds: {failures:?}");
}
