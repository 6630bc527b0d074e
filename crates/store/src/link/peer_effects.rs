//! The `peer_effects` table: what the other registers' records take from packages, as this
//! register counts it — so a register's on-hand is Metrc's quantity minus the effects of every
//! register's records that Metrc's quantity here does not yet show, and the oversell check that
//! guards a sale is store-wide from this register's view.
//!
//! Guarantees (the rule errs low, never toward overselling, and compares no clocks across
//! machines):
//! - Only stock **leaving** counts (negative deltas). Stock a peer's record gives back or creates
//!   (a positive adjustment, a new package) reaches this register through its next Metrc
//!   refresh: counting it early could count it twice once that refresh already has it.
//! - A peer record's effects count while it is open (pending, sending, rejected — rejected goods
//!   still left the store); a voided record's are dropped at once.
//! - A confirmed record's effects keep counting until a Metrc refresh **fetched the package after
//!   this register learned of the confirmation** (both times on this register's clock): only
//!   then does Metrc's quantity here surely include it, and the row goes in the refresh's own
//!   transaction. A refresh that happened to fetch the package between Metrc's confirmation and
//!   this register hearing of it counts the sale twice for a while — low, never high — and the
//!   next refresh fetches every such package by label ([`Database::settling_labels`]), so the
//!   count comes back exact.
//! - Every row's delta is also in `packages.pending_delta` of its label when that package is
//!   here, changed by the same statements (a package that arrives later takes the sum on insert).

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::time::to_ms;
use crate::{Database, StoreError};

const INSERT: &str =
    "INSERT INTO peer_effects (register_id, local_seq, label, delta) VALUES (?1, ?2, ?3, ?4)";
const ADD_PENDING: &str = "UPDATE packages SET pending_delta = pending_delta + ?2 WHERE label = ?1";
const REMOVE_PENDING: &str = "UPDATE packages SET pending_delta = pending_delta - e.delta
    FROM peer_effects e WHERE e.register_id = ?1 AND e.local_seq = ?2 AND e.label = packages.label";
const DELETE: &str = "DELETE FROM peer_effects WHERE register_id = ?1 AND local_seq = ?2";
const CONFIRM: &str = "UPDATE peer_effects SET confirmed_at = ?3
    WHERE register_id = ?1 AND local_seq = ?2 AND confirmed_at IS NULL";
const SETTLE_PENDING: &str = "UPDATE packages SET pending_delta = pending_delta - s.total
    FROM (SELECT SUM(delta) AS total FROM peer_effects
          WHERE label = ?1 AND confirmed_at IS NOT NULL AND confirmed_at <= ?2) s
    WHERE packages.label = ?1 AND s.total IS NOT NULL";
const SETTLE: &str =
    "DELETE FROM peer_effects WHERE label = ?1 AND confirmed_at IS NOT NULL AND confirmed_at <= ?2";

/// Stock leaving, of a record's deltas.
fn leaving(deltas: &BTreeMap<String, i64>) -> impl Iterator<Item = (&String, i64)> {
    deltas
        .iter()
        .filter(|(_, delta)| **delta < 0)
        .map(|(label, delta)| (label, *delta))
}

/// Counts an open peer record's effects (replacing any it had: the record may have been edited).
pub(crate) fn count(
    conn: &Connection,
    register_id: &str,
    local_seq: i64,
    deltas: &BTreeMap<String, i64>,
) -> Result<(), StoreError> {
    discard(conn, register_id, local_seq)?;
    let mut insert = conn.prepare_cached(INSERT)?;
    let mut pending = conn.prepare_cached(ADD_PENDING)?;
    for (label, delta) in leaving(deltas) {
        insert.execute(params![register_id, local_seq, label, delta])?;
        pending.execute(params![label, delta])?;
    }
    Ok(())
}

/// Stops counting a peer record's effects (it was voided).
pub(crate) fn discard(
    conn: &Connection,
    register_id: &str,
    local_seq: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(REMOVE_PENDING)?
        .execute(params![register_id, local_seq])?;
    conn.prepare_cached(DELETE)?
        .execute(params![register_id, local_seq])?;
    Ok(())
}

/// A peer record was confirmed, learned `now`: its effects (counted from `deltas` if they were
/// not yet) keep counting until a refresh settles them (see the module doc).
pub(crate) fn confirm(
    conn: &Connection,
    register_id: &str,
    local_seq: i64,
    deltas: &BTreeMap<String, i64>,
    now: Timestamp,
) -> Result<(), StoreError> {
    count(conn, register_id, local_seq, deltas)?;
    conn.prepare_cached(CONFIRM)?
        .execute(params![register_id, local_seq, to_ms(now)])?;
    Ok(())
}

/// Inside a refresh's transaction: Metrc's quantity of `label` was fetched after `fetched_after`
/// (this register's clock), so every confirmation learned by then is in it — those effects stop
/// counting.
pub(crate) fn settle(
    conn: &Connection,
    label: &str,
    fetched_after: Timestamp,
) -> Result<(), StoreError> {
    let at = to_ms(fetched_after);
    conn.prepare_cached(SETTLE_PENDING)?
        .execute(params![label, at])?;
    conn.prepare_cached(SETTLE)?.execute(params![label, at])?;
    Ok(())
}

/// Stops counting every peer record (the register left its store).
pub(crate) fn forget_all(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE packages SET pending_delta = pending_delta - s.total
         FROM (SELECT label, SUM(delta) AS total FROM peer_effects GROUP BY label) s
         WHERE s.label = packages.label",
        [],
    )?;
    conn.execute("DELETE FROM peer_effects", [])?;
    Ok(())
}

impl Database {
    /// The labels of `licence` whose Metrc quantity a refresh should fetch by label: packages
    /// that other registers' confirmed records took from and that no refresh has fetched since.
    pub fn settling_labels(&self, licence: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT e.label FROM peer_effects e
                 JOIN peer_records r ON r.register_id = e.register_id AND r.local_seq = e.local_seq
                 WHERE r.licence = ?1 AND e.confirmed_at IS NOT NULL ORDER BY e.label",
            )?;
            let rows = stmt.query_map(params![licence], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// How much of `label` other registers' records take, as counted in its on-hand
    /// (milli-units, ≤ 0).
    pub fn peer_delta(&self, label: &str) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT COALESCE(SUM(delta), 0) FROM peer_effects WHERE label = ?1",
            )?
            .query_row(params![label], |r| r.get(0))?)
        })
    }
}
