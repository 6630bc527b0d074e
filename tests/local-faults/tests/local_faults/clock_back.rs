//! The clock jumping back an hour during a drain: the register's injected clock (`ManualClock`)
//! is set back 1 h while records wait behind a closed delivery gate (Metrc unreachable), again
//! with the delivery engine restarted after the jump, and again while records are ambiguous
//! (Metrc answered 503) and must be looked up before any resend.
//!
//! Guarantees checked: after each jump the backlog drains within minutes of clock time, not an
//! hour (a gate closed "until T", a retry time and the spacing of lookups are not lengthened by
//! the jump); every sale reaches Metrc exactly once, with its original time; nothing is rejected.

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE, Faults, RefuseConnections, Trigger};
use stateline_store::{Clock, EntryState, RecordedSale};

use crate::register::{self, BUDTENDER, Register, assert_in_metrc_once};

/// Sells `n` sales a second apart.
fn sell(register: &Register, n: usize, sales: &mut Vec<RecordedSale>) {
    for _ in 0..n {
        sales.push(register.sell(BUDTENDER, sales.len()).expect("a sale"));
        register.clock.advance(SignedDuration::from_secs(1));
    }
}

/// Runs passes 30 s of clock time apart until nothing waits; panics after `minutes`.
async fn drain_within(register: &Register, minutes: i64) {
    for _ in 0..minutes * 2 {
        register.engine.run_once().await.expect("a pass");
        if register.waiting() == 0 {
            return;
        }
        register.clock.advance(SignedDuration::from_secs(30));
    }
    panic!(
        "not drained within {minutes} minutes of clock time after the clock went back: {:?}",
        register.db.counts(None)
    );
}

fn jump_back_an_hour(register: &Register) {
    let now = register.clock.now();
    register.clock.set(
        now.checked_sub(SignedDuration::from_hours(1))
            .expect("an hour earlier"),
    );
}

#[tokio::test]
async fn the_clock_going_back_an_hour_mid_drain_delays_nothing_and_resends_nothing() {
    let dir = tempfile::tempdir().expect("a data folder");
    let metrc = register::metrc().await;
    let mut register = Register::open(&dir.path().join("stateline.sqlite"), &metrc).await;
    let mut sales = Vec::new();

    // Part of the shift is delivered; then Metrc cannot be reached and the gate closes, a few
    // times over so its backoff grows.
    sell(&register, 10, &mut sales);
    register.engine.run_once().await.expect("a pass");
    assert_eq!(register.waiting(), 0);
    sell(&register, 20, &mut sales);
    metrc.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    for _ in 0..4 {
        register.engine.run_once().await.expect("a pass");
        register.clock.advance(SignedDuration::from_secs(20));
    }
    assert_eq!(register.waiting(), 20, "nothing got through");
    metrc.control.clear_faults();
    jump_back_an_hour(&register);
    drain_within(&register, 10).await;

    // The same across a restart: the register closes while records wait behind the gate, and
    // starts again after the clock went back.
    sell(&register, 10, &mut sales);
    metrc.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    for _ in 0..3 {
        register.engine.run_once().await.expect("a pass");
        register.clock.advance(SignedDuration::from_secs(20));
    }
    assert_eq!(register.waiting(), 10, "nothing got through");
    metrc.control.clear_faults();
    jump_back_an_hour(&register);
    register.restart_delivery(&metrc);
    drain_within(&register, 10).await;

    // Metrc answers 503: the records are ambiguous and are looked up (two misses spaced by the
    // settle window) before they are sent again; the clock goes back in between.
    sell(&register, 10, &mut sales);
    metrc.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    register.engine.run_once().await.expect("a pass");
    assert_eq!(register.count(EntryState::Ambiguous), 10);
    metrc.control.clear_faults();
    register.clock.advance(SignedDuration::from_secs(61));
    register
        .engine
        .run_once()
        .await
        .expect("a pass: the first lookups");
    jump_back_an_hour(&register);
    let after_last_jump = register.clock.now();
    drain_within(&register, 10).await;

    assert_eq!(register.count(EntryState::Rejected), 0);
    let acknowledged: Vec<String> = sales.iter().map(|s| s.client_id.clone()).collect();
    assert_in_metrc_once(&metrc.control, &acknowledged);
    let zone = TimeZone::get(DEMO_TIME_ZONE).expect("the demo time zone");
    let receipts = metrc.control.receipts(DEMO_LICENSE);
    for sale in &sales {
        let receipt = receipts
            .iter()
            .find(|r| r.external_receipt_number.as_deref() == Some(sale.client_id.as_str()))
            .expect("in Metrc");
        let original = sale
            .occurred_at
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.3f")
            .to_string();
        assert_eq!(receipt.sales_date_time, original, "{}", sale.client_id);
    }
    // What the register records about delivery is in its own clock, never ahead of it by the
    // jumps: the last ten sales, confirmed after the last jump, say so at a time of that clock.
    let now = register.clock.now();
    for sale in &sales[sales.len() - 10..] {
        let entry = register.db.entry(sale.entry_id).expect("its entry");
        assert!(
            entry.state_changed_at >= after_last_jump && entry.state_changed_at <= now,
            "{entry:?} confirmed outside {after_last_jump}..{now}"
        );
    }
}
