//! TLS and pooling against a real cluster: a store server that accepts only encrypted logins is
//! reached only with its certificate checked (the store's own authority in a PEM file); a plain
//! login, an untrusted authority and the public roots are refused with their own codes. The pool
//! bounds the connections a register opens, a register asking for TLS never falls back to plain, and a restart of the server is noticed by the
//! listening connection and survived by the pool.

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use stateline_link::server::POOL_SIZE;
use stateline_link::{StoreServer, StoreTls};

use super::server;

/// A certificate authority that issues server certificates, all as PEM.
struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Authority {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` and its private key.
    fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let pem = params.signed_by(&key, &self.issuer).unwrap().pem();
        (pem, key.serialize_pem())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_only_store_is_reached_only_with_its_certificate_checked() {
    let cluster = server::cluster();
    let authority = Authority::new("Store CA");
    let (cert, key) = authority.issue(&["localhost", "127.0.0.1"]);
    cluster.require_tls(&cert, &key);
    let files = tempfile::tempdir().unwrap();
    let ca_file = files.path().join("store-ca.pem");
    std::fs::write(&ca_file, &authority.pem).unwrap();
    let stranger_file = files.path().join("stranger-ca.pem");
    std::fs::write(&stranger_file, &Authority::new("Someone else").pem).unwrap();

    let mut trusted = server::config(&cluster);
    trusted.tls = StoreTls::Verified {
        ca_file: Some(ca_file.clone()),
    };
    let store = StoreServer::connect(&trusted)
        .await
        .expect("the store's own authority is trusted");
    assert!(store.encrypted());
    assert!(
        store.server_sees_tls().await.unwrap(),
        "PostgreSQL itself sees the connection encrypted"
    );
    store.listen("register-a").await.expect("listens over TLS");
    assert!(store.schema_version().await.unwrap() > 0);

    let mut plain = server::config(&cluster);
    plain.tls = StoreTls::Off;
    let refused = StoreServer::connect(&plain).await.unwrap_err();
    assert_eq!(refused.code(), "store_server_login_refused", "{refused}");

    for (ca_file, what) in [
        (Some(stranger_file), "another authority"),
        (None, "the public roots"),
    ] {
        let mut config = server::config(&cluster);
        config.tls = StoreTls::Verified { ca_file };
        let refused = StoreServer::connect(&config).await.unwrap_err();
        assert_eq!(
            refused.code(),
            "store_server_certificate_refused",
            "{what}: {refused}"
        );
        let message = refused.to_string();
        assert!(message.contains("CA file"), "says what to check: {message}");
        assert!(!message.contains(cluster.password()));
    }

    drop(store);
    let (elsewhere, elsewhere_key) = authority.issue(&["store.example"]);
    cluster.require_tls(&elsewhere, &elsewhere_key);
    let refused = StoreServer::connect(&trusted).await.unwrap_err();
    assert_eq!(
        refused.code(),
        "store_server_certificate_refused",
        "a trusted authority's certificate for another host: {refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_bounds_connections_and_outlives_a_server_restart() {
    let cluster = server::cluster();
    let mut asks_for_tls = server::config(&cluster);
    asks_for_tls.tls = StoreTls::Verified { ca_file: None };
    let refused = StoreServer::connect(&asks_for_tls).await.unwrap_err();
    assert_eq!(
        refused.code(),
        "store_server_unreachable",
        "a server without TLS is not used in plain instead: {refused}"
    );
    let store = StoreServer::connect(&server::config(&cluster))
        .await
        .unwrap();
    store.listen("register-a").await.unwrap();
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..(POOL_SIZE * 4) {
        let store = store.clone();
        readers.spawn(async move {
            store.schema_version().await.unwrap();
            store.server_sees_tls().await.unwrap()
        });
    }
    while let Some(encrypted) = readers.join_next().await {
        assert!(!encrypted.unwrap());
    }
    assert_eq!(
        store
            .setting("idle_in_transaction_session_timeout")
            .await
            .unwrap(),
        "30s",
        "a paused register's transaction is ended by the server"
    );
    let raw = server::raw(&cluster).await;
    let open: i64 = raw
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stateline'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        open as usize <= POOL_SIZE + 1,
        "{open} connections: the pool's and the listening one"
    );
    drop(raw);

    assert!(!store.listening_lost());
    cluster.restart();
    tokio::time::timeout(Duration::from_secs(30), async {
        while !store.listening_lost() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the listening connection's end is noticed");
    let mut answered = false;
    for _ in 0..(POOL_SIZE + 2) {
        if store.schema_version().await.is_ok() {
            answered = true;
            break;
        }
    }
    assert!(answered, "the pool replaces connections the restart closed");
}
