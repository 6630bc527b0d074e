//! The `peer_records` table: records other registers of the store made, as pulled from the store
//! server.
//!
//! Guarantees: rows are append-only and keyed by (register id, local sequence); saving a batch is
//! one transaction and idempotent (a row already there is left as it was), so a register killed
//! between a pull and its commit pulls the same rows again harmlessly; [`Database::peer_marks`]
//! gives, per register, the highest sequence held, which is where the next pull starts; each
//! copy carries the state its register last told the store, applied in the store's order of
//! changes and never ahead of its record, together with the record's effects on on-hand.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::peer_effects;

use crate::outbox::{EntryKind, EntryState};
use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// One record of a store as registers exchange it: pushed by the register that made it, kept
/// by the others in their copy.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRecord {
    /// The register that made it (its install id).
    pub register_id: String,
    /// Its sequence number on that register.
    pub local_seq: i64,
    /// The record's client id (its external number in Metrc).
    pub client_id: String,
    /// `sale`, `adjustment`, …
    pub kind: String,
    /// The licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// When it happened at that register.
    pub occurred_at: Timestamp,
    /// The record itself, as that register described it.
    pub body: serde_json::Value,
}

/// How many records one register made, as far as this register has pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCount {
    /// The register.
    pub register_id: String,
    /// Records pulled from it.
    pub records: i64,
    /// Of those, not known to be with Metrc (nor withdrawn).
    pub open: i64,
    /// The highest sequence pulled from it.
    pub through: i64,
}

/// The setting holding the store's last state change this register applied to its copy.
pub const STATES_PULLED_THROUGH: &str = "link.states_pulled_through";

/// A state change of another register's record, as pulled from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStateChange {
    /// The register that holds the record.
    pub register_id: String,
    /// Its sequence there.
    pub local_seq: i64,
    /// The new state (that register's outbox state: `pending`, `confirmed`, `voided`, …).
    pub state: String,
    /// The change's place in the store's order of changes.
    pub change_seq: i64,
    /// What the record does to package quantities, as that register last recorded it
    /// (milli-units per label).
    pub deltas: BTreeMap<String, i64>,
    /// When the record entered this state, by its register's clock (for `confirmed`: when
    /// Metrc accepted it); `None` from a store server that does not carry it.
    pub changed_at: Option<Timestamp>,
}

/// States after which a record's effects are settled (folded or dropped).
const SETTLED: [&str; 2] = ["confirmed", "voided"];

const COLUMNS: &str =
    "register_id, local_seq, client_id, kind, licence, acting_user, occurred_at, body";
const INSERT: &str = "INSERT INTO peer_records
        (register_id, local_seq, client_id, kind, licence, acting_user, occurred_at, body, pulled_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (register_id, local_seq) DO NOTHING";

fn from_row(row: &Row<'_>) -> rusqlite::Result<PeerRecord> {
    let body: String = row.get(7)?;
    Ok(PeerRecord {
        register_id: row.get(0)?,
        local_seq: row.get(1)?,
        client_id: row.get(2)?,
        kind: row.get(3)?,
        licence: row.get(4)?,
        acting_user: row.get(5)?,
        occurred_at: from_ms(row.get(6)?),
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    })
}

impl Database {
    /// Saves pulled records (see the module doc); returns how many were new.
    pub fn save_peer_records(
        &self,
        records: &[PeerRecord],
        pulled_at: Timestamp,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut insert = tx.prepare_cached(INSERT)?;
            let mut new = 0;
            for r in records {
                new += insert.execute(params![
                    r.register_id,
                    r.local_seq,
                    r.client_id,
                    r.kind,
                    r.licence,
                    r.acting_user,
                    to_ms(r.occurred_at),
                    r.body.to_string(),
                    to_ms(pulled_at),
                ])?;
            }
            Ok(new)
        })
    }

    /// Per register, the highest sequence pulled so far.
    pub fn peer_marks(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT register_id, max(local_seq) FROM peer_records GROUP BY register_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Per register, how many records were pulled and through which sequence, by register id.
    pub fn peer_counts(&self) -> Result<Vec<PeerCount>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT register_id, count(*),
                        count(*) FILTER (WHERE state IS NULL OR state NOT IN ('confirmed', 'voided')),
                        max(local_seq)
                 FROM peer_records GROUP BY register_id ORDER BY register_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(PeerCount {
                    register_id: r.get(0)?,
                    records: r.get(1)?,
                    open: r.get(2)?,
                    through: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The store's last state change applied to the copy (0: none yet).
    pub fn peer_states_through(&self) -> Result<i64, StoreError> {
        let stored = self.setting(STATES_PULLED_THROUGH)?;
        Ok(stored.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Applies pulled state changes in their order, in one transaction, stopping before the first
    /// whose record the copy does not hold yet (its record is pulled first next time, so the
    /// change is not lost); moves [`STATES_PULLED_THROUGH`] to the last change applied. Each
    /// change also moves the record's effects on this register's on-hand (see
    /// [`super::peer_effects`]); a change to a record already settled changes nothing more, so a
    /// re-pushed state is harmless. Returns how many were applied.
    pub fn apply_peer_states(&self, changes: &[PeerStateChange]) -> Result<usize, StoreError> {
        let now = self.now();
        self.write(|tx| {
            let mut held = tx.prepare_cached(
                "SELECT state FROM peer_records WHERE register_id = ?1 AND local_seq = ?2",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE peer_records SET state = ?3, state_changed_at = ?4
                 WHERE register_id = ?1 AND local_seq = ?2",
            )?;
            let mut applied = 0;
            let mut through = None;
            for c in changes {
                let Some(before) = held
                    .query_row(params![c.register_id, c.local_seq], |r| {
                        r.get::<_, Option<String>>(0)
                    })
                    .optional()?
                else {
                    break;
                };
                update.execute(params![
                    c.register_id,
                    c.local_seq,
                    c.state,
                    c.changed_at.map(to_ms)
                ])?;
                let settled_before = before.as_deref().is_some_and(|s| SETTLED.contains(&s));
                if !settled_before {
                    match c.state.as_str() {
                        "confirmed" => {
                            peer_effects::confirm(tx, &c.register_id, c.local_seq, &c.deltas, now)?
                        }
                        "voided" => peer_effects::discard(tx, &c.register_id, c.local_seq)?,
                        _ => peer_effects::count(tx, &c.register_id, c.local_seq, &c.deltas)?,
                    }
                }
                applied += 1;
                through = Some(c.change_seq);
            }
            if let Some(through) = through {
                crate::settings::set(tx, STATES_PULLED_THROUGH, &through.to_string())?;
            }
            Ok(applied)
        })
    }

    /// The pulled records of a licence made at or after `since`, oldest first.
    pub fn peer_records_since(
        &self,
        licence: &str,
        since: Timestamp,
    ) -> Result<Vec<PeerRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM peer_records WHERE licence = ?1 AND occurred_at >= ?2
                 ORDER BY occurred_at, register_id, local_seq"
            ))?;
            let rows = stmt.query_map(params![licence, to_ms(since)], from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

/// A pulled record with where it stands, for the store-wide views (Sync, deadlines, outage
/// report, reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    /// The register that made it.
    pub register_id: String,
    /// Its sequence there (its outbox id at that register).
    pub local_seq: i64,
    /// Its client id (external number in Metrc).
    pub client_id: String,
    /// What it is.
    pub kind: EntryKind,
    /// The licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// When it happened at that register.
    pub occurred_at: Timestamp,
    /// When this register pulled it.
    pub pulled_at: Timestamp,
    /// Its state as its register last told the store (`None`: not told yet, or a state this
    /// build does not know).
    pub state: Option<EntryState>,
    /// When it entered that state, by its register's clock (`None`: not known).
    pub state_changed_at: Option<Timestamp>,
}

impl PeerEntry {
    /// Not known to be with Metrc, nor withdrawn.
    pub fn is_open(&self) -> bool {
        !self.state.is_some_and(EntryState::is_terminal)
    }
}

/// Which pulled records to list; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerFilter {
    /// Only this register's.
    pub register_id: Option<String>,
    /// Only this licence.
    pub licence: Option<String>,
    /// Only this user's.
    pub acting_user: Option<String>,
    /// Only this kind.
    pub kind: Option<EntryKind>,
    /// Only these states (a record whose state is not known yet counts as `pending`).
    pub states: Vec<EntryState>,
    /// Only records made at or after this time.
    pub from: Option<Timestamp>,
    /// Only records made before this time.
    pub to: Option<Timestamp>,
    /// Only records not known to be with Metrc nor withdrawn.
    pub open_only: bool,
    /// At most this many, newest first (`None`: all, oldest first).
    pub newest: Option<u32>,
}

const ENTRY_COLUMNS: &str =
    "register_id, local_seq, client_id, kind, licence, acting_user, occurred_at, pulled_at, state,
     state_changed_at";

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<PeerEntry> {
    let kind: String = row.get(3)?;
    let state: Option<String> = row.get(8)?;
    Ok(PeerEntry {
        register_id: row.get(0)?,
        local_seq: row.get(1)?,
        client_id: row.get(2)?,
        kind: kind.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        licence: row.get(4)?,
        acting_user: row.get(5)?,
        occurred_at: from_ms(row.get(6)?),
        pulled_at: from_ms(row.get(7)?),
        state: state.and_then(|s| s.parse().ok()),
        state_changed_at: row.get::<_, Option<i64>>(9)?.map(from_ms),
    })
}

impl Database {
    /// The pulled records matching `filter` (see [`PeerFilter`]).
    pub fn peer_entries(&self, filter: &PeerFilter) -> Result<Vec<PeerEntry>, StoreError> {
        let states: Vec<String> = filter
            .states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let state_clause = if states.is_empty() {
            String::new()
        } else {
            let unknown = if filter.states.contains(&EntryState::Pending) {
                " OR state IS NULL"
            } else {
                ""
            };
            format!("AND (state IN ({}){unknown})", states.join(", "))
        };
        let open_clause = if filter.open_only {
            "AND (state IS NULL OR state NOT IN ('confirmed', 'voided'))"
        } else {
            ""
        };
        let (order, limit) = match filter.newest {
            Some(n) => (
                "occurred_at DESC, register_id, local_seq DESC",
                i64::from(n),
            ),
            None => ("occurred_at, register_id, local_seq", -1),
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM peer_records
             WHERE (?1 IS NULL OR register_id = ?1) AND (?2 IS NULL OR licence = ?2)
               AND (?3 IS NULL OR acting_user = ?3) AND (?4 IS NULL OR kind = ?4)
               AND (?5 IS NULL OR occurred_at >= ?5) AND (?6 IS NULL OR occurred_at < ?6)
               {state_clause} {open_clause}
             ORDER BY {order} LIMIT ?7"
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    filter.register_id,
                    filter.licence,
                    filter.acting_user,
                    filter.kind.map(EntryKind::as_str),
                    filter.from.map(to_ms),
                    filter.to.map(to_ms),
                    limit
                ],
                entry_from_row,
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Whether another register of the store made a sale with this client id (as far as pulled).
    pub fn is_peer_sale(&self, client_id: &str) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM peer_records WHERE client_id = ?1 AND kind = 'sale')",
            )?
            .query_row([client_id], |r| r.get(0))?)
        })
    }
}
