//! The `adjustments` table: package adjustments (signed deltas with a Metrc reason), and
//! `record_adjustment`.
//!
//! Guarantees: the adjustment, its outbox entry, causal rows and effect commit in one transaction
//! or not at all; the reason must be one of the licence's cached Metrc reasons and carries a note
//! when the reason requires one; a negative adjustment cannot take more than is on hand. The note
//! sent to Metrc carries the token `[<client id>]` so the record can be found in Metrc's adjustment
//! history (see [`reason_note_for_metrc`]).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::outbox::{self, EntryKind, NewEntry, OutboxEntry};
use crate::records::entry_checks;
use crate::records::sales::Recorded;
use crate::records::tickets::{self, Ticket, TicketKind, TicketOutcome};
use crate::time::{from_ms, to_ms};
use crate::{
    Database, Quantity, StoreError, inventory::licences, inventory::packages, records::effects,
};

/// An adjustment to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAdjustment {
    /// Licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// Package label.
    pub label: String,
    /// Signed change (negative removes stock); never zero.
    pub quantity: Quantity,
    /// Unit of measure (must be the package's).
    pub unit_of_measure: String,
    /// Metrc adjustment reason.
    pub reason: String,
    /// Note (required when the reason requires one).
    pub note: Option<String>,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
}

/// A recorded adjustment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Row id.
    pub id: i64,
    /// Client id (in the note token).
    pub client_id: String,
    /// Licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// Label.
    pub label: String,
    /// Signed change.
    pub quantity: Quantity,
    /// Unit.
    pub unit_of_measure: String,
    /// Reason.
    pub reason: String,
    /// Note as entered.
    pub note: Option<String>,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
}

impl Adjustment {
    /// The `ReasonNote` to send to Metrc (the note plus our token).
    pub fn metrc_reason_note(&self) -> String {
        reason_note_for_metrc(self.note.as_deref(), &self.client_id)
    }
}

/// The token that identifies our record in Metrc's adjustment history.
pub fn note_token(client_id: &str) -> String {
    format!("[{client_id}]")
}

/// `note` followed by the token of `client_id`.
pub fn reason_note_for_metrc(note: Option<&str>, client_id: &str) -> String {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} {}", note_token(client_id)),
        None => note_token(client_id),
    }
}

const INSERT: &str =
    "INSERT INTO adjustments (client_id, licence, acting_user, label, quantity, unit_of_measure,
        reason, note, occurred_at, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Validates an adjustment and returns its deltas. `give_back` is what the replaced version took.
#[allow(clippy::too_many_arguments)]
fn validate(
    conn: &Connection,
    licence: &str,
    label: &str,
    quantity: Quantity,
    unit: &str,
    reason: &str,
    note: Option<&str>,
    give_back: Quantity,
) -> Result<effects::Deltas, StoreError> {
    if quantity.milli() == 0 {
        return Err(StoreError::InvalidQuantity {
            what: label.to_owned(),
            detail: "an adjustment of 0 changes nothing; enter the amount gained (positive) or lost (negative)".into(),
        });
    }
    let package = packages::require(conn, licence, label, unit)?;
    let requires_note: Option<bool> = conn
        .prepare_cached(
            "SELECT requires_note FROM adjustment_reasons WHERE licence = ?1 AND name = ?2",
        )?
        .query_row(params![licence, reason], |r| r.get(0))
        .optional()?;
    match requires_note {
        None => {
            return Err(StoreError::UnknownAdjustmentReason {
                reason: reason.to_owned(),
                licence: licence.to_owned(),
            });
        }
        Some(true) if note.is_none_or(|n| n.trim().is_empty()) => {
            return Err(StoreError::NoteRequired {
                reason: reason.to_owned(),
            });
        }
        Some(_) => {}
    }
    if quantity.milli() < 0 {
        packages::ensure_on_hand(&package, -quantity, give_back)?;
    }
    Ok(effects::Deltas::from([(
        label.to_owned(),
        quantity.milli(),
    )]))
}

/// Replaces a rejected adjustment's content (validated; nothing changes on failure).
pub(crate) fn replace_rejected(
    conn: &Connection,
    entry: &OutboxEntry,
    quantity: Quantity,
    reason: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    let (label, unit): (String, String) = conn
        .prepare_cached("SELECT label, unit_of_measure FROM adjustments WHERE id = ?1")?
        .query_row(params![entry.record_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let give_back = Quantity(-effects::entry_delta(conn, entry.id, &label)?);
    let deltas = validate(
        conn,
        &entry.licence,
        &label,
        quantity,
        &unit,
        reason,
        note,
        give_back,
    )?;
    conn.prepare_cached(
        "UPDATE adjustments SET quantity = ?2, reason = ?3, note = ?4 WHERE id = ?1",
    )?
    .execute(params![entry.record_id, quantity.milli(), reason, note])?;
    outbox::transitions_replace_effects(conn, entry, &deltas)
}

impl Database {
    /// Records an adjustment and its outbox entry in one transaction.
    pub fn record_adjustment(&self, adj: &NewAdjustment) -> Result<Recorded, StoreError> {
        match self.record_adjustment_ticketed(adj, None)? {
            TicketOutcome::Recorded(recorded) => Ok(recorded),
            TicketOutcome::Replayed(_) => Err(StoreError::Internal(
                "an adjustment without a ticket was taken for a replay".into(),
            )),
        }
    }

    /// Records an adjustment for a POS ticket (see [`Database::record_sale_for_ticket`]).
    pub fn record_adjustment_for_ticket(
        &self,
        ticket: &Ticket,
        adj: &NewAdjustment,
    ) -> Result<TicketOutcome<Recorded>, StoreError> {
        tickets::check_shape(ticket)?;
        self.record_adjustment_ticketed(adj, Some(ticket))
    }

    fn record_adjustment_ticketed(
        &self,
        adj: &NewAdjustment,
        ticket: Option<&Ticket>,
    ) -> Result<TicketOutcome<Recorded>, StoreError> {
        packages::non_empty("acting user", &adj.acting_user)?;
        packages::non_empty("reason", &adj.reason)?;
        entry_checks::short_text("acting user", &adj.acting_user)?;
        entry_checks::short_text("reason", &adj.reason)?;
        entry_checks::short_text("note", adj.note.as_deref().unwrap_or(""))?;
        entry_checks::not_in_future(adj.occurred_at, self.now())?;
        let client_id = self.new_client_id();
        let now = to_ms(self.now());
        self.write(|tx| {
            if let Some(ticket) = ticket
                && let Some(prior) = tickets::prior(tx, ticket, TicketKind::Adjustment)?
            {
                return Ok(TicketOutcome::Replayed(prior));
            }
            licences::require(tx, &adj.licence)?;
            let deltas = validate(
                tx,
                &adj.licence,
                &adj.label,
                adj.quantity,
                &adj.unit_of_measure,
                &adj.reason,
                adj.note.as_deref(),
                Quantity::ZERO,
            )?;
            tx.prepare_cached(INSERT)?.execute(params![
                client_id,
                adj.licence,
                adj.acting_user,
                adj.label,
                adj.quantity.milli(),
                adj.unit_of_measure,
                adj.reason,
                adj.note,
                to_ms(adj.occurred_at),
                now
            ])?;
            let record_id = tx.last_insert_rowid();
            let entry_id = outbox::insert(
                tx,
                &NewEntry {
                    client_id: &client_id,
                    kind: EntryKind::Adjustment,
                    licence: &adj.licence,
                    acting_user: &adj.acting_user,
                    record_id,
                    occurred_at_ms: to_ms(adj.occurred_at),
                    depends_on: None,
                    deltas: &deltas,
                    creates: &[],
                },
                now,
            )?;
            if let Some(ticket) = ticket {
                tickets::insert(tx, ticket, TicketKind::Adjustment, entry_id, now)?;
            }
            Ok(TicketOutcome::Recorded(Recorded {
                record_id,
                entry_id,
                client_id: client_id.clone(),
            }))
        })
    }

    /// An adjustment by row id.
    pub fn adjustment(&self, id: i64) -> Result<Adjustment, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, client_id, licence, acting_user, label, quantity, unit_of_measure, reason, note, occurred_at
                 FROM adjustments WHERE id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok(Adjustment {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    licence: r.get(2)?,
                    acting_user: r.get(3)?,
                    label: r.get(4)?,
                    quantity: Quantity(r.get(5)?),
                    unit_of_measure: r.get(6)?,
                    reason: r.get(7)?,
                    note: r.get(8)?,
                    occurred_at: from_ms(r.get(9)?),
                })
            })?)
        })
    }
}
