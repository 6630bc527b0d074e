//! The store at a glance, from the store server: every register (name, last seen, version, its
//! records and how many are not yet with Metrc), the store's backlog by licence and user with its
//! oldest record, and whose Metrc key is held where (never a key) — what `stateline store status`
//! and the Store screen show.
//!
//! Guarantees: read-only; one consistent snapshot (one `REPEATABLE READ` transaction); a record
//! whose state has not been pushed yet counts as open (it is not known to be with Metrc).

use jiff::Timestamp;

use crate::{LinkError, StoreServer};

/// One register as the store sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The Stateline version it last ran.
    pub app_version: String,
    /// When the store last heard from it.
    pub last_seen_at: Timestamp,
    /// Records it pushed.
    pub records: i64,
    /// Of those, not yet with Metrc (nor withdrawn).
    pub open: i64,
}

/// Open records of one licence and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// The licence.
    pub licence: String,
    /// Whose key sends them.
    pub acting_user: String,
    /// How many.
    pub open: i64,
    /// When the oldest of them happened.
    pub oldest: Timestamp,
}

/// The whole store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOverview {
    /// Every register still in the store, by name.
    pub registers: Vec<RegisterSummary>,
    /// Open records by licence and user, oldest first.
    pub backlog: Vec<Backlog>,
    /// Whose key is where: every key a register of the store holds (never a key), by holder.
    pub keys: Vec<stateline_store::link::held_keys::StoreHeldKey>,
}

const OPEN: &str = "(d.state IS NULL OR d.state NOT IN ('confirmed', 'voided'))";

impl StoreServer {
    /// Reads the overview (see the module doc).
    pub async fn overview(&mut self) -> Result<StoreOverview, LinkError> {
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg)?;
        let registers = tx
            .query(
                &format!(
                    "SELECT g.register_id, g.name, g.app_version, g.last_seen_at,
                            count(r.local_seq), count(r.local_seq) FILTER (WHERE {OPEN})
                     FROM registers g
                     LEFT JOIN records r ON r.register_id = g.register_id
                     LEFT JOIN deliveries d
                         ON d.register_id = r.register_id AND d.local_seq = r.local_seq
                     WHERE g.left_at IS NULL
                     GROUP BY g.register_id ORDER BY lower(g.name)"
                ),
                &[],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|row| RegisterSummary {
                id: row.get(0),
                name: row.get(1),
                app_version: row.get(2),
                last_seen_at: row.get(3),
                records: row.get(4),
                open: row.get(5),
            })
            .collect();
        let backlog = tx
            .query(
                &format!(
                    "SELECT r.licence, r.acting_user, count(*), min(r.occurred_at)
                     FROM records r
                     LEFT JOIN deliveries d
                         ON d.register_id = r.register_id AND d.local_seq = r.local_seq
                     WHERE {OPEN}
                     GROUP BY r.licence, r.acting_user ORDER BY min(r.occurred_at)"
                ),
                &[],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|row| Backlog {
                licence: row.get(0),
                acting_user: row.get(1),
                open: row.get(2),
                oldest: row.get(3),
            })
            .collect();
        let keys = tx
            .query(crate::key_holders::HELD_KEYS, &[])
            .await
            .map_err(pg)?
            .iter()
            .map(crate::key_holders::held_key_from_row)
            .collect();
        tx.commit().await.map_err(pg)?;
        Ok(StoreOverview {
            registers,
            backlog,
            keys,
        })
    }
}
