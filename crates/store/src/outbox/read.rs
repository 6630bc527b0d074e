//! Read models of the outbox for the status chip, the Sync screen and the CLI.
//!
//! Guarantees: read-only, on the separate read connection, each from one consistent snapshot; never
//! blocks the writer.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::outbox::attempts::{self, Attempt};
use crate::outbox::{ENTRY_COLUMNS, EntryKind, EntryState, OutboxEntry, entry_from_row, find};
use crate::time::from_ms;
use crate::{Database, StoreError};

/// How many entries of one licence and user are in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    /// Licence.
    pub licence: String,
    /// Acting user.
    pub acting_user: String,
    /// State.
    pub state: EntryState,
    /// Count.
    pub count: u64,
}

/// Filters for [`Database::list_entries`]; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryFilter {
    /// Only this licence.
    pub licence: Option<String>,
    /// Only this acting user.
    pub acting_user: Option<String>,
    /// Only these states.
    pub states: Vec<EntryState>,
    /// Only this kind.
    pub kind: Option<EntryKind>,
    /// Only entries with an id below this (paging, newest first).
    pub before_id: Option<i64>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}

/// One state change of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// When.
    pub at: Timestamp,
    /// From.
    pub from: EntryState,
    /// To.
    pub to: EntryState,
    /// Error, void reason or other detail.
    pub detail: Option<String>,
}

/// An entry with everything that happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryHistory {
    /// The entry now.
    pub entry: OutboxEntry,
    /// Its state changes, oldest first.
    pub transitions: Vec<Transition>,
    /// Its attempts, oldest first.
    pub attempts: Vec<Attempt>,
}

impl Database {
    /// The entries after `after_id`, oldest first, at most `limit` (the store link pushes them
    /// in this order; ids only grow: `AUTOINCREMENT`, one writer, entries never deleted).
    pub fn entries_after(&self, after_id: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox o WHERE o.id > ?1 ORDER BY o.id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![after_id, limit], entry_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// How many entries have an id above `after_id` (what a store has not been sent yet).
    pub fn count_entries_after(&self, after_id: i64) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT count(*) FROM outbox WHERE id > ?1")?
                    .query_row(params![after_id], |r| r.get(0))?,
            )
        })
    }

    /// The users with `waiting_for_key` records (as the records name them), by name.
    pub fn users_waiting_for_key(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT acting_user FROM outbox WHERE state = 'waiting_for_key'
                 ORDER BY acting_user",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// How many `waiting_for_key` records each user has (for tests and the doctor).
    pub fn waiting_for_key_by_user(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT acting_user, count(*) FROM outbox WHERE state = 'waiting_for_key'
                 GROUP BY acting_user ORDER BY acting_user",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// One entry, or `unknown_entry`.
    pub fn entry(&self, id: i64) -> Result<OutboxEntry, StoreError> {
        self.read(|c| find(c, id)?.ok_or(StoreError::UnknownEntry(id)))
    }

    /// The entry with this client id, if any.
    pub fn entry_by_client_id(&self, client_id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox o WHERE o.client_id = ?1"
            ))?
            .query_row(params![client_id], entry_from_row)
            .optional()?)
        })
    }

    /// Counts of non-terminal entries by licence, acting user and state (optionally one licence).
    /// Read from counters kept by triggers: O(1) in the backlog.
    pub fn counts(&self, licence: Option<&str>) -> Result<Vec<StateCount>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT licence, acting_user, state, count FROM outbox_counts
                 WHERE count > 0
                   AND state IN ('pending', 'sending', 'ambiguous', 'rejected', 'waiting_for_key')
                   AND (?1 IS NULL OR licence = ?1)
                 ORDER BY licence, acting_user, state",
            )?;
            let rows = stmt
                .query_map(params![licence], |r| {
                    Ok(StateCount {
                        licence: r.get(0)?,
                        acting_user: r.get(1)?,
                        state: r.get(2)?,
                        count: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// When the oldest record still waiting for Metrc (not confirmed, not voided) happened.
    pub fn oldest_waiting(&self, licence: &str) -> Result<Option<Timestamp>, StoreError> {
        self.read(|c| {
            let ms: Option<i64> = c
                .prepare_cached(
                    "SELECT MIN(occurred_at) FROM outbox INDEXED BY outbox_open_by_occurred
                     WHERE licence = ?1
                       AND state IN ('pending', 'sending', 'ambiguous', 'rejected', 'waiting_for_key')",
                )?
                .query_row(params![licence], |r| r.get(0))?;
            Ok(ms.map(from_ms))
        })
    }

    /// Entries matching `filter`, newest first.
    pub fn list_entries(&self, filter: &EntryFilter) -> Result<Vec<OutboxEntry>, StoreError> {
        let states = filter
            .states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let state_clause = if states.is_empty() {
            String::new()
        } else {
            format!("AND o.state IN ({states})")
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o
             WHERE (?1 IS NULL OR o.licence = ?1) AND (?2 IS NULL OR o.acting_user = ?2)
               AND (?3 IS NULL OR o.kind = ?3) AND (?4 IS NULL OR o.id < ?4) {state_clause}
             ORDER BY o.id DESC LIMIT ?5"
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(
                    params![
                        filter.licence,
                        filter.acting_user,
                        filter.kind.map(EntryKind::as_str),
                        filter.before_id,
                        filter.limit.unwrap_or(100)
                    ],
                    entry_from_row,
                )?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// An entry with its state changes and attempts.
    pub fn entry_history(&self, id: i64) -> Result<EntryHistory, StoreError> {
        self.read(|c| {
            let entry = find(c, id)?.ok_or(StoreError::UnknownEntry(id))?;
            let mut stmt = c.prepare_cached(
                "SELECT at, from_state, to_state, detail FROM outbox_history WHERE entry_id = ?1 ORDER BY id",
            )?;
            let transitions = stmt
                .query_map(params![id], |r| {
                    Ok(Transition {
                        at: from_ms(r.get(0)?),
                        from: r.get(1)?,
                        to: r.get(2)?,
                        detail: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(EntryHistory {
                entry,
                transitions,
                attempts: attempts::for_entry(c, id)?,
            })
        })
    }
}

const PENDING_USERS: &str = "WITH RECURSIVE users(name) AS (
        SELECT (SELECT MIN(acting_user) FROM outbox WHERE state = 'pending' AND licence = ?1)
        UNION ALL
        SELECT (SELECT MIN(acting_user) FROM outbox WHERE state = 'pending' AND licence = ?1 AND acting_user > users.name)
        FROM users WHERE users.name IS NOT NULL)
    SELECT name FROM users WHERE name IS NOT NULL";

impl Database {
    /// The users with pending entries on a licence: one index step per user, however long the
    /// backlog (a loose index scan over `outbox_by_state`).
    pub fn pending_users(&self, licence: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(PENDING_USERS)?;
            let users = stmt
                .query_map(params![licence], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(users)
        })
    }
}
