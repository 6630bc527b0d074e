//! The state transitions the delivery engine and the manager screens call.
//!
//! Guarantees: each function is one transaction; each state change is a single
//! `UPDATE … WHERE id = ? AND state IN (allowed)` whose affected-row count is checked, so a
//! transition from a state that does not allow it fails with `illegal_transition` and changes
//! nothing. Effects and causal rows follow the state in the same transaction: folded and removed on
//! confirmation, removed on void, parked on rejection.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, Params, params};
use serde::{Deserialize, Serialize};

use crate::outbox::{
    ENTRY_COLUMNS, EntryKind, EntryState, OutboxEntry, causal, entry_from_row, require,
};
use crate::records::sales::NewSaleLine;
use crate::time::to_ms;
use crate::{
    Database, Quantity, StoreError, inventory::packages, records::adjustments, records::effects,
    records::sales,
};

/// A confirmed entry and the id Metrc gave it (`None` when Metrc returns none, e.g. a void).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The entry.
    pub entry_id: i64,
    /// Metrc's id from the response `Ids` or from a lookup.
    pub metrc_id: Option<i64>,
}

/// How a rejected record is changed before it is sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectedEdit {
    /// Send it again as it is (e.g. after the problem was fixed in Metrc).
    Unchanged,
    /// Replace a rejected sale's lines.
    SaleLines(Vec<NewSaleLine>),
    /// Replace a rejected adjustment's quantity, reason and note.
    Adjustment {
        /// Signed quantity.
        quantity: Quantity,
        /// Reason.
        reason: String,
        /// Note.
        note: Option<String>,
    },
}

/// Runs one guarded UPDATE for entry `id`; if it touched no row, says why.
fn transition<P: Params>(
    conn: &Connection,
    id: i64,
    action: &'static str,
    sql: &str,
    params: P,
) -> Result<(), StoreError> {
    if conn.prepare_cached(sql)?.execute(params)? == 1 {
        return Ok(());
    }
    let entry = require(conn, id)?;
    Err(StoreError::IllegalTransition {
        id,
        from: entry.state,
        action,
    })
}

const CONFIRM: &str = "UPDATE outbox SET state = 'confirmed', metrc_id = COALESCE(?2, metrc_id),
        state_changed_at = ?3, last_error = NULL
    WHERE id = ?1 AND state IN ('sending', 'ambiguous')";
const REJECT: &str = "UPDATE outbox SET state = 'rejected', last_error = ?2, state_changed_at = ?3
    WHERE id = ?1 AND state = 'sending'";
const AMBIGUOUS: &str =
    "UPDATE outbox SET state = 'ambiguous', last_error = ?2, state_changed_at = ?3,
        ambiguous_since = ?3, lookup_misses = 0, last_lookup_at = NULL
    WHERE id = ?1 AND state = 'sending'";
const RELEASE: &str = "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, last_error = ?3,
        state_changed_at = ?4
    WHERE id = ?1 AND state = 'sending'";
const VOID: &str =
    "UPDATE outbox SET state = 'voided', void_reason = ?2, voided_by = ?3, state_changed_at = ?4
    WHERE id = ?1 AND (state IN ('pending', 'rejected')
        OR (state = 'waiting_for_key' AND id NOT IN (SELECT entry_id FROM handovers)))";
const LOOKUP_MISS: &str = "UPDATE outbox SET lookup_misses = lookup_misses + 1, last_lookup_at = ?2
    WHERE id = ?1 AND state = 'ambiguous' RETURNING lookup_misses";
const RESEND_AFTER_MISSES: &str =
    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, state_changed_at = ?2,
        last_error = 'not found in Metrc after two lookups; sending again with the same identifier',
        ambiguous_since = NULL, lookup_misses = 0, last_lookup_at = NULL
    WHERE id = ?1 AND state = 'ambiguous' AND lookup_misses >= 2";
const RESEND_REJECTED: &str =
    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, state_changed_at = ?2
    WHERE id = ?1 AND state = 'rejected'";
const RECOVER: &str = "UPDATE outbox SET state = 'ambiguous', state_changed_at = ?1, ambiguous_since = ?1,
        lookup_misses = 0, last_lookup_at = NULL,
        last_error = 'the app stopped while this was being sent; it will be looked up before any resend'
    WHERE state = 'sending'";

impl Database {
    /// `sending`/`ambiguous` → `confirmed`, storing Metrc's id and folding the record's effects into
    /// `metrc_quantity`, all in one transaction (all entries or none).
    pub fn mark_confirmed(
        &self,
        entries: &[Confirmation],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let now_ms = to_ms(now);
        self.write(|tx| {
            for c in entries {
                transition(
                    tx,
                    c.entry_id,
                    "confirm",
                    CONFIRM,
                    params![c.entry_id, c.metrc_id, now_ms],
                )?;
                effects::fold(tx, c.entry_id, now_ms)?;
                causal::remove_all(tx, c.entry_id)?;
            }
            Ok(())
        })
    }

    /// `sending` → `rejected` with Metrc's message. Its effects keep counting (the goods left the
    /// store); it stops blocking other records except through the tags it creates.
    pub fn mark_rejected(&self, id: i64, message: &str) -> Result<(), StoreError> {
        let now_ms = to_ms(self.now());
        self.write(|tx| {
            transition(tx, id, "reject", REJECT, params![id, message, now_ms])?;
            causal::park_uses(tx, id)
        })
    }

    /// `sending` → `ambiguous` (might have reached Metrc): it will be looked up before any resend.
    pub fn mark_ambiguous(
        &self,
        ids: &[i64],
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let now_ms = to_ms(now);
        self.write(|tx| {
            for &id in ids {
                transition(
                    tx,
                    id,
                    "mark as ambiguous",
                    AMBIGUOUS,
                    params![id, reason, now_ms],
                )?;
            }
            Ok(())
        })
    }

    /// `sending` → `pending`: the request certainly did not reach Metrc; retry at `next_attempt_at`.
    pub fn release_not_sent(
        &self,
        ids: &[i64],
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let now_ms = to_ms(self.now());
        let next_ms = to_ms(next_attempt_at);
        self.write(|tx| {
            for &id in ids {
                transition(
                    tx,
                    id,
                    "release",
                    RELEASE,
                    params![id, next_ms, error, now_ms],
                )?;
            }
            Ok(())
        })
    }

    /// `pending` → `waiting_for_key` for every entry of `acting_user` (on one licence, or all). Call
    /// after that user's key was refused, once the refused batch was released to `pending`. Entries
    /// still `sending` belong to requests in flight and are settled by their own outcome: parking
    /// them could hide a confirmation and lead to a resend. Returns how many entries now wait.
    pub fn mark_waiting_for_key(
        &self,
        acting_user: &str,
        licence: Option<&str>,
    ) -> Result<usize, StoreError> {
        let now_ms = to_ms(self.now());
        let message = format!("Metrc refused the key of {acting_user}; waiting for a new key");
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'waiting_for_key', last_error = ?3, state_changed_at = ?4
                     WHERE state = 'pending' AND acting_user = ?1
                       AND (?2 IS NULL OR licence = ?2)",
                )?
                .execute(params![acting_user, licence, message, now_ms])?;
            Ok(n)
        })
    }

    /// `waiting_for_key` → `pending` for every entry of `acting_user` (their key was replaced),
    /// except those handed over to another register of the store.
    /// Original times are unchanged. Returns how many were released.
    pub fn release_waiting_for_key(&self, acting_user: &str) -> Result<usize, StoreError> {
        let now_ms = to_ms(self.now());
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, state_changed_at = ?2
                     WHERE state = 'waiting_for_key' AND acting_user = ?1
                       AND id NOT IN (SELECT entry_id FROM handovers)",
                )?
                .execute(params![acting_user, now_ms])?;
            Ok(n)
        })
    }

    /// `pending`/`rejected`/`waiting_for_key` → `voided` (a manager withdraws a record that is
    /// certainly not in Metrc). Its effects are discarded (the goods count as on hand again).
    ///
    /// Refused for `sending` and `ambiguous` (it may already be in Metrc: look it up first), for
    /// `confirmed` (void the sale in Metrc with `record_sale_void` instead), when a void or
    /// correction depends on it, and when a later record uses a tag it creates.
    pub fn void_entry(&self, id: i64, reason: &str, by: &str) -> Result<(), StoreError> {
        packages::non_empty("void reason", reason)?;
        packages::non_empty("voiding user", by)?;
        let now_ms = to_ms(self.now());
        self.write(|tx| {
            let dependents: Vec<String> = tx
                .prepare_cached(
                    "SELECT client_id FROM outbox WHERE depends_on = ?1 AND state <> 'voided' LIMIT 5",
                )?
                .query_map(params![id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let users: Vec<String> = tx
                .prepare_cached(
                    "SELECT DISTINCT o.client_id FROM outbox_packages c
                     JOIN outbox_packages u ON u.label = c.label AND u.role = 'uses' AND u.entry_id <> c.entry_id
                     JOIN outbox o ON o.id = u.entry_id
                     WHERE c.entry_id = ?1 AND c.role = 'creates' LIMIT 5",
                )?
                .query_map(params![id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let blocking = [dependents, users].concat();
            if !blocking.is_empty() {
                require(tx, id)?;
                return Err(StoreError::EntryHasDependents {
                    id,
                    detail: blocking.join(", "),
                });
            }
            transition(tx, id, "void", VOID, params![id, reason, by, now_ms])?;
            let entry = require(tx, id)?;
            crate::people::audit::append(
                tx,
                crate::time::from_ms(now_ms),
                &crate::people::audit::AuditEvent::by(
                    by,
                    crate::people::audit::AuditAction::RecordVoided,
                    &entry.client_id,
                    format!("{} withdrawn before it reached Metrc: {reason}", entry.kind),
                ),
            )?;
            effects::discard(tx, id)?;
            causal::remove_all(tx, id)
        })
    }

    /// On start-up: every `sending` entry becomes `ambiguous` (a request may have been in flight).
    pub fn recover_sending_on_start(&self) -> Result<usize, StoreError> {
        let now_ms = to_ms(self.now());
        self.write(|tx| Ok(tx.prepare_cached(RECOVER)?.execute(params![now_ms])?))
    }

    /// Ambiguous entries due for a lookup: never looked up, or last looked up at least `settle` ago.
    pub fn ambiguous_due(
        &self,
        now: Timestamp,
        settle: SignedDuration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let cutoff = to_ms(now.saturating_sub(settle).unwrap_or(now));
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox o INDEXED BY outbox_ambiguous
                 WHERE o.state = 'ambiguous' AND IFNULL(o.last_lookup_at, 0) <= ?1 ORDER BY o.id"
            ))?;
            let rows = stmt
                .query_map(params![cutoff], entry_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// A lookup did not find an ambiguous entry; returns the number of misses so far. The engine
    /// spaces lookups by its settle window (see `ambiguous_due`).
    pub fn record_lookup_miss(&self, id: i64, now: Timestamp) -> Result<u32, StoreError> {
        let now_ms = to_ms(now);
        self.write(|tx| {
            let misses: Option<u32> = tx
                .prepare_cached(LOOKUP_MISS)?
                .query_map(params![id, now_ms], |r| r.get(0))?
                .next()
                .transpose()?;
            match misses {
                Some(m) => Ok(m),
                None => Err(StoreError::IllegalTransition {
                    id,
                    from: require(tx, id)?.state,
                    action: "record a lookup miss for",
                }),
            }
        })
    }

    /// `ambiguous` → `pending` with the SAME client id, only after at least two lookups missed it.
    pub fn resend_after_misses(&self, id: i64) -> Result<(), StoreError> {
        let now_ms = to_ms(self.now());
        self.write(|tx| {
            transition(
                tx,
                id,
                "resend (it needs two missed lookups first)",
                RESEND_AFTER_MISSES,
                params![id, now_ms],
            )
        })
    }

    /// `rejected` → `pending`, optionally with corrected content (validated like a new record;
    /// nothing changes if validation fails). The client id and the original time are kept; `by`
    /// (who resolved it) is written to the audit log in the same transaction.
    pub fn edit_rejected_and_resend(
        &self,
        id: i64,
        edit: &RejectedEdit,
        by: &str,
        now: Timestamp,
    ) -> Result<OutboxEntry, StoreError> {
        let now_ms = to_ms(now);
        self.write(|tx| {
            let entry = require(tx, id)?;
            if entry.state != EntryState::Rejected {
                return Err(StoreError::IllegalTransition {
                    id,
                    from: entry.state,
                    action: "edit and resend",
                });
            }
            match (edit, entry.kind) {
                (RejectedEdit::Unchanged, _) => causal::unpark(tx, id, entry.kind)?,
                (RejectedEdit::SaleLines(lines), EntryKind::Sale) => {
                    sales::replace_rejected_lines(tx, &entry, lines)?
                }
                (RejectedEdit::Adjustment { quantity, reason, note }, EntryKind::Adjustment) => {
                    adjustments::replace_rejected(tx, &entry, *quantity, reason, note.as_deref())?
                }
                (_, kind) => {
                    return Err(StoreError::InvalidInput {
                        field: "edit",
                        detail: format!(
                            "this edit does not fit a {kind} record; void it and record it again instead"
                        ),
                    });
                }
            }
            transition(tx, id, "edit and resend", RESEND_REJECTED, params![id, now_ms])?;
            // A record that came back refused from the register that delivered it is this
            // register's again.
            tx.prepare_cached("DELETE FROM handovers WHERE entry_id = ?1")?
                .execute(params![id])?;
            let detail = match edit {
                RejectedEdit::Unchanged => "resent unchanged",
                _ => "edited and resent",
            };
            crate::people::audit::append(
                tx,
                now,
                &crate::people::audit::AuditEvent::by(
                    by,
                    crate::people::audit::AuditAction::RejectedResent,
                    &entry.client_id,
                    detail,
                ),
            )?;
            require(tx, id)
        })
    }
}

/// Replaces an entry's effects and causal rows (used when a rejected record is edited).
pub(crate) fn replace_effects(
    conn: &Connection,
    entry: &OutboxEntry,
    deltas: &effects::Deltas,
) -> Result<(), StoreError> {
    effects::discard(conn, entry.id)?;
    causal::remove_all(conn, entry.id)?;
    for label in deltas.keys() {
        causal::insert(conn, entry.id, label, entry.kind, causal::Role::Uses)?;
    }
    effects::insert(conn, entry.id, deltas)
}
