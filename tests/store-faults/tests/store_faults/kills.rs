//! Registers SIGKILLed mid-work and restarted on their data folders: one during a push (a
//! request to the store server in flight, right after a sale, over a slowed link), the holder of
//! Bea's key during a delivery under a lease (it holds a live lease and a POST to Metrc is in
//! flight, Metrc slowed: after the restart it takes its lapsed leases again and looks the
//! records up before any POST), and another register during a delivery of its own sales.

use std::time::Duration;

use rand::Rng;

use crate::leases::{Leases, await_post_under_lease};
use crate::store::{self, Store};
use crate::wait::{PATIENCE, until_every};

/// Kills register `i` at a moment `in_flight` says a request is in flight, then restarts it.
async fn kill_mid_request(
    store: &mut Store,
    i: usize,
    what: &str,
    in_flight: impl Fn(&Store) -> bool,
) {
    let caught = until_every(what, PATIENCE, Duration::from_millis(2), || {
        in_flight(store)
    })
    .await;
    if let Err(why) = caught {
        panic!("{}", store.failure(&why));
    }
    store.kill_and_restart(i).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_killed_during_a_push_and_during_a_delivery_lose_and_double_nothing() {
    let seed = store::seed(1302);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let holder = rng.random_range(0..3);
    let specs = store::three_registers(&mut rng, &[holder], 50, 200);
    let mut store = Store::open(seed, specs).await;
    let pusher = (holder + rng.random_range(1..3)) % 3;
    let seller = 3 - holder - pusher;

    for till in &store.tills {
        till.store_proxy.set_delay(Duration::from_millis(30));
    }
    store.wait_for_sales(pusher, rng.random_range(3..8)).await;
    kill_mid_request(&mut store, pusher, "a push in flight", |s| {
        s.tills[pusher].store_proxy.awaiting_reply()
    })
    .await;

    store.slow_receipts(600);
    store.wait_for_sales(seller, rng.random_range(8..14)).await;
    kill_mid_request(&mut store, seller, "a POST of its own in flight", |s| {
        s.tills[seller].metrc_proxy.awaiting_reply()
    })
    .await;
    let leases = Leases::connect(&store).await;
    await_post_under_lease(&store, &leases, holder).await;
    store.kill_and_restart(holder).await;
    store.control.clear_faults();

    let checked = store.finish().await;
    println!("kills (seed {seed}): {checked:?}");
    assert!(
        checked.handed_over > 0,
        "no sale was handed over: {checked:?}"
    );
}
