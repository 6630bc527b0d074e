//! Local records: what a budtender or manager did at the register, each committed together with
//! its outbox entry and its effects on package quantities.
//!
//! Guarantees: a record, its outbox entry and its effects are one transaction; a record is never
//! changed after it is written (a correction or void is a new record that refers to it).

pub mod adjustments;
pub mod corrections;
pub(crate) mod effects;
pub mod entry_checks;
pub mod entry_deltas;
pub mod new_packages;
pub mod sales;
pub mod tickets;
pub mod voids;

use crate::{Database, EntryKind, OutboxEntry, StoreError};

impl Database {
    /// The record an outbox entry stands for, as JSON (its own fields, lines included).
    pub fn record_json(&self, entry: &OutboxEntry) -> Result<serde_json::Value, StoreError> {
        let id = entry.record_id;
        let json = match entry.kind {
            EntryKind::Sale => {
                let (sale, counted) = self.read(|c| {
                    let sale = sales::find(c, id)?
                        .ok_or_else(|| StoreError::UnknownSale(format!("#{id}")))?;
                    Ok::<_, StoreError>((sale, crate::limits::evidence::counted_of(c, id)?))
                })?;
                // The sale and, for other registers' limit checks, what it counted as.
                serde_json::to_value(&sale).map(|mut body| {
                    if let (Some(object), Some(counted)) = (body.as_object_mut(), counted) {
                        object.insert("counted".into(), serde_json::json!(counted));
                    }
                    body
                })
            }
            EntryKind::Adjustment => serde_json::to_value(self.adjustment(id)?),
            EntryKind::NewPackage => serde_json::to_value(self.new_package(id)?),
            EntryKind::SaleCorrection => serde_json::to_value(self.sale_correction(id)?),
            EntryKind::SaleVoid => serde_json::to_value(self.sale_void(id)?),
        };
        json.map_err(|e| StoreError::Internal(format!("record {id} as JSON: {e}")))
    }
}
