//! The store's drain benchmark of issue #13 (not a test; run with
//! `cargo bench -p stateline-courier --bench store_drain`, `-- --quick` for a smoke run; it starts
//! its own PostgreSQL cluster and Metrc emulator):
//!
//! a backlog of sales spread evenly over three registers, every sale by Bea, whose key is only at
//! register 1 — registers 2 and 3 hand theirs over, register 1's engine sends its own and its
//! courier the others' under leases — drained against the emulator with a fixed 150 ms latency,
//! compared with the single-register ceiling `object limit × concurrency ÷ round trip` (target
//! ≥ 0.8). The timed part starts once the handovers are in the store and ends when Metrc holds
//! every sale; the program checks each is there exactly once. Nothing asserts a timing: it prints
//! the figures and BENCHMARKS.md records them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use metrc_emulator::{DEMO_LICENSE, Faults, Latency};
use stateline_courier::{Courier, CourierConfig};
use stateline_delivery::{DeliveryConfig, payload};
use stateline_link::{RegisterIdentity, ServerConfig, StoreServer, sync_pass};
use stateline_store::time::to_ms;
use stateline_store::{Clock, EntryState, Money, NewSale, NewSaleLine, Quantity};
use stateline_testkit::delivery::{BUDTENDER, Harness, Register, START};
use stateline_testkit::postgres::Cluster;

const LATENCY_MS: u64 = 150;
const OBJECT_LIMIT: usize = 10;
const CONCURRENCY: usize = 4;

fn server_config(cluster: &Cluster) -> ServerConfig {
    cluster.server_config("store")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

async fn pass(register: &Register, server: &mut StoreServer, name: &str) {
    let identity = RegisterIdentity {
        name: name.into(),
        app_version: "bench".into(),
    };
    sync_pass(
        &register.db,
        server,
        &identity,
        500,
        &register.clock,
        |_| {},
    )
    .await
    .expect("a store pass");
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var("STATELINE_BENCH_QUICK").is_ok();
    let sales: usize = if quick { 600 } else { 10_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let cluster = Cluster::start();
    cluster.create_database("store");
    runtime.block_on(async {
        let h = Harness::new().await;
        let label = h.package("Each", 0).label;
        assert!(
            h.control
                .set_package_quantity(DEMO_LICENSE, &label, sales as f64 * 2.0)
        );
        let config = DeliveryConfig {
            concurrency: CONCURRENCY,
            object_limit: OBJECT_LIMIT,
            seed: 5,
            ..DeliveryConfig::default()
        };
        let names = ["Register 1", "Register 2", "Register 3"];
        let mut tills = Vec::new();
        for (n, name) in names.iter().enumerate() {
            let register = h
                .another_register(40 + n as u64, START.parse().expect("start"), config.clone())
                .await;
            let server = StoreServer::connect(&server_config(&cluster))
                .await
                .expect("connects");
            server
                .join(register.db.install_id(), name, "bench", register.db.now())
                .await
                .expect("joins");
            tills.push((register, server, *name));
        }
        // Bea's key is at register 1 only.
        {
            let one = &tills[0].0;
            let conn = rusqlite::Connection::open(one.dir.path().join("stateline.sqlite"))
                .expect("database");
            conn.execute(
                "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at,
                     saved_by, verdict, validated_at)
                 VALUES ('demo', ?1, 'entry', '1111', ?2, 'max', 'all_good', ?2)",
                rusqlite::params![format!("user:{BUDTENDER}"), to_ms(one.db.now())],
            )
            .expect("key metadata");
        }
        for (register, _, _) in &tills[1..] {
            register.keys.clear_user_key(BUDTENDER);
        }
        let started_making = Instant::now();
        let mut made = Vec::with_capacity(sales);
        for i in 0..sales {
            let register = &tills[i % 3].0;
            let sale = register
                .db
                .record_sale(&NewSale {
                    licence: DEMO_LICENSE.into(),
                    acting_user: BUDTENDER.into(),
                    occurred_at: register.clock.now(),
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
                })
                .expect("a sale");
            made.push(sale.client_id);
        }
        for (register, _, _) in &tills[1..] {
            register.engine.run_once().await.expect("parks Bea's sales");
        }
        // Register 1 tells the store whose key it holds; the others push and hand over.
        for _ in 0..2 {
            for (register, server, name) in &mut tills {
                pass(register, server, name).await;
            }
        }
        let waiting_elsewhere: u64 = tills[1..]
            .iter()
            .map(|(r, _, _)| {
                r.db.counts(None)
                    .expect("counts")
                    .iter()
                    .filter(|c| c.state == EntryState::WaitingForKey)
                    .map(|c| c.count)
                    .sum::<u64>()
            })
            .sum();
        let handed: usize = tills[1..]
            .iter()
            .map(|(r, _, _)| r.db.handed_over_open().expect("handovers").len())
            .sum();
        println!(
            "{sales} sales made and pushed in {:.1} s; {handed} of the {waiting_elsewhere} waiting at registers 2 and 3 handed over",
            started_making.elapsed().as_secs_f64()
        );

        h.control.set_faults(Faults {
            latency: Some(Latency {
                fixed_ms: LATENCY_MS,
                ..Latency::default()
            }),
            ..Faults::default()
        });
        let key = stateline_testkit::delivery::user_key(metrc_emulator::DEMO_BUDTENDER_KEY);
        let tz = tills[0]
            .0
            .db
            .licence(DEMO_LICENSE)
            .and_then(|l| l.tz())
            .expect("zone");
        let mut trips = Vec::new();
        for n in 0..5 {
            let receipt = metrc::NewReceipt {
                sales_date_time: payload::local_date_time(tills[0].0.db.now(), &tz),
                external_receipt_number: format!("ROUND-TRIP-{n}"),
                sales_customer_type: "Consumer".into(),
                patient_license_number: None,
                caregiver_license_number: None,
                identification_method: None,
                patient_registration_location_id: None,
                transactions: vec![metrc::NewTransaction {
                    package_label: label.clone(),
                    quantity: 1.0,
                    unit_of_measure: "Each".into(),
                    total_amount: 10.0,
                    ..Default::default()
                }],
            };
            let at = Instant::now();
            h.client
                .create_receipts(&key, DEMO_LICENSE, &[receipt])
                .await
                .expect("a round trip");
            trips.push(at.elapsed());
        }
        let round_trip = median(trips);

        let (one, mut one_server, _) = tills.remove(0);
        let courier = Courier::new(
            one.db.clone(),
            h.client.clone(),
            Arc::new(one.keys.clone()),
            Arc::new(one.clock.clone()),
            CourierConfig {
                concurrency: CONCURRENCY,
                object_limit: OBJECT_LIMIT,
                ..CourierConfig::default()
            },
        );
        let started = Instant::now();
        let own = async {
            loop {
                one.engine.run_once().await.expect("a delivery pass");
                let open: u64 = one
                    .db
                    .counts(None)
                    .expect("counts")
                    .iter()
                    .filter(|c| !c.state.is_terminal())
                    .map(|c| c.count)
                    .sum();
                if open == 0 {
                    return started.elapsed();
                }
            }
        };
        let others = async {
            let mut idle = 0;
            loop {
                let report = courier.run_once(&mut one_server).await.expect("a courier pass");
                if report.leased == 0 {
                    idle += 1;
                    if idle == 2 {
                        return started.elapsed();
                    }
                } else {
                    idle = 0;
                }
            }
        };
        let (own_took, others_took) = tokio::join!(own, others);
        let elapsed = own_took.max(others_took);

        let receipts = h.control.receipts(DEMO_LICENSE);
        let mut seen = std::collections::HashMap::new();
        for r in &receipts {
            if let Some(n) = &r.external_receipt_number {
                *seen.entry(n.clone()).or_insert(0usize) += 1;
            }
        }
        let once = made.iter().filter(|c| seen.get(*c) == Some(&1)).count();
        assert_eq!(once, sales, "every sale in Metrc exactly once");

        let rate = sales as f64 / elapsed.as_secs_f64();
        let ceiling = (OBJECT_LIMIT * CONCURRENCY) as f64 / round_trip.as_secs_f64();
        println!(
            "round trip (median of 5 one-receipt POSTs): {:.1} ms; single-register ceiling {OBJECT_LIMIT} x {CONCURRENCY} / round trip = {ceiling:.1} rec/s",
            round_trip.as_secs_f64() * 1e3
        );
        println!(
            "store drain: {sales} sales over 3 registers, every key at register 1: {:.1} s (its own {:.1} s, the others' by its courier {:.1} s) = {rate:.1} rec/s; ratio to the ceiling {:.2} (target >= 0.8)",
            elapsed.as_secs_f64(),
            own_took.as_secs_f64(),
            others_took.as_secs_f64(),
            rate / ceiling
        );
    });
}
