//! A lease holder paused past its lease: Bea's key is at two registers, so the third register's
//! sales of hers are handed over and leased by either. With Metrc slowed, the driver pauses a
//! register that holds leases with a POST in flight (SIGSTOP; stopped outside any transaction on
//! those records, or it tries again), keeps it stopped until the store server's clock is past
//! those leases plus the grace, waits until the other holder took every one of them over, then
//! resumes it (SIGCONT) — its late answers must change nothing.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::leases::Leases;
use crate::store::{self, Store};
use crate::wait::PATIENCE;

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
    let mut leases = Leases::connect(&store).await;
    store.slow_receipts(rng.random_range(400..800));
    store.wait_for_sales(maker, 6).await;

    let grace = store.grace().as_secs_f64();
    let started = Instant::now();
    let (paused, held, left) = loop {
        if started.elapsed() > PATIENCE {
            panic!("{}", store.failure("never caught a lease holder mid-POST"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let Some(holder) = leases.live_holder().await else {
            continue;
        };
        let Some(i) = store
            .tills
            .iter()
            .position(|t| t.register_id().as_deref() == Some(holder.as_str()))
        else {
            continue;
        };
        if !store.tills[i].metrc_proxy.awaiting_reply() {
            continue;
        }
        store.tills[i].signal("STOP");
        let (held, left) = leases.held_by(&holder, grace).await;
        if !held.is_empty() && leases.unlocked(&held).await {
            break (i, held, left);
        }
        store.tills[i].signal("CONT");
    };
    tokio::time::sleep(Duration::from_secs_f64(left.max(0.0))).await;
    let paused_id = store.tills[paused].register_id().expect("its id");
    let other = holders.iter().find(|h| **h != paused).copied();
    let other_id = other.and_then(|o| store.tills[o].register_id());
    let started = Instant::now();
    for record in &held {
        loop {
            let by = leases.delivered_by(record).await;
            if by.is_some() && by == other_id {
                break;
            }
            if started.elapsed() > PATIENCE {
                panic!(
                    "{}",
                    store.failure(&format!(
                        "{record:?}, leased by the paused {paused_id}, was not taken over by {other_id:?} (delivered by {by:?})"
                    ))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    store.tills[paused].signal("CONT");
    store.control.clear_faults();

    let checked = store.finish().await;
    println!(
        "pause (seed {seed}): {paused_id} paused {left:.1} s past its leases; {} of its leased records taken over; {checked:?}",
        held.len()
    );
    assert!(
        checked.handed_over > 0,
        "no sale was handed over: {checked:?}"
    );
}
