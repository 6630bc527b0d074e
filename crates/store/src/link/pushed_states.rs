//! The `pushed_states` table: the delivery state (and attempt count) of each of this register's
//! records as last pushed to the store server.
//!
//! Guarantees: [`Database::changed_states`] returns exactly the entries, among those already
//! pushed, whose state or attempts differ from what the store was last told (or that it was never
//! told), oldest first; [`Database::mark_pushed`] records what the store now holds, in one
//! transaction with the push mark, and is called only after the store committed — so a failure in
//! between only sends the same states again.

use rusqlite::params;

use crate::outbox::{ENTRY_COLUMNS, entry_from_row};
use crate::{Database, EntryState, OutboxEntry, StoreError};

impl Database {
    /// Entries with id ≤ `through` whose state the store does not have yet, at most `limit`.
    pub fn changed_states(&self, through: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox o LEFT JOIN pushed_states p ON p.entry_id = o.id
                 WHERE o.id <= ?1
                   AND (p.entry_id IS NULL OR p.state <> o.state OR p.attempts <> o.attempts)
                 ORDER BY o.id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![through, limit], entry_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Records, in one transaction, that the store now has every entry through `through`
    /// ([`super::PUSHED_THROUGH`]) and these states.
    pub fn mark_pushed(
        &self,
        through: i64,
        states: &[(i64, EntryState, u32)],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            crate::settings::set(tx, super::PUSHED_THROUGH, &through.to_string())?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO pushed_states (entry_id, state, attempts) VALUES (?1, ?2, ?3)
                 ON CONFLICT (entry_id) DO UPDATE SET state = excluded.state,
                     attempts = excluded.attempts",
            )?;
            for (id, state, attempts) in states {
                upsert.execute(params![id, state.as_str(), attempts])?;
            }
            Ok(())
        })
    }
}
