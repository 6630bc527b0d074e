//! The store schema: a new store is created, an up-to-date one is left alone, registers starting
//! together upgrade once, and a newer schema is refused before anything is written.

use secrecy::SecretString;
use stateline_link::{StoreServer, schema};

use crate::server::{cluster, config, raw};

#[tokio::test]
async fn a_new_store_gets_the_schema_and_a_second_connection_changes_nothing() {
    let cluster = cluster();
    let first = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(first.schema_found(), 0);
    assert_eq!(first.schema_version().await.unwrap(), schema::VERSION);
    let second = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(second.schema_found(), schema::VERSION);
    assert_eq!(second.schema_version().await.unwrap(), schema::VERSION);
}

#[tokio::test]
async fn registers_starting_together_upgrade_once() {
    let cluster = cluster();
    let settings = config(&cluster);
    let connects = (0..4).map(|_| {
        let settings = settings.clone();
        tokio::spawn(async move { StoreServer::connect(&settings).await })
    });
    let mut found = Vec::new();
    for handle in connects {
        found.push(handle.await.unwrap().unwrap().schema_found());
    }
    found.sort_unstable();
    assert_eq!(found[0], 0, "exactly one created the schema: {found:?}");
    assert!(
        found[1..].iter().all(|v| *v == schema::VERSION),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_with_what_to_do() {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    drop(server);
    // A later Stateline upgraded the store.
    raw(&cluster)
        .await
        .execute(
            "INSERT INTO stateline_schema (version) VALUES ($1)",
            &[&(schema::VERSION + 1)],
        )
        .await
        .unwrap();
    let err = StoreServer::connect(&config(&cluster)).await.unwrap_err();
    assert_eq!(err.code(), "store_schema_too_new");
    assert!(err.to_string().contains("update Stateline"), "{err}");
}

#[tokio::test]
async fn an_older_store_is_upgraded_in_place_keeping_its_rows() {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    server
        .join("reg-1", "Register 1", "0.1.0", now)
        .await
        .unwrap();
    drop(server);
    // The store as schema version 1 left it.
    raw(&cluster)
        .await
        .batch_execute(
            "DROP TABLE limit_settings; DROP SEQUENCE limit_settings_change_seq;
             DROP TABLE audit_entries; DROP TABLE key_holders; DROP TABLE people; DROP SEQUENCE people_change_seq;
             DROP SEQUENCE lease_fence_seq;
             DROP TABLE deliveries; DROP SEQUENCE deliveries_change_seq; DROP TABLE records; ALTER TABLE registers DROP COLUMN left_at;
             CREATE UNIQUE INDEX registers_by_name ON registers (lower(name));
             DELETE FROM stateline_schema WHERE version > 1",
        )
        .await
        .unwrap();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(server.schema_found(), 1);
    assert_eq!(server.schema_version().await.unwrap(), schema::VERSION);
    assert_eq!(server.registers().await.unwrap().len(), 1);
    assert!(server.records_since("x", &[], 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_or_wrong_server_says_so_without_the_password() {
    let cluster = cluster();
    let mut wrong = config(&cluster);
    wrong.password = SecretString::from("not-the-password".to_owned());
    let err = StoreServer::connect(&wrong).await.unwrap_err();
    assert_eq!(err.code(), "store_server_login_refused", "{err}");
    assert!(
        err.to_string().contains("check the user and password"),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    assert!(!format!("{wrong:?}").contains("not-the-password"));

    let mut closed = config(&cluster);
    closed.port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = StoreServer::connect(&closed).await.unwrap_err();
    assert_eq!(err.code(), "store_server_unreachable", "{err}");
    assert!(err.to_string().contains("keeps selling"), "{err}");

    let mut empty = config(&cluster);
    empty.database = " ".into();
    let err = StoreServer::connect(&empty).await.unwrap_err();
    assert_eq!(err.code(), "invalid_store_server");
}

#[tokio::test]
async fn the_store_survives_a_server_crash() {
    let cluster = cluster();
    let server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    server
        .join("reg-1", "Register 1", "0.1.0", now)
        .await
        .unwrap();
    cluster.restart();
    let err = server.registers().await.unwrap_err();
    assert_eq!(err.code(), "store_server_unreachable", "{err}");
    let again = StoreServer::connect(&config(&cluster)).await.unwrap();
    assert_eq!(again.schema_found(), schema::VERSION);
    assert_eq!(
        again.registers().await.unwrap().len(),
        1,
        "the join was durable"
    );
}
