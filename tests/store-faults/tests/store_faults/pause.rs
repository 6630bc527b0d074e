//! A lease holder paused past its lease: Bea's key is at two registers, so the third register's
//! sales of hers are handed over and leased by either; the driver pauses the register holding a
//! lease (with a POST slowed in flight) with SIGSTOP, keeps it stopped until the store server's
//! clock is past that lease's expiry plus the grace, lets the other holder take over, then
//! resumes it with SIGCONT — its late answers must change nothing.

use std::time::{Duration, Instant};

use rand::Rng;
use tokio_postgres::NoTls;

use crate::store::{self, Store};
use crate::wait::PATIENCE;

/// A connection to the store server, as the driver reads the store (never as a register).
async fn store_reader(store: &Store) -> tokio_postgres::Client {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(store.cluster.port())
        .dbname("store")
        .user(stateline_testkit::postgres::USER)
        .password(store.cluster.password());
    let (client, connection) = config.connect(NoTls).await.expect("the store server");
    tokio::spawn(connection);
    client
}

/// A register holding a live lease now: its id and the seconds until the lease and the grace
/// are over, by the store server's clock.
async fn lease_holder(reader: &tokio_postgres::Client, grace: f64) -> Option<(String, f64)> {
    reader
        .query_opt(
            "SELECT lease_holder,
                    extract(epoch FROM lease_expires_at - now())::float8 + $1
             FROM deliveries
             WHERE lease_holder IS NOT NULL AND state = 'handed_over'
               AND lease_expires_at > now()
             ORDER BY lease_expires_at DESC LIMIT 1",
            &[&grace],
        )
        .await
        .expect("the store's leases")
        .map(|row| (row.get(0), row.get(1)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holder_paused_past_its_lease_and_resumed_doubles_nothing() {
    let seed = store::seed(1303);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let maker = rng.random_range(0..3);
    let holders: Vec<usize> = (0..3).filter(|i| *i != maker).collect();
    let mut specs = store::three_registers(&mut rng, &holders, 30, 200);
    specs[maker].sales = 60;
    specs[maker].interval_ms = 120;
    let store = Store::open(seed, specs).await;
    let reader = store_reader(&store).await;
    store.slow_receipts(rng.random_range(400..800));
    store.wait_for_sales(maker, 6).await;

    let grace = store.grace().as_secs_f64();
    let started = Instant::now();
    let (holder_id, left) = loop {
        if let Some(found) = lease_holder(&reader, grace).await {
            break found;
        }
        if started.elapsed() > PATIENCE {
            panic!("{}", store.failure("no register took a lease"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let paused = store
        .tills
        .iter()
        .position(|t| t.register_id().as_deref() == Some(holder_id.as_str()))
        .expect("the lease holder is one of the registers");
    store.tills[paused].signal("STOP");
    tokio::time::sleep(Duration::from_secs_f64(left.max(0.0) + 1.5)).await;
    let taken_over: i64 = reader
        .query_one(
            "SELECT count(*) FROM deliveries WHERE delivered_by IS NOT NULL AND delivered_by <> $1",
            &[&holder_id],
        )
        .await
        .expect("deliveries")
        .get(0);
    store.tills[paused].signal("CONT");
    store.control.clear_faults();

    let checked = store.finish().await;
    println!(
        "pause (seed {seed}): paused {} for {left:.1} s past its lease; {taken_over} delivered by others; {checked:?}",
        holder_id
    );
    assert!(
        checked.handed_over > 0,
        "no sale was handed over: {checked:?}"
    );
}
