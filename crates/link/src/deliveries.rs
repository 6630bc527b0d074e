//! The `deliveries` table: where each record of the store stands with Metrc, as the register
//! holding it last said.
//!
//! Guarantees: one row per record, replaced (never duplicated) as its state changes, each change
//! with a new, larger `change_seq`, numbered under [`crate::changes`] so numbers become visible in
//! the order they were taken (so [`StoreServer::states_since`] reads changes in order); a row only
//! for a record the store has (a foreign key), so a state cannot arrive before its record; a batch
//! is written in the same transaction as the records pushed with it ([`crate::records`]), so a
//! failure leaves the store's previous states and the register sends the same states again.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// One record's delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    /// The register that holds the record.
    pub register_id: String,
    /// Its sequence there.
    pub local_seq: i64,
    /// `pending`, `confirmed`, `rejected`, … (the register's outbox state).
    pub state: String,
    /// Sending attempts so far.
    pub attempts: i32,
    /// The last error, in words (never a key: the outbox never holds one).
    pub last_error: Option<String>,
    /// What the record does to package quantities (milli-units by label, signed).
    pub deltas: BTreeMap<String, i64>,
    /// When the record entered this state, by the register's clock.
    pub state_changed_at: Timestamp,
}

/// Replaces the states of these records inside the caller's transaction (see the module doc).
/// A record its register handed over keeps the state the delivering register gave it; only a
/// refused one can be taken back (resent or voided by its register).
pub(crate) async fn upsert(
    tx: &tokio_postgres::Transaction<'_>,
    states: &[DeliveryState],
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    if states.is_empty() {
        return Ok(());
    }
    crate::changes::order_changes(tx).await?;
    let upsert = tx
        .prepare(
            "INSERT INTO deliveries (register_id, local_seq, state, attempts, last_error, updated_at, deltas,
                 state_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (register_id, local_seq) DO UPDATE SET
                 state = CASE WHEN NOT deliveries.handed_over OR (deliveries.state = 'rejected'
                         AND excluded.state IN ('pending', 'voided'))
                     THEN excluded.state ELSE deliveries.state END,
                 handed_over = deliveries.handed_over AND NOT (deliveries.state = 'rejected'
                     AND excluded.state IN ('pending', 'voided')),
                 attempts = excluded.attempts,
                 last_error = CASE WHEN deliveries.handed_over THEN deliveries.last_error
                     ELSE excluded.last_error END,
                 updated_at = excluded.updated_at, deltas = excluded.deltas,
                 state_changed_at = CASE WHEN NOT deliveries.handed_over OR (deliveries.state = 'rejected'
                         AND excluded.state IN ('pending', 'voided'))
                     THEN excluded.state_changed_at ELSE deliveries.state_changed_at END,
                 change_seq = nextval('deliveries_change_seq')",
        )
        .await?;
    for s in states {
        let deltas = serde_json::to_value(&s.deltas).unwrap_or_default();
        tx.execute(
            &upsert,
            &[
                &s.register_id,
                &s.local_seq,
                &s.state,
                &s.attempts,
                &s.last_error,
                &now,
                &deltas,
                &s.state_changed_at,
            ],
        )
        .await?;
    }
    Ok(())
}

/// A state change another register pushed, as pulled: the same change the register applies
/// to its copy.
pub use stateline_store::PeerStateChange as StateChange;

impl crate::StoreServer {
    /// The state changes of other registers than `register_id` after `after`, in order.
    pub async fn states_since(
        &self,
        register_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StateChange>, crate::LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT register_id, local_seq, state, change_seq, deltas, state_changed_at FROM deliveries
                 WHERE register_id <> $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3",
                &[&register_id, &after, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|row| StateChange {
                register_id: row.get(0),
                local_seq: row.get(1),
                state: row.get(2),
                change_seq: row.get(3),
                deltas: serde_json::from_value(row.get::<_, serde_json::Value>(4))
                    .unwrap_or_default(),
                changed_at: row.get(5),
            })
            .collect())
    }
}
