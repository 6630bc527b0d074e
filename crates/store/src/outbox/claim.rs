//! `claim_batch`: atomically move the next eligible pending entries to `sending`.
//!
//! Guarantees: the move to `sending` (and the attempt count) is committed before this returns, so
//! before any network call; entries come in id order; only entries allowed by causal order (see
//! [`super::causal`]) and due (`next_attempt_at <= now`) are taken; the query walks a partial index
//! of pending entries in id order, so its cost grows with the batch, not with the backlog.
//! (Entries skipped because causal order blocks them are walked past on every claim, so a long run
//! of blocked entries at the head of one licence and kind costs in proportion to that run.)

use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::outbox::{ENTRY_COLUMNS, EntryKind, OutboxEntry, causal, entry_from_row};
use crate::time::to_ms;
use crate::{Database, StoreError};

/// The candidate query; `?1` licence, `?2` kind, `?3` now, `?4` limit, `?5` acting user.
pub(crate) fn candidates_sql(kind: EntryKind, by_user: bool) -> String {
    let (index, user) = if by_user {
        ("outbox_claim_user", "AND o.acting_user = ?5")
    } else {
        ("outbox_claim", "")
    };
    format!(
        "SELECT o.id FROM outbox o INDEXED BY {index}
         WHERE o.state = 'pending' AND o.licence = ?1 AND o.kind = ?2 {user}
           AND o.next_attempt_at <= ?3
           AND {}
         ORDER BY o.id LIMIT ?4",
        causal::unblocked_condition(kind)
    )
}

const TO_SENDING: &str =
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, state_changed_at = ?2
    WHERE id = ?1 AND state = 'pending'";

fn claim(
    conn: &Connection,
    licence: &str,
    kind: EntryKind,
    acting_user: Option<&str>,
    limit: usize,
    now: Timestamp,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let now_ms = to_ms(now);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare_cached(&candidates_sql(kind, acting_user.is_some()))?;
        match acting_user {
            Some(user) => stmt
                .query_map(params![licence, kind.as_str(), now_ms, limit, user], |r| {
                    r.get(0)
                })?
                .collect::<Result<_, _>>()?,
            None => stmt
                .query_map(params![licence, kind.as_str(), now_ms, limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        }
    };
    let mut update = conn.prepare_cached(TO_SENDING)?;
    let mut select = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox o WHERE o.id = ?1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if update.execute(params![id, now_ms])? == 1 {
            out.push(select.query_row(params![id], entry_from_row)?);
        }
    }
    Ok(out)
}

impl Database {
    /// Moves up to `limit` eligible pending entries of one licence and kind (optionally of one
    /// acting user) to `sending`, increments their attempts, commits, and returns them in id order.
    pub fn claim_batch(
        &self,
        licence: &str,
        kind: EntryKind,
        acting_user: Option<&str>,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.write(|tx| claim(tx, licence, kind, acting_user, limit, now))
    }

    /// The query plan of `claim_batch` (for tests and `doctor`): one line per plan step.
    pub fn claim_query_plan(
        &self,
        kind: EntryKind,
        by_user: bool,
    ) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let sql = format!("EXPLAIN QUERY PLAN {}", candidates_sql(kind, by_user));
            let mut stmt = c.prepare(&sql)?;
            let lines = if by_user {
                stmt.query_map(params!["L", kind.as_str(), 0, 10, "u"], |r| {
                    r.get::<_, String>(3)
                })?
                .collect::<Result<_, _>>()?
            } else {
                stmt.query_map(params!["L", kind.as_str(), 0, 10], |r| {
                    r.get::<_, String>(3)
                })?
                .collect::<Result<_, _>>()?
            };
            Ok(lines)
        })
    }
}
