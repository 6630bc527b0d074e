//! Shared set-up: one cluster per test, a fresh database in it, settings to reach it.

use stateline_link::ServerConfig;
use stateline_testkit::postgres::{Cluster, USER};

/// A cluster with one empty database `store`.
pub fn cluster() -> Cluster {
    let cluster = Cluster::start();
    cluster.create_database("store");
    cluster
}

/// Settings for the `store` database of `cluster`.
pub fn config(cluster: &Cluster) -> ServerConfig {
    cluster.server_config("store")
}

/// A plain connection to the `store` database, outside the link (to play an older or newer store).
pub async fn raw(cluster: &Cluster) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={} dbname=store user={} password={}",
            cluster.port(),
            USER,
            cluster.password()
        ),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
}
