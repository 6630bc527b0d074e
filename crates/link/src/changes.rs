//! Changes the registers follow in order: the store numbers each change of a delivery state, of a
//! shared user and of a purchase-limit setting from a sequence (`deliveries_change_seq`,
//! `people_change_seq`, `limit_settings_change_seq`), and a register reads "the changes after n"
//! and moves its mark to the last one read — a maker the outcomes of its handed-over records,
//! every register the others' states, the store's users and its limit settings.
//!
//! Guarantees: every transaction that takes such a number takes [`order_changes`] first and
//! holds it until it ends, so numbers become visible in the order they were taken; a reader's
//! mark therefore never passes a change that was numbered earlier but committed later (which it
//! would never read again). Writers of numbered changes wait for each other for the length of a
//! short transaction; reading takes no lock. A writer that stops inside such a transaction (a
//! paused or hung register whose connection stays open) is cut off by the store server once it
//! has been idle in it for [`IDLE_LIMIT`], so it holds the other registers up that long at most
//! (its transaction rolls back and its register simply writes again).

/// The advisory lock key (any constant every register shares, other than the schema upgrade's).
const CHANGE_ORDER_LOCK: i64 = 0x5374_6c43_6867_5365;

/// How long a transaction holding the lock may sit idle before the store server ends its session
/// (these transactions run their statements back to back; they never wait on anything else).
pub(crate) const IDLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Takes, inside `tx`, the store-wide lock that orders numbered changes (see the module doc).
pub(crate) async fn order_changes(
    tx: &tokio_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    tx.batch_execute(&format!(
        "SET LOCAL idle_in_transaction_session_timeout = {}",
        IDLE_LIMIT.as_millis()
    ))
    .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_ORDER_LOCK])
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use stateline_testkit::postgres::{Cluster, USER};

    use super::order_changes;

    async fn connect(cluster: &Cluster) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::Config::new()
            .host("127.0.0.1")
            .port(cluster.port())
            .dbname("store")
            .user(USER)
            .password(cluster.password())
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    }

    #[tokio::test]
    async fn a_writer_stopped_while_holding_the_order_holds_the_others_up_only_for_the_limit() {
        let cluster = Cluster::start();
        cluster.create_database("store");
        let mut stopped = connect(&cluster).await;
        let mut other = connect(&cluster).await;
        let holding = stopped.transaction().await.unwrap();
        order_changes(&holding).await.unwrap();

        // The first writer says nothing more (as a paused register would); the other gets the
        // order once the store server has cut the idle one off, and the idle one's work is gone.
        let waiting = other.transaction().await.unwrap();
        tokio::time::timeout(Duration::from_secs(60), order_changes(&waiting))
            .await
            .expect("the order is given to the other writer")
            .unwrap();
        waiting.commit().await.unwrap();
        assert!(holding.commit().await.is_err());
    }
}
