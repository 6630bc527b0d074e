//! The delivery worker as an owned component: start, "sync now", status snapshots pushed to
//! subscribers, stop with a timeout, and what a cut-off stop leaves behind.

use std::time::Duration;

use metrc_emulator::{DEMO_BUDTENDER, Faults, Trigger, WriteFault, WriteFaultKind};
use stateline_delivery::{DeliveryWorker, StatusSnapshot};
use stateline_store::EntryState;
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, user_key};
use tokio::sync::watch;

async fn wait_for(
    rx: &mut watch::Receiver<StatusSnapshot>,
    what: impl Fn(&StatusSnapshot) -> bool,
) -> StatusSnapshot {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if what(&rx.borrow_and_update()) {
                return rx.borrow().clone();
            }
            rx.changed().await.expect("the engine outlives the wait");
        }
    })
    .await
    .expect("the status arrived in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_delivers_and_subscribers_hear_every_change() {
    let h = Harness::new().await;
    let worker = DeliveryWorker::start(h.engine.clone(), Duration::from_secs(3600))
        .await
        .expect("worker starts");
    let mut status = worker.subscribe();
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    worker.sync_now();
    let done = wait_for(&mut status, |s| {
        s.running && s.waiting == 0 && s.licences.iter().any(|l| l.last_success_at.is_some())
    })
    .await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    assert!(done.running);
    worker
        .stop(Duration::from_secs(5))
        .await
        .expect("stops in time");
    assert!(
        !h.engine.status().running,
        "the last snapshot says the worker stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_times_out_cuts_the_send_and_the_next_start_looks_it_up() {
    let h = Harness::new().await;
    h.control.set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LostReplyHang,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let sale = h.sell(BUDTENDER, &h.package("Each", 0).label, "1");
    let worker = DeliveryWorker::start(h.engine.clone(), Duration::from_secs(3600))
        .await
        .expect("worker starts");
    worker.sync_now();
    tokio::time::timeout(Duration::from_secs(5), async {
        while h.state_of(sale.entry_id) != EntryState::Sending {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the sale is being sent");
    let stopped = worker.stop(Duration::from_millis(50)).await;
    assert_eq!(stopped.map_err(|e| e.code()), Err("stop_timed_out"));
    assert_eq!(
        h.state_of(sale.entry_id),
        EntryState::Sending,
        "cut off mid-send"
    );
    let worker = DeliveryWorker::start(h.engine.clone(), Duration::from_secs(3600))
        .await
        .expect("worker restarts");
    assert_ne!(
        h.state_of(sale.entry_id),
        EntryState::Sending,
        "start-up treats it as ambiguous"
    );
    h.advance(301);
    worker.sync_now();
    tokio::time::timeout(Duration::from_secs(10), async {
        while h.state_of(sale.entry_id) != EntryState::Confirmed {
            tokio::time::sleep(Duration::from_millis(20)).await;
            worker.sync_now();
        }
    })
    .await
    .expect("confirmed by lookup");
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
    worker.stop(Duration::from_secs(5)).await.expect("stops");
}

/// A budtender pastes a new key while the loop sleeps (its idle is an hour here): releasing her
/// waiting records wakes it, so they go at once rather than at the next idle tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releasing_a_users_waiting_records_wakes_a_sleeping_worker() {
    let h = Harness::new().await;
    assert!(h.control.revoke_user_key(DEMO_BUDTENDER));
    let worker = DeliveryWorker::start(h.engine.clone(), Duration::from_secs(3600))
        .await
        .expect("worker starts");
    let mut status = worker.subscribe();
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    worker.sync_now();
    wait_for(&mut status, |s| {
        s.waiting == 1 && s.users.iter().any(|u| u.key_problem.is_some())
    })
    .await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::WaitingForKey);
    // Let the loop finish its pass and go to sleep.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let new_key = "demo-budtender-key-4321";
    assert!(h.control.set_user_key(DEMO_BUDTENDER, new_key));
    h.keys.set_user_key(BUDTENDER, user_key(new_key));
    assert_eq!(h.engine.release_user(BUDTENDER).await.expect("release"), 1);
    tokio::time::timeout(Duration::from_secs(10), async {
        while h.state_of(sale.entry_id) != EntryState::Confirmed {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the released sale is sent without another wake");
    worker.stop(Duration::from_secs(5)).await.expect("stops");
}
