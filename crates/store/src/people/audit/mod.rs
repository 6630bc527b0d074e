//! The `audit_log` table: the append-only, tamper-evident record of who did what, and when
//! (sales, voids, corrections, key set / cleared / validated, key mode changes, facility-key
//! overrides, user and PIN changes, settings, restores).
//!
//! Guarantees:
//! - rows are only ever inserted: triggers abort any UPDATE or DELETE, and each row is chained to
//!   the previous one by a SHA-256 hash ([`chain`]), so [`Database::verify_audit`] finds the first
//!   edited or removed row even if someone bypasses the triggers;
//! - an audited change and its audit row commit in the same transaction ([`append`] is called
//!   inside the change's `Database::write`), so neither exists without the other;
//! - entries never hold a secret: callers pass names, last-four characters and reasons, never a
//!   key or a PIN (the canary scan test checks this end to end).

mod action;
mod chain;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use action::AuditAction;
pub use chain::{AuditVerification, ChainRow, verify_rows};

use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// Longest subject or detail text kept; longer text is refused, not cut.
const MAX_TEXT_CHARS: usize = 2000;

/// Something to write to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The app user who did it; `None` for Stateline itself (e.g. a daily check).
    pub actor: Option<String>,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to (a record's client id, a user name, a setting name, ...).
    pub subject: String,
    /// Anything else worth knowing (a reason, old → new values). Never a secret.
    pub detail: String,
}

impl AuditEvent {
    /// An event done by `actor` (an app user name).
    pub fn by(
        actor: &str,
        action: AuditAction,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            actor: Some(actor.to_owned()),
            action,
            subject: subject.into(),
            detail: detail.into(),
        }
    }

    /// An event done by Stateline itself.
    pub fn by_system(
        action: AuditAction,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            actor: None,
            action,
            subject: subject.into(),
            detail: detail.into(),
        }
    }
}

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1 without gaps.
    pub seq: i64,
    /// When it was written.
    pub at: Timestamp,
    /// Who did it (`None`: Stateline itself).
    pub actor: Option<String>,
    /// The action's code (see [`AuditAction::as_str`]).
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// This row's chain hash.
    pub hash: String,
}

/// Which entries to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries at or after this time.
    pub since: Option<Timestamp>,
    /// Only entries before this time.
    pub until: Option<Timestamp>,
    /// Only entries with a sequence number below this (paging backwards).
    pub before_seq: Option<i64>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// At most this many (0: no limit).
    pub limit: usize,
}

const HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
const INSERT: &str =
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const SELECT: &str = "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log
                      WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
                        AND (?3 IS NULL OR seq < ?3) AND (?4 IS NULL OR action = ?4)
                      ORDER BY seq DESC LIMIT ?5";

fn check_text(field: &'static str, text: &str) -> Result<(), StoreError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(StoreError::InvalidInput {
            field,
            detail: format!("it is longer than {MAX_TEXT_CHARS} characters; shorten it"),
        });
    }
    Ok(())
}

/// Appends `event` at time `at`, chained to the current head. Call it inside the transaction of
/// the change it records.
pub fn append(
    conn: &Connection,
    at: Timestamp,
    event: &AuditEvent,
) -> Result<AuditEntry, StoreError> {
    check_text("audit subject", &event.subject)?;
    check_text("audit detail", &event.detail)?;
    let head: Option<(i64, String)> = conn
        .prepare_cached(HEAD)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, chain::GENESIS.to_owned()),
    };
    let at_ms = to_ms(at);
    let hash = chain::row_hash(
        &prev_hash,
        &chain::RowFields {
            seq,
            at_ms,
            actor: event.actor.as_deref(),
            action: event.action.as_str(),
            subject: &event.subject,
            detail: &event.detail,
        },
    );
    conn.prepare_cached(INSERT)?.execute(params![
        seq,
        at_ms,
        event.actor,
        event.action.as_str(),
        event.subject,
        event.detail,
        prev_hash,
        hash
    ])?;
    Ok(AuditEntry {
        seq,
        at: from_ms(at_ms),
        actor: event.actor.clone(),
        action: event.action.as_str().to_owned(),
        subject: event.subject.clone(),
        detail: event.detail.clone(),
        hash,
    })
}

impl Database {
    /// Writes one audit entry on its own (for actions that change nothing else in the store).
    pub fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        let now = self.now();
        self.write(|tx| append(tx, now, &event))
    }

    /// Reads entries, newest first.
    pub fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = if query.limit == 0 {
            -1
        } else {
            query.limit as i64
        };
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(SELECT)?;
            let rows = stmt.query_map(
                params![
                    query.since.map(to_ms),
                    query.until.map(to_ms),
                    query.before_seq,
                    query.action.map(AuditAction::as_str),
                    limit
                ],
                |r| {
                    Ok(AuditEntry {
                        seq: r.get(0)?,
                        at: from_ms(r.get(1)?),
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        subject: r.get(4)?,
                        detail: r.get(5)?,
                        hash: r.get(6)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Checks the whole chain and reports the first broken link.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        self.read(chain::verify)
    }

    /// At most `limit` stored rows after `after_seq`, in order, exactly as stored (for the store
    /// server's copy, which a manager verifies from any register).
    pub fn audit_rows_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainRow>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
                 FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(rusqlite::params![after_seq, limit], chain::chain_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests;
