//! The `package_effects` table: what local records not yet confirmed do to package quantities.
//!
//! Guarantees: local on-hand = `packages.metrc_quantity` + Σ `package_effects.delta` for the label;
//! that sum is kept in `packages.pending_delta` by the same statements that add or remove effects,
//! so on-hand is one primary-key read however long the backlog.
//! Rows exist exactly for entries that are not confirmed and not voided (rejected ones still count:
//! the goods left the store). On confirmation the rows are folded into `metrc_quantity` in the same
//! transaction as the state change; on void they are discarded.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use crate::StoreError;

const INSERT: &str = "INSERT INTO package_effects (entry_id, label, delta) VALUES (?1, ?2, ?3)";
const ADD_PENDING: &str = "UPDATE packages SET pending_delta = pending_delta + ?2 WHERE label = ?1";
const REMOVE_PENDING: &str = "UPDATE packages SET pending_delta = pending_delta - e.delta
    FROM package_effects e WHERE e.entry_id = ?1 AND e.label = packages.label";
const FOLD_USED: &str = "UPDATE packages SET metrc_quantity = metrc_quantity + e.delta, updated_at = ?2
    FROM package_effects e WHERE e.entry_id = ?1 AND e.label = packages.label
    AND NOT EXISTS (SELECT 1 FROM outbox_packages c WHERE c.entry_id = ?1 AND c.label = e.label AND c.role = 'creates')";
// A created package that a Metrc refresh already brought in (local_only = 0) already has Metrc's
// quantity; only a still-local one takes the created quantity.
const FOLD_CREATED: &str = "UPDATE packages SET
        metrc_quantity = CASE WHEN local_only = 1 THEN metrc_quantity + e.delta ELSE metrc_quantity END,
        local_only = 0, updated_at = ?2
    FROM package_effects e JOIN outbox_packages c ON c.entry_id = e.entry_id AND c.label = e.label AND c.role = 'creates'
    WHERE e.entry_id = ?1 AND e.label = packages.label";
const DELETE: &str = "DELETE FROM package_effects WHERE entry_id = ?1";

/// Per-label deltas of one record (summed when a label appears more than once).
pub(crate) type Deltas = BTreeMap<String, i64>;

/// Adds an entry's effects (and records them for good in `entry_deltas`).
pub(crate) fn insert(conn: &Connection, entry_id: i64, deltas: &Deltas) -> Result<(), StoreError> {
    super::entry_deltas::replace(conn, entry_id, deltas)?;
    let mut stmt = conn.prepare_cached(INSERT)?;
    let mut pending = conn.prepare_cached(ADD_PENDING)?;
    for (label, delta) in deltas {
        if *delta != 0 {
            stmt.execute(params![entry_id, label, delta])?;
            pending.execute(params![label, delta])?;
        }
    }
    Ok(())
}

/// Folds an entry's effects into `metrc_quantity` and removes them. Call before removing the
/// entry's `outbox_packages` rows.
pub(crate) fn fold(conn: &Connection, entry_id: i64, now_ms: i64) -> Result<(), StoreError> {
    conn.prepare_cached(FOLD_USED)?
        .execute(params![entry_id, now_ms])?;
    conn.prepare_cached(FOLD_CREATED)?
        .execute(params![entry_id, now_ms])?;
    discard(conn, entry_id)
}

/// Drops an entry's effects (voided records, or folded ones).
pub(crate) fn discard(conn: &Connection, entry_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(REMOVE_PENDING)?
        .execute(params![entry_id])?;
    conn.prepare_cached(DELETE)?.execute(params![entry_id])?;
    Ok(())
}

/// The entry's current delta on a label (0 when none).
pub(crate) fn entry_delta(
    conn: &Connection,
    entry_id: i64,
    label: &str,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(SUM(delta), 0) FROM package_effects WHERE entry_id = ?1 AND label = ?2")?
        .query_row(params![entry_id, label], |r| r.get(0))?)
}
