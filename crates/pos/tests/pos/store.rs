//! The status of a register in a store names the store link: connected, then cut off when the
//! store server goes away (a real PostgreSQL cluster, private folder and port).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use stateline_api::MemoryStore;
use stateline_api::SecretStore;
use stateline_api::dto::ApiSettings;
use stateline_link::membership::{self, StoreSettings};
use stateline_pos::tokens::{self, Scope};
use stateline_secrets::EntryId;
use stateline_store::Database;
use stateline_testkit::app::{login, open_with};
use stateline_testkit::postgres::{Cluster, USER};

use crate::fixture::{eventually, manager};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_says_whether_the_store_server_answers() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    {
        let db = Database::open(dir.path().join("stateline.sqlite")).unwrap();
        let settings = StoreSettings {
            host: "127.0.0.1".into(),
            port: cluster.port(),
            database: "store".into(),
            user: USER.into(),
            register_name: "Register 1".into(),
            tls: stateline_link::StoreTls::Off,
        };
        membership::remember(&db, &settings).unwrap();
        keychain
            .set(
                &EntryId::store_server(db.install_id()).unwrap(),
                &SecretString::from(cluster.password().to_owned()),
            )
            .unwrap();
    }
    let app = open_with(dir.path(), keychain).await;
    login(&app, "Max", "2468").await;
    let view = app
        .serve_pos_api(&ApiSettings {
            enabled: true,
            port: 0,
            lan: false,
            door_enabled: false,
            door_port: 0,
        })
        .await;
    let base = view.api_url.unwrap();
    let token = tokens::create(app.database(), &manager(&app), "Till", &[Scope::Status])
        .unwrap()
        .token
        .expose_secret()
        .to_owned();
    let http = reqwest::Client::new();
    let store_line = async || -> Option<String> {
        let status: serde_json::Value = http
            .get(format!("{base}/v1/status"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        status["store"].as_str().map(str::to_owned)
    };
    eventually(
        async || {
            store_line()
                .await
                .is_some_and(|s| s.starts_with("connected"))
        },
        "the status says connected to the store server",
    )
    .await;
    drop(cluster);
    eventually(
        async || {
            store_line()
                .await
                .is_some_and(|s| s.contains("unreachable"))
        },
        "the status says the store server is unreachable",
    )
    .await;
    app.shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
}
