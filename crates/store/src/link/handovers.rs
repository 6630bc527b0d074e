//! The `handovers` table: this register's records that another register of the store delivers,
//! because that register holds the user's Metrc key and this one does not (the work travels to
//! the key; the key never travels).
//!
//! Guarantees (this register's half of the rule in CONTRIBUTING.md, "Exactly once across
//! registers"):
//! - only a record in `waiting_for_key` that the store already has (at or below the push mark)
//!   and that causal order lets go is handed over — a record in that state has no attempt in
//!   flight here, nothing else can see a record the store does not have, and a record that must
//!   wait for another (a sale from a new tag, a void of an unconfirmed sale) is handed over only
//!   once that one is confirmed;
//! - the handover is written here first, in one transaction; from then on this register can
//!   neither release the record to its own engine (a new key for the user leaves it alone) nor
//!   void it — the schema's transition trigger refuses both;
//! - the outcome another register got comes back through the store and is applied here once, in
//!   the store's order (`confirmed` folds the record's effects like a local confirmation;
//!   `rejected` parks it like a local refusal), with the mark in the same transaction; a record
//!   that came back refused and is resent is this register's again (`resend_rejected` drops the
//!   handover).

use rusqlite::params;

use crate::outbox::{ENTRY_COLUMNS, EntryKind, OutboxEntry, causal, entry_from_row};
use crate::records::effects;
use crate::time::to_ms;
use crate::{Database, StoreError};

/// The setting holding the store's last change of this register's handed-over records applied.
pub const OUTCOMES_PULLED_THROUGH: &str = "link.outcomes_pulled_through";

/// What the register that delivered a handed-over record got from Metrc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverOutcome {
    /// The record (this register's entry id).
    pub entry_id: i64,
    /// `confirmed` or `rejected`.
    pub state: String,
    /// Metrc's id, when confirmed and Metrc gave one.
    pub metrc_id: Option<i64>,
    /// Metrc's words, when rejected.
    pub message: Option<String>,
    /// The register that delivered it (its name in the store).
    pub delivered_by: String,
}

const CONFIRM: &str = "UPDATE outbox SET state = 'confirmed', metrc_id = COALESCE(?2, metrc_id),
        state_changed_at = ?3, last_error = NULL
    WHERE id = ?1 AND state = 'waiting_for_key' AND id IN (SELECT entry_id FROM handovers)";
const REJECT: &str = "UPDATE outbox SET state = 'rejected', last_error = ?2, state_changed_at = ?3
    WHERE id = ?1 AND state = 'waiting_for_key' AND id IN (SELECT entry_id FROM handovers)";

impl Database {
    /// Records waiting for their user's key that the store has (at or below `pushed_through`),
    /// that are not handed over yet and that causal order lets go now (the same rule as
    /// `claim_batch`: nothing earlier of another kind on their packages, no unconfirmed creator
    /// of a tag they use, the sale a void or correction changes confirmed), oldest first. A
    /// record held back here is handed over once what it waits for is confirmed — also when that
    /// came back from another register — so the holder never receives records out of order.
    pub fn handover_candidates(&self, pushed_through: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|c| {
            let mut out = Vec::new();
            for kind in EntryKind::ALL {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM outbox o
                     WHERE o.state = 'waiting_for_key' AND o.kind = ?2 AND o.id <= ?1
                       AND o.id NOT IN (SELECT entry_id FROM handovers)
                       AND {}
                     ORDER BY o.id",
                    causal::unblocked_condition(kind)
                ))?;
                let rows =
                    stmt.query_map(params![pushed_through, kind.as_str()], entry_from_row)?;
                for entry in rows {
                    let entry = entry?;
                    let needs_receipt =
                        matches!(kind, EntryKind::SaleVoid | EntryKind::SaleCorrection);
                    if !needs_receipt || entry.depends_on_metrc_id.is_some() {
                        out.push(entry);
                    }
                }
            }
            out.sort_by_key(|e| e.id);
            Ok(out)
        })
    }

    /// The handed-over records whose outcome has not come back yet, as entries (what the store
    /// is told again after a crash between a handover and its announcement).
    pub fn handed_over_entries(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN handovers h ON h.entry_id = o.id
                 WHERE o.state = 'waiting_for_key' ORDER BY o.id"
            ))?;
            let rows = stmt.query_map([], entry_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Hands these records over (those still `waiting_for_key` and not handed over yet), in one
    /// transaction; returns the ids handed over.
    pub fn hand_over(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let now = to_ms(self.now());
        self.write(|tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO handovers (entry_id, handed_at)
                 SELECT id, ?2 FROM outbox WHERE id = ?1 AND state = 'waiting_for_key'
                 ON CONFLICT (entry_id) DO NOTHING",
            )?;
            let mut handed = Vec::new();
            for &id in ids {
                if insert.execute(params![id, now])? == 1 {
                    handed.push(id);
                }
            }
            Ok(handed)
        })
    }

    /// Handed-over records whose outcome has not come back yet (to announce to the store again
    /// after a crash between the handover and its announcement).
    pub fn handed_over_open(&self) -> Result<Vec<i64>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT h.entry_id FROM handovers h JOIN outbox o ON o.id = h.entry_id
                 WHERE o.state = 'waiting_for_key' ORDER BY h.entry_id",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Whether this entry is handed over to another register.
    pub fn is_handed_over(&self, entry_id: i64) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT count(*) FROM handovers WHERE entry_id = ?1")?
                    .query_row(params![entry_id], |r| r.get::<_, i64>(0))?
                    > 0,
            )
        })
    }

    /// The store's last change of this register's handed-over records applied (0: none).
    pub fn outcomes_pulled_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(OUTCOMES_PULLED_THROUGH)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Applies outcomes of handed-over records and moves [`OUTCOMES_PULLED_THROUGH`] to
    /// `through`, in one transaction (see the module doc); an outcome for a record no longer
    /// waiting (already applied) changes nothing. Returns how many were applied.
    pub fn apply_handover_outcomes(
        &self,
        outcomes: &[HandoverOutcome],
        through: i64,
    ) -> Result<usize, StoreError> {
        let now = to_ms(self.now());
        self.write(|tx| {
            let mut applied = 0;
            for o in outcomes {
                let changed = match o.state.as_str() {
                    "confirmed" => {
                        let n = tx
                            .prepare_cached(CONFIRM)?
                            .execute(params![o.entry_id, o.metrc_id, now])?;
                        if n == 1 {
                            effects::fold(tx, o.entry_id, now)?;
                            causal::remove_all(tx, o.entry_id)?;
                        }
                        n
                    }
                    "rejected" => {
                        let message = format!(
                            "{} (sent by {} with the user's key)",
                            o.message.as_deref().unwrap_or("refused by Metrc"),
                            o.delivered_by
                        );
                        let n = tx
                            .prepare_cached(REJECT)?
                            .execute(params![o.entry_id, message, now])?;
                        if n == 1 {
                            causal::park_uses(tx, o.entry_id)?;
                        }
                        n
                    }
                    _ => 0,
                };
                applied += changed;
            }
            crate::settings::set(tx, OUTCOMES_PULLED_THROUGH, &through.to_string())?;
            Ok(applied)
        })
    }
}
