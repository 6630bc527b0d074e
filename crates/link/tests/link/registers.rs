//! Registers joining a store: idempotent, names unique ignoring case, bad names refused.

use jiff::{SignedDuration, Timestamp};
use stateline_link::StoreServer;

use crate::server::{cluster, config};

fn t0() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

#[tokio::test]
async fn joining_twice_keeps_the_first_join_and_updates_the_rest() {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let first = server
        .join("reg-1", "Register 1", "0.1.0", t0())
        .await
        .unwrap();
    assert_eq!(first.joined_at, t0());
    let later = t0() + SignedDuration::from_mins(5);
    let again = server
        .join("reg-1", "Front counter", "0.2.0", later)
        .await
        .unwrap();
    assert_eq!(again.joined_at, t0());
    assert_eq!(again.last_seen_at, later);
    assert_eq!(again.name, "Front counter");
    server
        .join("reg-2", "Back counter", "0.2.0", later)
        .await
        .unwrap();
    let names: Vec<String> = server
        .registers()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Back counter", "Front counter"]);
}

#[tokio::test]
async fn a_taken_or_empty_name_is_refused_and_nothing_changes() {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    server
        .join("reg-1", "Register 1", "0.1.0", t0())
        .await
        .unwrap();
    let err = server
        .join("reg-2", "register 1", "0.1.0", t0())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_store_server");
    assert!(err.to_string().contains("choose another name"), "{err}");
    let err = server.join("reg-2", "  ", "0.1.0", t0()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_store_server");
    assert_eq!(server.registers().await.unwrap().len(), 1);
}
