//! The `entry_deltas` table: what each of this register's records does to package quantities,
//! kept for good.
//!
//! Guarantees: every record's current per-label deltas are here from the transaction that wrote
//! it (replaced in the one that edits it), and stay after it is confirmed or voided — unlike
//! `package_effects`, which holds only what is not yet confirmed. The store link sends them with
//! a record's state, so the other registers can count a record they first hear of late (records
//! from before schema 10 carry only the effects they still had then).

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::effects::Deltas;
use crate::{Database, StoreError};

/// Replaces the entry's recorded deltas inside the caller's transaction.
pub(crate) fn replace(conn: &Connection, entry_id: i64, deltas: &Deltas) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM entry_deltas WHERE entry_id = ?1")?
        .execute(params![entry_id])?;
    let mut insert = conn
        .prepare_cached("INSERT INTO entry_deltas (entry_id, label, delta) VALUES (?1, ?2, ?3)")?;
    for (label, delta) in deltas {
        if *delta != 0 {
            insert.execute(params![entry_id, label, delta])?;
        }
    }
    Ok(())
}

impl Database {
    /// The recorded deltas of these entries (milli-units per label), by entry id; an entry with
    /// no effect on stock is absent.
    pub fn recorded_deltas(
        &self,
        entry_ids: &[i64],
    ) -> Result<BTreeMap<i64, BTreeMap<String, i64>>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT label, delta FROM entry_deltas WHERE entry_id = ?1 ORDER BY label",
            )?;
            let mut found = BTreeMap::new();
            for id in entry_ids {
                let deltas: BTreeMap<String, i64> = stmt
                    .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                if !deltas.is_empty() {
                    found.insert(*id, deltas);
                }
            }
            Ok(found)
        })
    }
}
