//! The push worker: pushes what the register records, publishes its status, survives a store
//! server that is down or crashes, and stops when told.

use std::sync::Arc;
use std::time::Duration;

use stateline_link::{LinkSchedule, LinkStatus, LinkWorker, RegisterIdentity, StoreServer};
use stateline_testkit::store::{self as fixture, A, line, sale};
use tokio::sync::watch;

use crate::server::{cluster, config};

fn schedule() -> LinkSchedule {
    LinkSchedule {
        batch: 2,
        idle: Duration::from_secs(30),
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(200),
        gather: Duration::from_millis(10),
    }
}

fn identity() -> RegisterIdentity {
    RegisterIdentity {
        name: "Register 1".into(),
        app_version: "0.1.0".into(),
    }
}

async fn until(status: &mut watch::Receiver<LinkStatus>, what: impl Fn(&LinkStatus) -> bool) {
    tokio::time::timeout(Duration::from_secs(30), status.wait_for(|s| what(s)))
        .await
        .expect("the worker got there in time")
        .expect("the worker is running");
}

#[tokio::test]
async fn the_worker_pushes_what_the_register_records_and_says_so() {
    let cluster = cluster();
    let local = fixture::store();
    for _ in 0..3 {
        local.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    }
    let worker = LinkWorker::start(
        local.db.clone(),
        config(&cluster),
        identity(),
        schedule(),
        Arc::new(local.clock.clone()),
    );
    let mut status = worker.subscribe();
    let last = local.db.entries_after(0, 100).unwrap().last().unwrap().id;
    until(&mut status, |s| s.connected && s.pushed_through == last).await;

    // A sale, then a nudge: pushed without waiting for the idle period.
    let later = local.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    worker.sync_now();
    let newest = local
        .db
        .entry_by_client_id(&later.client_id)
        .unwrap()
        .unwrap()
        .id;
    until(&mut status, |s| s.pushed_through == newest).await;
    worker.stop(Duration::from_secs(5)).await.unwrap();

    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(
        server.records_since("other", &[], 100).await.unwrap().len(),
        4
    );
    assert_eq!(server.registers().await.unwrap()[0].name, "Register 1");
}

#[tokio::test]
async fn an_unreachable_store_is_retried_and_a_crashed_one_reconnected() {
    let cluster = cluster();
    let local = fixture::store();
    local.db.record_sale(&sale(vec![line(A, "1")])).unwrap();

    // No server where the settings point: the worker says so and keeps trying.
    let mut nowhere = config(&cluster);
    nowhere.port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let worker = LinkWorker::start(
        local.db.clone(),
        nowhere,
        identity(),
        schedule(),
        Arc::new(local.clock.clone()),
    );
    let mut status = worker.subscribe();
    until(&mut status, |s| {
        s.failures >= 2 && s.last_error.as_deref() == Some("store_server_unreachable")
    })
    .await;
    assert!(!status.borrow().connected);
    worker.stop(Duration::from_secs(5)).await.unwrap();

    // The real server, which then crashes and comes back while records keep being made.
    let worker = LinkWorker::start(
        local.db.clone(),
        config(&cluster),
        identity(),
        schedule(),
        Arc::new(local.clock.clone()),
    );
    let mut status = worker.subscribe();
    until(&mut status, |s| s.connected && s.pushed_through > 0).await;
    cluster.restart();
    let after = local.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    let id = local
        .db
        .entry_by_client_id(&after.client_id)
        .unwrap()
        .unwrap()
        .id;
    worker.sync_now();
    until(&mut status, |s| {
        s.pushed_through == id && s.last_error.is_none()
    })
    .await;
    worker.stop(Duration::from_secs(5)).await.unwrap();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(
        server.records_since("other", &[], 100).await.unwrap().len(),
        2
    );
}

/// A push by one register wakes the others' workers (the store server notifies them), so a sale
/// reaches another register long before its idle wait would end.
#[tokio::test]
async fn a_push_at_one_register_wakes_the_others_at_once() {
    let cluster = cluster();
    let one = fixture::register(1);
    let two = fixture::register(2);
    let start = |local: &fixture::Store, name: &str| {
        LinkWorker::start(
            local.db.clone(),
            config(&cluster),
            RegisterIdentity {
                name: name.into(),
                app_version: "0.1.0".into(),
            },
            schedule(),
            Arc::new(local.clock.clone()),
        )
    };
    let worker_one = start(&one, "Register 1");
    let worker_two = start(&two, "Register 2");
    until(&mut worker_one.subscribe(), |s| s.connected).await;
    let mut status_two = worker_two.subscribe();
    until(&mut status_two, |s| s.connected).await;

    one.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    worker_one.sync_now();
    tokio::time::timeout(
        Duration::from_secs(5),
        status_two.wait_for(|s| s.pulled == 1),
    )
    .await
    .expect("register 2 pulled the sale well within its 30 s idle wait")
    .unwrap();
    assert_eq!(two.db.peer_counts().unwrap()[0].records, 1);
    worker_one.stop(Duration::from_secs(5)).await.unwrap();
    worker_two.stop(Duration::from_secs(5)).await.unwrap();
}
