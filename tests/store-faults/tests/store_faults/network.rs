//! Network and server faults while every register sells: a register cut off from the store
//! server but not from Metrc (its manager's sales still go to Metrc, its handed-over sales wait);
//! the store server killed (`pg_ctl stop -m immediate`) and restarted; the register holding
//! Bea's key cut off from Metrc but not from the store (it holds leases it cannot use); the
//! holder cut off from the store with a POST in flight under a lease (the answer cannot be
//! written; after healing it takes the lapsed lease again and must find the sale in Metrc rather
//! than POST it twice) — with every register's clock skewed by up to five minutes.

use std::time::Duration;

use rand::Rng;
use stateline_store_fault_tests::proxy::Cut;

use crate::leases::{Leases, await_post_under_lease};
use crate::store::{self, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_server_killed_and_registers_cut_off_from_the_store_or_from_metrc() {
    let seed = store::seed(1301);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let holder = rng.random_range(0..3);
    let specs = store::three_registers(&mut rng, &[holder], 60, 250);
    let store = Store::open(seed, specs).await;
    let cut_off = (holder + rng.random_range(1..3)) % 3;
    let how = if rng.random_bool(0.5) {
        Cut::Refuse
    } else {
        Cut::BlackHole
    };

    store.wait_for_sales(cut_off, 3).await;
    store.tills[cut_off].store_proxy.cut(how);
    let before = store.tills[cut_off].acked();
    store
        .wait_for_sales(cut_off, before + rng.random_range(4..8))
        .await;
    store.tills[cut_off].store_proxy.heal();

    store.restart_store_server().await;

    let how = if rng.random_bool(0.5) {
        Cut::Refuse
    } else {
        Cut::BlackHole
    };
    store.tills[holder].metrc_proxy.cut(how);
    tokio::time::sleep(Duration::from_millis(rng.random_range(2000..4000))).await;
    store.tills[holder].metrc_proxy.heal();

    store.slow_receipts(600);
    let leases = Leases::connect(&store).await;
    await_post_under_lease(&store, &leases, holder).await;
    store.tills[holder].store_proxy.cut(Cut::Refuse);
    tokio::time::sleep(store.lease() + store.grace() + Duration::from_secs(1)).await;
    store.tills[holder].store_proxy.heal();
    store.control.clear_faults();

    let checked = store.finish().await;
    println!("network faults (seed {seed}): {checked:?}");
    assert!(
        checked.handed_over > 0,
        "no sale was handed over: {checked:?}"
    );
}
