//! The store's leases as the driver reads them, over its own connection to the store server
//! (never as a register): who holds a live lease, which handed-over records a register holds
//! leases on, whether another session has those rows locked, who delivered a record, and the
//! moment a register POSTs under a lease.
//!
//! Guarantees: read-only, except a lock probe that is always rolled back.

use std::time::{Duration, Instant};

use tokio_postgres::NoTls;

use crate::store::Store;
use crate::wait::PATIENCE;

/// A handed-over record: its maker's register id and local sequence.
pub type Record = (String, i64);

/// The driver's connection to the store.
pub struct Leases {
    client: tokio_postgres::Client,
}

impl Leases {
    /// Connects to the store's database.
    pub async fn connect(store: &Store) -> Leases {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(store.cluster.port())
            .dbname("store")
            .user(stateline_testkit::postgres::USER)
            .password(store.cluster.password());
        let (client, connection) = config.connect(NoTls).await.expect("the store server");
        tokio::spawn(connection);
        Leases { client }
    }

    /// A register holding a live lease on a record it has not answered for yet.
    pub async fn live_holder(&self) -> Option<String> {
        self.client
            .query_opt(
                "SELECT lease_holder FROM deliveries
                 WHERE lease_holder IS NOT NULL AND state = 'handed_over'
                   AND lease_expires_at > now()
                 LIMIT 1",
                &[],
            )
            .await
            .expect("the store's leases")
            .map(|row| row.get(0))
    }

    /// The records `holder` holds leases on and has not answered for, with the seconds until
    /// the last of those leases lapses and `grace` more has passed, by the store server's clock.
    pub async fn held_by(&self, holder: &str, grace: f64) -> (Vec<Record>, f64) {
        let rows = self
            .client
            .query(
                "SELECT register_id, local_seq,
                        extract(epoch FROM lease_expires_at - now())::float8 + $2
                 FROM deliveries
                 WHERE lease_holder = $1 AND state = 'handed_over'",
                &[&holder, &grace],
            )
            .await
            .expect("the store's leases");
        let left = rows.iter().map(|r| r.get::<_, f64>(2)).fold(0.0, f64::max);
        (rows.iter().map(|r| (r.get(0), r.get(1))).collect(), left)
    }

    /// Whether no other session has any of `records` locked now (a paused register stopped
    /// inside a transaction would keep them from everyone until it resumes).
    pub async fn unlocked(&mut self, records: &[Record]) -> bool {
        let tx = self.client.transaction().await.expect("a transaction");
        let mut free = true;
        for (register_id, local_seq) in records {
            free &= tx
                .query(
                    "SELECT 1 FROM deliveries WHERE register_id = $1 AND local_seq = $2
                     FOR UPDATE NOWAIT",
                    &[register_id, local_seq],
                )
                .await
                .is_ok();
            if !free {
                break;
            }
        }
        let _ = tx.rollback().await;
        free
    }

    /// Who wrote the outcome of `record` (`None`: nobody yet).
    pub async fn delivered_by(&self, record: &Record) -> Option<String> {
        self.client
            .query_one(
                "SELECT delivered_by FROM deliveries WHERE register_id = $1 AND local_seq = $2",
                &[&record.0, &record.1],
            )
            .await
            .expect("a delivery")
            .get(0)
    }
}

/// Waits until register `i` holds a live lease while a request of its to Metrc is in flight (a
/// POST under a lease, with Metrc slowed), or fails the run.
pub async fn await_post_under_lease(store: &Store, leases: &Leases, i: usize) {
    let id = store.tills[i].register_id().expect("its id");
    let started = Instant::now();
    loop {
        let leasing = leases.live_holder().await.as_deref() == Some(id.as_str());
        if leasing && store.tills[i].metrc_proxy.awaiting_reply() {
            return;
        }
        if started.elapsed() > PATIENCE {
            panic!(
                "{}",
                store.failure(&format!(
                    "never caught {} mid-POST under a lease",
                    store.tills[i].spec.name
                ))
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
