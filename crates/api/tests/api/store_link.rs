//! The app in a store: a register that joined (membership in its settings, the server password
//! in its keychain) runs the store link, its sales reach the store server without the budtender
//! waiting, a store server that is down changes nothing at the register, and shutting the app
//! down stops the link.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use stateline_api::{MemoryStore, SecretStore};
use stateline_link::StoreServer;
use stateline_link::membership::{self, StoreSettings};
use stateline_secrets::EntryId;
use stateline_store::Database;
use stateline_testkit::app::{eventually, login, open, open_with, sell_first};
use stateline_testkit::postgres::{Cluster, USER};

fn settings(cluster: &Cluster) -> StoreSettings {
    StoreSettings {
        host: "127.0.0.1".into(),
        port: cluster.port(),
        database: "store".into(),
        user: USER.into(),
        register_name: "Register 1".into(),
    }
}

/// Marks the data folder's register as a member of the store and puts the password in `keychain`.
fn join(dir: &std::path::Path, cluster: &Cluster, keychain: &MemoryStore) {
    let db = Database::open(dir.join("stateline.sqlite")).unwrap();
    membership::remember(&db, &settings(cluster)).unwrap();
    keychain
        .set(
            &EntryId::store_server(db.install_id()).unwrap(),
            &SecretString::from(cluster.password().to_owned()),
        )
        .unwrap();
}

#[tokio::test]
async fn a_register_in_a_store_pushes_its_sales_there_and_sells_alone_when_it_is_down() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    join(dir.path(), &cluster, &keychain);
    let app = open_with(dir.path(), keychain.clone()).await;
    login(&app, "Max", "2468").await;
    let receipt = sell_first(&app).await;

    let mut server = StoreServer::connect(
        &settings(&cluster).server_config(SecretString::from(cluster.password().to_owned())),
    )
    .await
    .unwrap();
    let install_id = app.database().install_id().to_owned();
    let mut seen = false;
    for _ in 0..300 {
        let overview = server.overview().await.unwrap();
        if overview
            .registers
            .iter()
            .any(|r| r.id == install_id && r.records >= 1)
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "the sale {} reached the store", receipt.client_id);
    let status = app.store_link_status().await.expect("the link runs");
    assert!(status.connected, "{status:?}");

    // The store server goes away: the register still sells at once, and says it is cut off.
    drop(server);
    drop(cluster);
    let started = std::time::Instant::now();
    sell_first(&app).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    eventually(
        async || {
            app.store_link_status()
                .await
                .is_some_and(|s| !s.connected && s.last_error.is_some())
        },
        "the link notices the store server is gone",
    )
    .await;

    app.shutdown(Duration::from_secs(10)).await.unwrap();
    assert!(
        app.store_link_status().await.is_none(),
        "stopped with the app"
    );
}

#[tokio::test]
async fn a_register_on_its_own_runs_no_store_link() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    assert!(app.store_link_status().await.is_none());
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}
