//! A key rotated between registers whose clocks disagree: Bea's key is at the first register,
//! whose clock is four minutes fast; the second register's clock is four minutes slow. Bea gets
//! a new key in Metrc (the old one stops working) and pastes it at the second register. From
//! then on her sales anywhere — the first register's too, once Metrc refused its old key — must
//! travel to the second register and reach Metrc under her new key. The store may not decide
//! which key is newer by the two registers' clocks alone.

use metrc_emulator::DEMO_BUDTENDER;
use rand::Rng;
use stateline_store_fault_tests::plan;

use crate::store::{self, Store};

/// Bea's new key (a test key of the emulator's budtender, given on stdin, never an argument).
const NEW_KEY: &str = "demo-budtender-key-rotated-7777";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_at_a_register_with_a_slow_clock_takes_over_her_sales() {
    let seed = store::seed(1304);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut specs = store::three_registers(&mut rng, &[0], 40, 200);
    specs[0].skew_secs = 240;
    specs[1].skew_secs = -240;
    let mut store = Store::open(seed, specs).await;

    store.wait_for_sales(0, rng.random_range(4..10)).await;
    assert!(store.control.set_user_key(DEMO_BUDTENDER, NEW_KEY));
    store.tills[1].command(&format!("KEY {} {NEW_KEY}", plan::BEA));

    let checked = store.finish().await;
    println!("rotation (seed {seed}): {checked:?}");
    assert!(
        checked.handed_over > 0,
        "no sale was handed over: {checked:?}"
    );
}
