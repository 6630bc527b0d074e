//! The store link's benchmarks of issue #13 (not a test; run with
//! `cargo bench -p stateline-link --bench store_link`; it starts its own PostgreSQL cluster):
//!
//! 1. a local sale commit (`record_sale`, one durable SQLite transaction) with the store link
//!    running and woken after every sale, against the same without a link — blocks of each
//!    interleaved on one database, so drift on the machine hits both alike (target ≤ 1.1×);
//!    once back to back (the link's pass overlaps the next commit) and once 50 ms apart;
//! 2. the time from a sale at register 1 to its effect on register 2's on-hand (the record and
//!    its state pulled, the package's count lower), both links running on loopback (target p99
//!    ≤ 1 s).
//!
//! Prints medians and tails and the ratio; the figures go to BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stateline_link::{LinkSchedule, LinkWorker, RegisterIdentity, ServerConfig};
use stateline_testkit::postgres::Cluster;
use stateline_testkit::store::{self as fixture, A, line, sale};

const BLOCKS: usize = 8;
const PER_BLOCK: usize = 50;
const HOPS: usize = 200;

fn config(cluster: &Cluster) -> ServerConfig {
    cluster.server_config("store")
}

fn start(local: &fixture::Store, cluster: &Cluster, name: &str) -> LinkWorker {
    LinkWorker::start(
        local.db.clone(),
        config(cluster),
        RegisterIdentity {
            name: name.into(),
            app_version: "bench".into(),
        },
        LinkSchedule {
            idle: Duration::from_secs(30),
            ..LinkSchedule::default()
        },
        Arc::new(local.clock.clone()),
    )
}

fn at(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let cluster = Cluster::start();
    cluster.create_database("store");
    runtime.block_on(async {
        let one = fixture::register(1);
        let two = fixture::register(2);
        let tiny = || sale(vec![line(A, "0.001")]);

        compare_commits(&one, &cluster, Duration::ZERO, "back to back").await;
        compare_commits(&one, &cluster, Duration::from_millis(50), "50 ms apart").await;

        let worker_one = start(&one, &cluster, "Register 1");
        let worker_two = start(&two, &cluster, "Register 2");
        let mut status_two = worker_two.subscribe();
        status_two.wait_for(|s| s.connected).await.expect("connected");
        let mut status_one = worker_one.subscribe();
        status_one.wait_for(|s| s.connected).await.expect("connected");
        let mut hops = Vec::with_capacity(HOPS);
        for _ in 0..HOPS {
            let expected = two.db.on_hand(A).expect("on hand").milli() - 1;
            let started = Instant::now();
            one.db.record_sale(&tiny()).expect("a sale");
            worker_one.sync_now();
            tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    status_two.borrow_and_update();
                    if two.db.on_hand(A).expect("on hand").milli() == expected {
                        break;
                    }
                    status_two.changed().await.expect("running");
                }
            })
            .await
            .expect("the sale reached register 2's on-hand");
            hops.push(started.elapsed());
        }
        hops.sort();
        println!(
            "sale at register 1 -> register 2's on-hand lower: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({HOPS} sales; target p99 <= 1000 ms)",
            ms(at(&hops, 0.5)),
            ms(at(&hops, 0.99)),
            ms(hops[hops.len() - 1])
        );
        worker_one.stop(Duration::from_secs(10)).await.expect("stops");
        worker_two.stop(Duration::from_secs(10)).await.expect("stops");
    });
}

/// Interleaved blocks of sales at `one` without and with its link running (woken after each sale),
/// `pause` between sales (not timed).
async fn compare_commits(one: &fixture::Store, cluster: &Cluster, pause: Duration, label: &str) {
    let tiny = || sale(vec![line(A, "0.001")]);
    let (mut alone, mut linked) = (Vec::new(), Vec::new());
    for block in 0..BLOCKS * 2 {
        let with_link = block % 2 == 1;
        let worker = with_link.then(|| start(one, cluster, "Register 1"));
        if let Some(worker) = &worker {
            let mut status = worker.subscribe();
            status.wait_for(|s| s.connected).await.expect("connected");
        }
        for _ in 0..PER_BLOCK {
            let started = Instant::now();
            one.db.record_sale(&tiny()).expect("a sale");
            let took = started.elapsed();
            if let Some(worker) = &worker {
                worker.sync_now();
                linked.push(took);
            } else {
                alone.push(took);
            }
            tokio::time::sleep(pause).await;
        }
        if let Some(worker) = worker {
            worker.stop(Duration::from_secs(10)).await.expect("stops");
        }
    }
    alone.sort();
    linked.sort();
    println!(
        "{label}: sale commit without the link: median {:.3} ms, p95 {:.3} ms ({} sales)",
        ms(at(&alone, 0.5)),
        ms(at(&alone, 0.95)),
        alone.len()
    );
    println!(
        "{label}: sale commit with the link running and woken: median {:.3} ms, p95 {:.3} ms ({} sales)",
        ms(at(&linked, 0.5)),
        ms(at(&linked, 0.95)),
        linked.len()
    );
    println!(
        "{label}: ratio with/without: median {:.2}, p95 {:.2} (target <= 1.1)",
        at(&linked, 0.5).as_secs_f64() / at(&alone, 0.5).as_secs_f64(),
        at(&linked, 0.95).as_secs_f64() / at(&alone, 0.95).as_secs_f64()
    );
}
