//! The `sale_voids` table: voids of sales reported to Metrc (`DELETE /sales/v2/receipts/{id}`), and
//! `record_sale_void`.
//!
//! Guarantees: a void's entry depends on the sale's entry, so it is sent only after the sale is
//! confirmed and then carries the sale's Metrc receipt id (`depends_on_metrc_id`); its effect gives
//! the sale's current lines back to stock; a sale can have at most one live void; a sale that was
//! withdrawn locally or refused by Metrc cannot be voided in Metrc (withdraw the record instead).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::outbox::{self, EntryKind, NewEntry};
use crate::records::corrections::changeable_sale;
use crate::records::sales::Recorded;
use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError, inventory::packages, records::effects};

/// A recorded void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleVoid {
    /// Row id.
    pub id: i64,
    /// Client id of the void.
    pub client_id: String,
    /// The sale voided.
    pub sale_id: i64,
    /// Why.
    pub reason: String,
    /// Who.
    pub voided_by: String,
    /// When (UTC).
    pub occurred_at: Timestamp,
}

impl Database {
    /// Records the void of a sale (identified by its client id); sent after the sale is confirmed.
    pub fn record_sale_void(
        &self,
        sale_client_id: &str,
        reason: &str,
        by: &str,
    ) -> Result<Recorded, StoreError> {
        packages::non_empty("void reason", reason)?;
        packages::non_empty("voiding user", by)?;
        let client_id = self.new_client_id();
        let now = to_ms(self.now());
        self.write(|tx| {
            let (sale, sale_entry) = changeable_sale(tx, sale_client_id, "voided")?;
            let mut deltas = effects::Deltas::new();
            for l in &sale.current_lines {
                *deltas.entry(l.label.clone()).or_default() += l.quantity.milli();
            }
            tx.prepare_cached(
                "INSERT INTO sale_voids (client_id, sale_id, reason, voided_by, occurred_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute(params![client_id, sale.id, reason, by, now])?;
            let record_id = tx.last_insert_rowid();
            let entry_id = outbox::insert(
                tx,
                &NewEntry {
                    client_id: &client_id,
                    kind: EntryKind::SaleVoid,
                    licence: &sale.licence,
                    acting_user: by,
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
                    by,
                    crate::people::audit::AuditAction::SaleVoided,
                    sale_client_id,
                    format!("void {client_id}: {reason}"),
                ),
            )?;
            Ok(Recorded {
                record_id,
                entry_id,
                client_id: client_id.clone(),
            })
        })
    }

    /// A void by row id.
    pub fn sale_void(&self, id: i64) -> Result<SaleVoid, StoreError> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, client_id, sale_id, reason, voided_by, occurred_at FROM sale_voids WHERE id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok(SaleVoid {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    sale_id: r.get(2)?,
                    reason: r.get(3)?,
                    voided_by: r.get(4)?,
                    occurred_at: from_ms(r.get(5)?),
                })
            })
            .optional()?
            .ok_or(StoreError::UnknownEntry(id))
        })
    }
}
