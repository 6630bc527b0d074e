//! The `sale_corrections` and `sale_correction_lines` tables: corrections of a sale reported to
//! Metrc (`PUT /sales/v2/receipts` with the receipt id), and `record_sale_correction`.
//!
//! Guarantees: a correction replaces the sale's current lines; its entry depends on the sale's
//! entry, so it is sent only after the sale is confirmed (and then carries the sale's Metrc receipt
//! id in `depends_on_metrc_id`); its effect is the difference between the old and new lines, and
//! the new lines are checked against on hand with the old lines given back. A sale that was
//! withdrawn, refused by Metrc or already voided cannot be corrected.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::outbox::{self, EntryKind, EntryState, NewEntry, OutboxEntry};
use crate::records::sales::{self, NewSaleLine, Recorded, Sale};
use crate::time::{from_ms, to_ms};
use crate::{Database, Quantity, StoreError, inventory::packages};

/// A correction to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSaleCorrection {
    /// The sale's client id (ExternalReceiptNumber).
    pub sale_client_id: String,
    /// Who corrects it.
    pub acting_user: String,
    /// The full replacement lines.
    pub lines: Vec<NewSaleLine>,
}

/// A recorded correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleCorrection {
    /// Row id.
    pub id: i64,
    /// Client id of the correction.
    pub client_id: String,
    /// The sale it corrects.
    pub sale_id: i64,
    /// Who corrected it.
    pub acting_user: String,
    /// When (UTC).
    pub occurred_at: jiff::Timestamp,
    /// Replacement lines.
    pub lines: Vec<NewSaleLine>,
}

const INSERT_LINE: &str = "INSERT INTO sale_correction_lines (correction_id, line_no, label, quantity, unit_of_measure, total_cents)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// The latest correction of a sale whose entry was not withdrawn.
pub(crate) fn latest_live(conn: &Connection, sale_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT c.id FROM sale_corrections c JOIN outbox o ON o.client_id = c.client_id
             WHERE c.sale_id = ?1 AND o.state <> 'voided' ORDER BY c.id DESC LIMIT 1",
        )?
        .query_row(params![sale_id], |r| r.get(0))
        .optional()?)
}

/// The lines of a correction.
pub fn lines(conn: &Connection, correction_id: i64) -> Result<Vec<NewSaleLine>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT label, quantity, unit_of_measure, total_cents FROM sale_correction_lines
         WHERE correction_id = ?1 ORDER BY line_no",
    )?;
    let rows = stmt
        .query_map(params![correction_id], |r| {
            Ok(NewSaleLine {
                label: r.get(0)?,
                quantity: Quantity(r.get(1)?),
                unit_of_measure: r.get(2)?,
                total_amount: crate::Money(r.get(3)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The sale and its entry, if the sale may still be voided or corrected in Metrc.
pub(crate) fn changeable_sale(
    conn: &Connection,
    client_id: &str,
    action: &'static str,
) -> Result<(Sale, OutboxEntry), StoreError> {
    let sale = sales::find_by_client_id(conn, client_id)?
        .ok_or_else(|| StoreError::UnknownSale(client_id.to_owned()))?;
    let entry_id: i64 = conn
        .prepare_cached("SELECT id FROM outbox WHERE client_id = ?1")?
        .query_row(params![client_id], |r| r.get(0))?;
    let entry = outbox::require(conn, entry_id)?;
    let refuse = |why: &str| StoreError::SaleNotChangeable {
        client_id: client_id.to_owned(),
        action,
        why: why.to_owned(),
    };
    match entry.state {
        EntryState::Voided => return Err(refuse("it was withdrawn before it reached Metrc")),
        EntryState::Rejected => {
            return Err(refuse(
                "Metrc refused it, so it is not in Metrc; edit and resend it, or withdraw it, from the Sync screen",
            ));
        }
        _ => {}
    }
    let voided: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sale_voids v JOIN outbox o ON o.client_id = v.client_id
                            WHERE v.sale_id = ?1 AND o.state <> 'voided')",
        )?
        .query_row(params![sale.id], |r| r.get(0))?;
    if voided {
        return Err(refuse("it has already been voided"));
    }
    Ok((sale, entry))
}

impl Database {
    /// Records a correction of a sale; it is sent after the sale is confirmed.
    pub fn record_sale_correction(&self, c: &NewSaleCorrection) -> Result<Recorded, StoreError> {
        packages::non_empty("acting user", &c.acting_user)?;
        let client_id = self.new_client_id();
        let now = to_ms(self.now());
        self.write(|tx| {
            let (sale, sale_entry) = changeable_sale(tx, &c.sale_client_id, "corrected")?;
            let old = |label: &str| {
                Ok(sale
                    .current_lines
                    .iter()
                    .filter(|l| l.label == label)
                    .fold(Quantity::ZERO, |acc, l| acc + l.quantity))
            };
            let mut deltas = sales::validate_lines(tx, &sale.licence, &c.lines, &old)?;
            for l in &sale.current_lines {
                *deltas.entry(l.label.clone()).or_default() += l.quantity.milli();
            }
            tx.prepare_cached(
                "INSERT INTO sale_corrections (client_id, sale_id, acting_user, occurred_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![client_id, sale.id, c.acting_user, now])?;
            let record_id = tx.last_insert_rowid();
            sales::insert_lines(tx, INSERT_LINE, record_id, &c.lines)?;
            let entry_id = outbox::insert(
                tx,
                &NewEntry {
                    client_id: &client_id,
                    kind: EntryKind::SaleCorrection,
                    licence: &sale.licence,
                    acting_user: &c.acting_user,
                    record_id,
                    occurred_at_ms: now,
                    depends_on: Some(sale_entry.id),
                    deltas: &deltas,
                    creates: &[],
                },
                now,
            )?;
            crate::people::audit::append(
                tx,
                crate::time::from_ms(now),
                &crate::people::audit::AuditEvent::by(
                    &c.acting_user,
                    crate::people::audit::AuditAction::SaleCorrected,
                    &c.sale_client_id,
                    format!("correction {client_id}, {} line(s)", c.lines.len()),
                ),
            )?;
            Ok(Recorded {
                record_id,
                entry_id,
                client_id: client_id.clone(),
            })
        })
    }

    /// A correction by row id.
    pub fn sale_correction(&self, id: i64) -> Result<SaleCorrection, StoreError> {
        self.read(|c| {
            let mut rec = c
                .prepare_cached(
                    "SELECT id, client_id, sale_id, acting_user, occurred_at FROM sale_corrections WHERE id = ?1",
                )?
                .query_row(params![id], |r| {
                    Ok(SaleCorrection {
                        id: r.get(0)?,
                        client_id: r.get(1)?,
                        sale_id: r.get(2)?,
                        acting_user: r.get(3)?,
                        occurred_at: from_ms(r.get(4)?),
                        lines: Vec::new(),
                    })
                })
                .optional()?
                .ok_or(StoreError::UnknownEntry(id))?;
            rec.lines = lines(c, id)?;
            Ok(rec)
        })
    }
}
