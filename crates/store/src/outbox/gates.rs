//! The `gates` table: the per-licence delivery gate (backoff) state.
//!
//! Guarantees: the gate survives restarts, so an app restarted during an outage or a rate limit
//! waits out `blocked_until` instead of bursting; one row per licence.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError, inventory::licences};

/// The delivery gate of one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// The licence.
    pub licence: String,
    /// Nothing is sent for this licence before this time.
    pub blocked_until: Option<Timestamp>,
    /// Failures in a row (drives the backoff).
    pub consecutive_failures: u32,
    /// Why it is closed, in words.
    pub reason: Option<String>,
    /// When it was last saved.
    pub updated_at: Timestamp,
}

impl Database {
    /// The saved gate of a licence (`None`: open, never failed).
    pub fn gate(&self, licence: &str) -> Result<Option<Gate>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT licence, blocked_until, consecutive_failures, reason, updated_at FROM gates WHERE licence = ?1",
            )?
            .query_row(params![licence], |r| {
                Ok(Gate {
                    licence: r.get(0)?,
                    blocked_until: r.get::<_, Option<i64>>(1)?.map(from_ms),
                    consecutive_failures: r.get(2)?,
                    reason: r.get(3)?,
                    updated_at: from_ms(r.get(4)?),
                })
            })
            .optional()?)
        })
    }

    /// Saves a licence's gate.
    pub fn save_gate(&self, gate: &Gate) -> Result<(), StoreError> {
        self.write(|tx| {
            licences::require(tx, &gate.licence)?;
            tx.prepare_cached(
                "INSERT INTO gates (licence, blocked_until, consecutive_failures, reason, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (licence) DO UPDATE SET blocked_until = excluded.blocked_until,
                     consecutive_failures = excluded.consecutive_failures, reason = excluded.reason,
                     updated_at = excluded.updated_at",
            )?
            .execute(params![
                gate.licence,
                gate.blocked_until.map(to_ms),
                gate.consecutive_failures,
                gate.reason,
                to_ms(gate.updated_at)
            ])?;
            Ok(())
        })
    }

    /// Opens a licence's gate (after a success).
    pub fn clear_gate(&self, licence: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM gates WHERE licence = ?1")?
                .execute(params![licence])?;
            Ok(())
        })
    }
}
