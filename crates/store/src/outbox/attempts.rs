//! The `attempts` table: the append-only log of every delivery and lookup attempt.
//!
//! Guarantees: rows are only ever inserted; triggers in the schema abort any UPDATE or DELETE, so
//! the history of what was sent to Metrc, when, and what Metrc answered cannot be rewritten.
//! Messages are Metrc's words or ours, never keys.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// What came of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Metrc accepted it.
    Confirmed,
    /// Metrc refused it (400).
    Rejected,
    /// It might have landed (timeout after sending, reset, 5xx, undecodable reply).
    Ambiguous,
    /// It certainly did not leave (connection refused, DNS, TLS).
    NotSent,
    /// 401/403: the key or a permission failed.
    KeyProblem,
    /// 429: slowed down by Metrc.
    RateLimited,
    /// 413: the batch was too big and was split.
    TooLarge,
    /// A lookup found it in Metrc.
    LookupFound,
    /// A lookup did not find it.
    LookupMissed,
    /// A lookup failed (nothing was sent).
    LookupFailed,
}

impl AttemptOutcome {
    const ALL: [AttemptOutcome; 10] = [
        AttemptOutcome::Confirmed,
        AttemptOutcome::Rejected,
        AttemptOutcome::Ambiguous,
        AttemptOutcome::NotSent,
        AttemptOutcome::KeyProblem,
        AttemptOutcome::RateLimited,
        AttemptOutcome::TooLarge,
        AttemptOutcome::LookupFound,
        AttemptOutcome::LookupMissed,
        AttemptOutcome::LookupFailed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Confirmed => "confirmed",
            AttemptOutcome::Rejected => "rejected",
            AttemptOutcome::Ambiguous => "ambiguous",
            AttemptOutcome::NotSent => "not_sent",
            AttemptOutcome::KeyProblem => "key_problem",
            AttemptOutcome::RateLimited => "rate_limited",
            AttemptOutcome::TooLarge => "too_large",
            AttemptOutcome::LookupFound => "lookup_found",
            AttemptOutcome::LookupMissed => "lookup_missed",
            AttemptOutcome::LookupFailed => "lookup_failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// An attempt to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttempt {
    /// The entry.
    pub entry_id: i64,
    /// When.
    pub at: Timestamp,
    /// What came of it.
    pub outcome: AttemptOutcome,
    /// HTTP status, when there was a response.
    pub http_status: Option<u16>,
    /// Metrc's message or ours.
    pub message: Option<String>,
}

/// A logged attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Log row id.
    pub id: i64,
    /// The entry.
    pub entry_id: i64,
    /// When.
    pub at: Timestamp,
    /// What came of it (`None` if written by a newer build with an unknown outcome).
    pub outcome: Option<AttemptOutcome>,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// Message.
    pub message: Option<String>,
}

const INSERT: &str = "INSERT INTO attempts (entry_id, at, outcome, http_status, message) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Every attempt to send one entry, oldest first.
pub fn for_entry(conn: &Connection, entry_id: i64) -> Result<Vec<Attempt>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, entry_id, at, outcome, http_status, message FROM attempts WHERE entry_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![entry_id], |r| {
            Ok(Attempt {
                id: r.get(0)?,
                entry_id: r.get(1)?,
                at: from_ms(r.get(2)?),
                outcome: AttemptOutcome::parse(&r.get::<_, String>(3)?),
                http_status: r.get(4)?,
                message: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

impl Database {
    /// Appends attempts to the log (one transaction).
    pub fn record_attempts(&self, attempts: &[NewAttempt]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(INSERT)?;
            for a in attempts {
                stmt.execute(params![
                    a.entry_id,
                    to_ms(a.at),
                    a.outcome.as_str(),
                    a.http_status,
                    a.message
                ])?;
            }
            Ok(())
        })
    }

    /// The attempts of one entry, oldest first.
    pub fn attempts(&self, entry_id: i64) -> Result<Vec<Attempt>, StoreError> {
        self.read(|c| for_entry(c, entry_id))
    }
}
