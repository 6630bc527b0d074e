//! Pushing records to the store: append-only, idempotent, one transaction, and pulled by the
//! other registers in each register's order.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use stateline_link::StoreServer;
use stateline_link::records::StoreRecord;

use crate::server::{cluster, config};

fn t0() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn record(register: &str, seq: i64) -> StoreRecord {
    StoreRecord {
        register_id: register.into(),
        local_seq: seq,
        client_id: format!("SL-{register}-{seq}"),
        kind: "sale".into(),
        licence: "402R-00001".into(),
        acting_user: "bea".into(),
        occurred_at: t0() + SignedDuration::from_secs(seq),
        body: json!({ "lines": [{ "label": "PKG-1", "quantity": "1" }] }),
    }
}

async fn store_with_two_registers() -> (stateline_testkit::postgres::Cluster, StoreServer) {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    server
        .join("reg-a", "Register A", "0.1.0", t0())
        .await
        .unwrap();
    server
        .join("reg-b", "Register B", "0.1.0", t0())
        .await
        .unwrap();
    (cluster, server)
}

#[tokio::test]
async fn a_push_repeated_after_a_kill_adds_only_what_is_new() {
    let (_cluster, mut server) = store_with_two_registers().await;
    let first: Vec<StoreRecord> = (1..=3).map(|s| record("reg-a", s)).collect();
    let pushed = server.push(&first, t0()).await.unwrap();
    assert_eq!((pushed.inserted, pushed.already_there), (3, 0));
    // Killed before marking them pushed: the next push sends them again with two more.
    let again: Vec<StoreRecord> = (1..=5).map(|s| record("reg-a", s)).collect();
    let pushed = server.push(&again, t0()).await.unwrap();
    assert_eq!((pushed.inserted, pushed.already_there), (2, 3));
    let seen = server.records_since("reg-b", &[], 100).await.unwrap();
    assert_eq!(
        seen.iter().map(|r| r.local_seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(seen[0], record("reg-a", 1), "stored exactly as pushed");
}

#[tokio::test]
async fn each_register_pulls_the_others_records_after_what_it_has_seen() {
    let (_cluster, mut server) = store_with_two_registers().await;
    let a: Vec<StoreRecord> = (1..=3).map(|s| record("reg-a", s)).collect();
    let b: Vec<StoreRecord> = (1..=2).map(|s| record("reg-b", s)).collect();
    server.push(&a, t0()).await.unwrap();
    server.push(&b, t0()).await.unwrap();
    let for_a = server
        .records_since("reg-a", &[("reg-b".into(), 1)], 100)
        .await
        .unwrap();
    assert_eq!(
        for_a
            .iter()
            .map(|r| (r.register_id.as_str(), r.local_seq))
            .collect::<Vec<_>>(),
        [("reg-b", 2)],
        "never its own records, only what it has not seen"
    );
    let for_b = server.records_since("reg-b", &[], 2).await.unwrap();
    assert_eq!(
        for_b.iter().map(|r| r.local_seq).collect::<Vec<_>>(),
        [1, 2],
        "at most the limit, in order"
    );
}

#[tokio::test]
async fn a_batch_with_a_bad_row_is_refused_whole() {
    let (_cluster, mut server) = store_with_two_registers().await;
    server.push(&[record("reg-a", 1)], t0()).await.unwrap();
    // Register B claims A's client id: two records with one identity.
    let mut clash = record("reg-b", 2);
    clash.client_id = record("reg-a", 1).client_id;
    let err = server
        .push(&[record("reg-b", 1), clash], t0())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "store_server_error", "{err}");
    // A register the store does not know.
    let err = server.push(&[record("reg-z", 1)], t0()).await.unwrap_err();
    assert_eq!(err.code(), "store_server_error", "{err}");
    let all = server.records_since("nobody", &[], 100).await.unwrap();
    assert_eq!(all.len(), 1, "neither batch left a row: {all:?}");
}
