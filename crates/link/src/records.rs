//! The `records` table: every register's records as pushed to the store.
//!
//! Guarantees: rows are append-only and keyed by (register id, local sequence), a global id no two
//! registers can both make; a push is one transaction and idempotent — a row already there (same
//! register and sequence) is left as it was, so a register that was killed between a push and
//! its local mark pushes the same rows again harmlessly; a row whose client id another row already
//! holds under a different key is refused (that would be two records claiming one identity); a
//! push that added rows notifies the other registers when it commits (see [`crate::server`]);
//! nothing pushed is a secret (records carry user names, never keys).

use jiff::Timestamp;
use tokio_postgres::Row;

use crate::deliveries::DeliveryState;
use crate::{LinkError, StoreServer};

/// One record as the store holds it: the same row the other registers keep in their copy.
pub use stateline_store::PeerRecord as StoreRecord;

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Rows new to the store.
    pub inserted: usize,
    /// Rows the store already had (a re-push).
    pub already_there: usize,
}

pub(crate) const COLUMNS: &str =
    "register_id, local_seq, client_id, kind, licence, acting_user, occurred_at, body";

pub(crate) fn from_row(row: &Row) -> StoreRecord {
    StoreRecord {
        register_id: row.get(0),
        local_seq: row.get(1),
        client_id: row.get(2),
        kind: row.get(3),
        licence: row.get(4),
        acting_user: row.get(5),
        occurred_at: row.get(6),
        body: row.get(7),
    }
}

impl StoreServer {
    /// Pushes `records` (see the module doc); `now` is the push time the store keeps.
    pub async fn push(
        &mut self,
        records: &[StoreRecord],
        now: Timestamp,
    ) -> Result<Pushed, LinkError> {
        self.push_with_states(records, &[], now).await
    }

    /// Pushes `records` and then `states` (of these or earlier records) in one transaction.
    pub async fn push_with_states(
        &mut self,
        records: &[StoreRecord],
        states: &[DeliveryState],
        now: Timestamp,
    ) -> Result<Pushed, LinkError> {
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        let insert = tx
            .prepare(&format!(
                "INSERT INTO records ({COLUMNS}, pushed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (register_id, local_seq) DO NOTHING"
            ))
            .await
            .map_err(pg)?;
        let mut pushed = Pushed::default();
        for r in records {
            let n = tx
                .execute(
                    &insert,
                    &[
                        &r.register_id,
                        &r.local_seq,
                        &r.client_id,
                        &r.kind,
                        &r.licence,
                        &r.acting_user,
                        &r.occurred_at,
                        &r.body,
                        &now,
                    ],
                )
                .await
                .map_err(pg)?;
            if n == 1 {
                pushed.inserted += 1;
            } else {
                pushed.already_there += 1;
            }
        }
        crate::deliveries::upsert(&tx, states, now)
            .await
            .map_err(pg)?;
        if pushed.inserted > 0
            && let Some(first) = records.first()
        {
            crate::server::notify_others(&tx, &first.register_id)
                .await
                .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(pushed)
    }

    /// The records other registers than `register_id` made, after `after` of each register
    /// (their last sequence this register has seen), in each register's order, at most `limit`.
    pub async fn records_since(
        &self,
        register_id: &str,
        after: &[(String, i64)],
        limit: i64,
    ) -> Result<Vec<StoreRecord>, LinkError> {
        let (ids, seqs): (Vec<&str>, Vec<i64>) =
            after.iter().map(|(id, seq)| (id.as_str(), *seq)).unzip();
        let rows = self
            .conn()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM records r
                     LEFT JOIN unnest($2::text[], $3::bigint[]) AS seen(register_id, seq)
                         USING (register_id)
                     WHERE r.register_id <> $1 AND r.local_seq > COALESCE(seen.seq, 0)
                     ORDER BY r.register_id, r.local_seq LIMIT $4"
                ),
                &[&register_id, &ids, &seqs, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(from_row).collect())
    }
}
