//! The store under test: one store server (a private PostgreSQL cluster), the Metrc emulator in
//! this process on loopback, and three register processes, each behind its own two proxies.
//!
//! Guarantees: the packages sold hold exactly the units the plans sell; registers are started
//! and waited for (`READY`) before a test goes on; [`Store::finish`] heals every fault, waits
//! until every register's plan is done and every sale is confirmed, stops every register with
//! SIGTERM (each must exit cleanly) and runs the oracle; a failure names the seed and shows the
//! end of each register's log.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use metrc_emulator::{Control, DEMO_LICENSE, Emulator, Faults, Latency, Options, Seed};
use rand::Rng;
use rand::rngs::StdRng;
use stateline_store_fault_tests::plan;
use stateline_store_fault_tests::proxy::Proxy;
use stateline_testkit::postgres::{Cluster, USER};

use crate::register::{Launch, Spec, Till};
use crate::wait::{PATIENCE, until};

/// The seed of a run: `STATELINE_STORE_FAULT_SEED`, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("STATELINE_STORE_FAULT_SEED")
        .ok()
        .map(|s| s.parse().expect("STATELINE_STORE_FAULT_SEED is a number"))
        .unwrap_or(default)
}

/// A skew of one to five minutes, either way, or none.
pub fn skew(rng: &mut StdRng) -> i64 {
    match rng.random_range(0..3) {
        0 => 0,
        1 => rng.random_range(60..=300),
        _ => -rng.random_range(60..=300),
    }
}

/// One store and its registers.
#[derive(Debug)]
pub struct Store {
    pub seed: u64,
    pub cluster: Arc<Cluster>,
    /// Kept running for as long as the store.
    _emulator: Emulator,
    pub control: Control,
    pub tills: Vec<Till>,
    launch: Launch,
    receipts_before: BTreeSet<u64>,
}

impl Store {
    /// Starts the store server, Metrc and one register per spec (see the module doc).
    pub async fn open(seed: u64, specs: Vec<Spec>) -> Store {
        let cluster = Arc::new(
            tokio::task::spawn_blocking(Cluster::start)
                .await
                .expect("the cluster starts"),
        );
        let database = "store".to_owned();
        {
            let cluster = cluster.clone();
            let database = database.clone();
            tokio::task::spawn_blocking(move || cluster.create_database(&database))
                .await
                .expect("createdb");
        }
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
            .take(2)
            .map(|p| p.label)
            .collect();
        assert_eq!(
            labels.len(),
            2,
            "the demo seed has two packages sold by each"
        );
        let planned: Vec<u64> = specs.iter().map(|s| s.sales).collect();
        for (label, units) in labels
            .iter()
            .zip(plan::units_per_label(&planned, labels.len()))
        {
            assert!(control.set_package_quantity(DEMO_LICENSE, label, units as f64));
        }
        let receipts_before = control
            .receipts(DEMO_LICENSE)
            .iter()
            .map(|r| r.id)
            .collect();
        let pg: std::net::SocketAddr = ([127, 0, 0, 1], cluster.port()).into();
        let metrc: std::net::SocketAddr = emulator
            .base_url()
            .trim_start_matches("http://")
            .parse()
            .expect("the emulator's address");
        let launch = Launch {
            database,
            user: USER.to_owned(),
            password: cluster.password().to_owned(),
            labels,
            seed,
            lease_ms: 3000,
            grace_ms: 2000,
            margin_ms: 1500,
            request_timeout_ms: 1000,
        };
        let mut tills = Vec::new();
        for spec in specs {
            let store_proxy = Proxy::start(pg).await.expect("a store proxy");
            let metrc_proxy = Proxy::start(metrc).await.expect("a Metrc proxy");
            tills.push(Till::new(spec, store_proxy, metrc_proxy));
        }
        let mut store = Store {
            seed,
            cluster,
            _emulator: emulator,
            control,
            tills,
            launch,
            receipts_before,
        };
        for i in 0..store.tills.len() {
            store.start(i).await;
        }
        for till in &mut store.tills {
            till.go();
        }
        store
    }

    /// Starts register `i` (again) and waits until it is ready (its plan waits for `go`).
    pub async fn start(&mut self, i: usize) {
        self.tills[i].start(&self.launch);
        let till = &self.tills[i];
        let ready = until(&format!("{} to start", till.spec.name), PATIENCE, || {
            till.ready()
        })
        .await;
        if let Err(why) = ready {
            panic!("{}", self.failure(&why));
        }
    }

    /// SIGKILLs register `i`, then starts it again on its data folder, its plan at once.
    pub async fn kill_and_restart(&mut self, i: usize) {
        self.tills[i].kill();
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.start(i).await;
        self.tills[i].go();
    }

    /// Kills the store server (`pg_ctl stop -m immediate`) and starts it again.
    pub async fn restart_store_server(&self) {
        let cluster = self.cluster.clone();
        tokio::task::spawn_blocking(move || cluster.restart())
            .await
            .expect("the store server restarts");
    }

    /// How long a courier's lease lasts.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.launch.lease_ms)
    }

    /// How long after a lapsed lease another register may take its record.
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.launch.grace_ms)
    }

    /// Slows Metrc's receipts down by `ms` (so a POST is in flight long enough to strike).
    pub fn slow_receipts(&self, ms: u64) {
        self.control.set_faults(Faults {
            rng_seed: self.seed,
            latency: Some(Latency {
                fixed_ms: ms,
                jitter_ms: 0,
                path_prefix: Some("/sales/v2/receipts".into()),
            }),
            ..Faults::default()
        });
    }

    /// Waits until `what` holds, or fails the run (naming the seed).
    pub async fn wait(&self, what: &str, holds: impl FnMut() -> bool) {
        if let Err(why) = until(what, PATIENCE, holds).await {
            panic!("{}", self.failure(&why));
        }
    }

    /// Waits until register `i` acknowledged at least `n` sales.
    pub async fn wait_for_sales(&self, i: usize, n: usize) {
        let till = &self.tills[i];
        self.wait(&format!("{} to sell {n}", till.spec.name), || {
            till.acked() >= n
        })
        .await;
    }

    /// A failure's message: why, the seed to replay, and the end of every register's log.
    pub fn failure(&self, why: &str) -> String {
        let mut message = format!(
            "{why}\n  replay: STATELINE_STORE_FAULT_SEED={} cargo test -p stateline-store-fault-tests",
            self.seed
        );
        for till in &self.tills {
            message.push_str(&format!(
                "\n--- {} (log {}) ---\n{}",
                till.spec.name,
                till.dir.path().display(),
                till.log_tail(25)
            ));
        }
        message
    }

    /// Heals everything, drains, stops every register and checks the oracle (see the module
    /// doc); returns what was checked.
    pub async fn finish(mut self) -> crate::oracle::Checked {
        self.control.clear_faults();
        for till in &self.tills {
            till.store_proxy.heal();
            till.metrc_proxy.heal();
            till.store_proxy.set_delay(Duration::ZERO);
        }
        let tills = &self.tills;
        let drained = until(
            "every plan done and every sale confirmed",
            PATIENCE * 2,
            || {
                tills
                    .iter()
                    .all(|t| t.planned() && crate::oracle::all_confirmed(&t.database_path()))
            },
        )
        .await;
        if let Err(why) = drained {
            let states: Vec<String> = tills
                .iter()
                .map(|t| {
                    format!(
                        "{}: planned {}, {:?}",
                        t.spec.name,
                        t.planned(),
                        crate::oracle::states(&t.database_path())
                    )
                })
                .collect();
            panic!("{}", self.failure(&format!("{why}: {states:?}")));
        }
        for i in 0..self.tills.len() {
            if let Err(why) = self.tills[i].stop().await {
                panic!("{}", self.failure(&why));
            }
        }
        match crate::oracle::check(&self.tills, &self.control, &self.receipts_before) {
            Ok(checked) => checked,
            Err(why) => panic!("{}", self.failure(&why)),
        }
    }
}

/// Three registers: the manager's key at every one, Bea's at `bea_at` only; skews seeded; each
/// sells `sales` at `interval_ms`.
pub fn three_registers(
    rng: &mut StdRng,
    bea_at: &[usize],
    sales: u64,
    interval_ms: u64,
) -> Vec<Spec> {
    (0..3)
        .map(|i| {
            let mut holds = vec![plan::MAX];
            if bea_at.contains(&i) {
                holds.push(plan::BEA);
            }
            Spec {
                name: format!("Register-{}", i + 1),
                holds,
                skew_secs: skew(rng),
                sales,
                interval_ms,
            }
        })
        .collect()
}
