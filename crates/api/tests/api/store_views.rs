//! The store-wide views through the facade (issue #13), two registers on a real PostgreSQL:
//! the Sync screen's scopes (`store_registers`, `list_store_entries`) list the other register's
//! records read-only from the local copy, also once the store server is gone, saying as of when;
//! `store_deadlines` covers both registers; the Audit screen's store scope (`list_store_audit`)
//! and the Store screen's `verify_store_audits` read the store server — a chain edited in the
//! store is reported broken at its entry (`audit_chain_broken`), a server that is gone fails with
//! `store_server_unreachable`, and a register on its own gets `store_not_joined`.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use stateline_api::dto::{
    AuditVerificationView, StoreAuditRequest, StoreEntryQuery, StoreJoinRequest, StoreScope,
};
use stateline_api::{App, MemoryStore, SecretStore};
use stateline_link::StoreServer;
use stateline_link::membership::{self, StoreSettings};
use stateline_secrets::EntryId;
use stateline_store::Database;
use stateline_testkit::app::{eventually, login, open, open_with, sell_first};
use stateline_testkit::postgres::{Cluster, USER};

fn settings(cluster: &Cluster, name: &str) -> StoreSettings {
    StoreSettings {
        host: "127.0.0.1".into(),
        port: cluster.port(),
        database: "store".into(),
        user: USER.into(),
        register_name: name.into(),
        tls: stateline_link::StoreTls::Off,
    }
}

/// The store's first register, named `name`: its own data folder (a fresh install id), the
/// membership in its settings and the password in its keychain; logged in as the manager.
async fn register(cluster: &Cluster, name: &str) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    {
        let db = Database::open(dir.path().join("stateline.sqlite")).unwrap();
        membership::remember(&db, &settings(cluster, name)).unwrap();
        keychain
            .set(
                &EntryId::store_server(db.install_id()).unwrap(),
                &SecretString::from(cluster.password().to_owned()),
            )
            .unwrap();
    }
    let app = open_with(dir.path(), keychain).await;
    login(&app, "Max", "2468").await;
    (dir, app)
}

fn scope(register_id: &str) -> StoreEntryQuery {
    StoreEntryQuery {
        scope: StoreScope::Register {
            register_id: register_id.into(),
        },
        licence: None,
        user: None,
        states: Vec::new(),
        kind: None,
        limit: None,
    }
}

fn whole_store() -> StoreEntryQuery {
    StoreEntryQuery {
        scope: StoreScope::Store,
        ..scope("")
    }
}

#[tokio::test]
async fn two_registers_see_each_others_records_and_audit_chains() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let (_one_dir, one) = register(&cluster, "Register 1").await;
    let two_dir = tempfile::tempdir().unwrap();
    let two = open_with(two_dir.path(), Arc::new(MemoryStore::new())).await;
    login(&two, "Max", "2468").await;
    two.store_join(StoreJoinRequest {
        host: "127.0.0.1".into(),
        port: cluster.port(),
        database: "store".into(),
        user: USER.into(),
        password: cluster.password().into(),
        register_name: "Register 2".into(),
        tls: false,
        ca_file: None,
    })
    .await
    .expect("register 2 joins");
    let one_id = one.database().install_id().to_owned();
    let two_id = two.database().install_id().to_owned();
    let mine = sell_first(&one).await;
    let theirs = sell_first(&two).await;

    eventually(
        async || {
            one.list_store_entries(scope(&two_id))
                .await
                .unwrap()
                .entries
                .iter()
                .any(|e| e.client_id == theirs.client_id)
                && one
                    .store_registers()
                    .await
                    .unwrap()
                    .registers
                    .iter()
                    .any(|r| r.id == two_id)
        },
        "register 1 pulled register 2's sale and knows its name",
    )
    .await;

    let registers = one.store_registers().await.unwrap();
    assert!(registers.joined);
    assert_eq!(registers.this_register_id, one_id);
    assert!(registers.as_of.is_some(), "how fresh the copy is");
    let names: Vec<(&str, bool)> = registers
        .registers
        .iter()
        .map(|r| (r.name.as_str(), r.this_register))
        .collect();
    assert_eq!(names, [("Register 1", true), ("Register 2", false)]);

    let store = one.list_store_entries(whole_store()).await.unwrap();
    let own = store
        .entries
        .iter()
        .find(|e| e.client_id == mine.client_id)
        .expect("this register's sale is in the store's list");
    assert!(own.this_register && own.own.is_some(), "{own:?}");
    let peer = store
        .entries
        .iter()
        .find(|e| e.client_id == theirs.client_id)
        .expect("register 2's sale is in the store's list");
    assert!(!peer.this_register);
    assert!(peer.own.is_none(), "another register's record is read-only");
    assert_eq!(peer.register_name, "Register 2");
    let only_mine = one.list_store_entries(scope(&one_id)).await.unwrap();
    assert!(only_mine.entries.iter().all(|e| e.this_register));

    let deadlines = one.store_deadlines().await.unwrap();
    let counted: Vec<(&str, u64)> = deadlines
        .registers
        .iter()
        .map(|r| (r.register_name.as_str(), r.open))
        .collect();
    assert_eq!(
        counted.len(),
        2,
        "both registers, open records or not: {counted:?}"
    );
    assert!(deadlines.registers[0].this_register);

    // Register 2's audit log, from the store server, newest first.
    eventually(
        async || {
            !one.list_store_audit(StoreAuditRequest {
                register_id: two_id.clone(),
                before_seq: None,
                action: None,
                limit: None,
            })
            .await
            .unwrap()
            .entries
            .is_empty()
        },
        "register 2's audit rows reached the store",
    )
    .await;
    let log = one
        .list_store_audit(StoreAuditRequest {
            register_id: two_id.clone(),
            before_seq: None,
            action: None,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(log.register_name, "Register 2");
    assert!(log.entries.len() <= 2);
    assert!(log.entries.windows(2).all(|w| w[0].seq > w[1].seq));

    let chains = one.verify_store_audits().await.unwrap();
    assert_eq!(chains.broken, 0, "{chains:?}");
    assert_eq!(chains.registers.len(), 2);

    // A third register's copy in the store whose second entry was edited.
    let mut server = StoreServer::connect(
        &settings(&cluster, "x").server_config(SecretString::from(cluster.password().to_owned())),
    )
    .await
    .unwrap();
    let mut rows = two.database().audit_rows_after(0, 100).unwrap();
    assert!(rows.len() >= 2, "{rows:?}");
    rows[1].detail.push_str(" (edited)");
    server
        .join("FORGED01", "Register 9", "0.0.0", jiff::Timestamp::now())
        .await
        .unwrap();
    server.push_audit("FORGED01", &rows).await.unwrap();
    let chains = one.verify_store_audits().await.unwrap();
    assert_eq!(chains.broken, 1);
    let broken = chains
        .registers
        .iter()
        .find(|r| r.register_name == "Register 9")
        .unwrap();
    assert_eq!(broken.code.as_deref(), Some("audit_chain_broken"));
    assert!(
        matches!(
            &broken.verification,
            AuditVerificationView::Broken { seq: 2, .. }
        ),
        "{broken:?}"
    );

    // The store server goes away: the chains cannot be read, the copy still answers.
    drop(server);
    drop(cluster);
    let error = one.verify_store_audits().await.unwrap_err();
    assert_eq!(error.code(), "store_server_unreachable", "{error}");
    let offline = one.list_store_entries(whole_store()).await.unwrap();
    assert!(
        offline
            .entries
            .iter()
            .any(|e| e.client_id == theirs.client_id)
    );
    assert!(offline.as_of.is_some());

    for app in [one, two] {
        app.shutdown(Duration::from_secs(10)).await.unwrap();
    }
}

#[tokio::test]
async fn a_register_on_its_own_has_no_store_to_scope_by() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    login(&app, "Max", "2468").await;
    let registers = app.store_registers().await.unwrap();
    assert!(!registers.joined);
    assert!(registers.registers.is_empty());
    assert_eq!(
        app.verify_store_audits().await.unwrap_err().code(),
        "store_not_joined"
    );
    let deadlines = app.store_deadlines().await.unwrap();
    assert_eq!(deadlines.registers.len(), 1);
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}
