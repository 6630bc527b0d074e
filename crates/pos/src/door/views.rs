//! What the register holds, in Metrc's shapes: its sales as receipts (with the door's ids) and
//! its packages with local on hand.
//!
//! Guarantees: a sale recorded at this register is always shown under the same `Id` — its local
//! outbox entry id, the id the door answered its POST with — before and after Metrc confirmed it,
//! so a POS can keep the id it was given; its `ExternalReceiptNumber` is the POS's own number
//! (the ticket) when it came through the door, else the register's; its lines are the current
//! ones (after the latest live correction); a sale with a live void carries `ArchivedDate`; a
//! package's `Quantity` is the local on hand (Metrc's last known quantity plus every local record
//! not yet confirmed).

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metrc::{Package as MetrcPackage, PackageItem, Receipt, ReceiptTransaction};
use stateline_store::{
    Database, EntryFilter, EntryKind, EntryState, OutboxEntry, Package, Sale, StoreError,
};

use super::wire::{local_wall_clock, with_offset};

/// The most sales a read looks at (newest first).
const MAX_LOCAL_SALES: u32 = 5000;

/// A sale of this register with what the door shows of it.
#[derive(Debug, Clone)]
pub(crate) struct LocalSale {
    /// Its outbox entry (the door's id is `entry.id`).
    pub entry: OutboxEntry,
    /// The sale and its lines.
    pub sale: Sale,
    /// The POS's number, when it came through the door.
    pub ticket: Option<String>,
    /// When its live void was recorded, if it has one.
    pub voided_at: Option<Timestamp>,
}

impl LocalSale {
    /// The number the POS knows it by.
    pub fn external_number(&self) -> String {
        self.ticket
            .clone()
            .unwrap_or_else(|| self.sale.client_id.clone())
    }

    /// Whether it belongs in the active list (not voided, not withdrawn, not refused by Metrc).
    pub fn is_active(&self) -> bool {
        self.voided_at.is_none()
            && !matches!(self.entry.state, EntryState::Voided | EntryState::Rejected)
    }

    /// It as Metrc's receipt shape.
    pub fn receipt(&self, tz: &TimeZone) -> Receipt {
        let lines = &self.sale.current_lines;
        let total: i64 = lines.iter().map(|l| l.total_amount.cents()).sum();
        Receipt {
            id: self.entry.id,
            receipt_number: None,
            external_receipt_number: Some(self.external_number()),
            sales_date_time: Some(local_wall_clock(self.sale.occurred_at, tz)),
            sales_customer_type: Some(self.sale.customer_type.clone()),
            patient_license_number: self.sale.patient_number.clone(),
            caregiver_license_number: self.sale.caregiver_number.clone(),
            identification_method: self.sale.identification_method.clone(),
            patient_registration_location_id: None,
            total_packages: Some(lines.len() as i64),
            total_price: Some(total as f64 / 100.0),
            transactions: lines
                .iter()
                .map(|l| ReceiptTransaction {
                    package_label: Some(l.label.clone()),
                    quantity_sold: Some(l.quantity.to_f64()),
                    unit_of_measure_name: Some(l.unit_of_measure.clone()),
                    total_price: Some(l.total_amount.to_f64()),
                    last_modified: Some(with_offset(self.entry.state_changed_at)),
                    ..ReceiptTransaction::default()
                })
                .collect(),
            is_final: false,
            archived_date: self.voided_at.map(with_offset),
            recorded_date_time: Some(with_offset(self.entry.created_at)),
            recorded_by_user_name: Some(self.sale.acting_user.clone()),
            last_modified: Some(with_offset(self.last_modified())),
        }
    }

    /// Its `LastModified`: the latest of its state change and its void.
    pub fn last_modified(&self) -> Timestamp {
        self.voided_at.map_or(self.entry.state_changed_at, |v| {
            v.max(self.entry.state_changed_at)
        })
    }
}

/// When each sale (by entry id) of `licence` got a live void.
fn live_voids(db: &Database, licence: &str) -> Result<HashMap<i64, Timestamp>, StoreError> {
    let voids = db.list_entries(&EntryFilter {
        licence: Some(licence.to_owned()),
        kind: Some(EntryKind::SaleVoid),
        limit: Some(MAX_LOCAL_SALES),
        ..EntryFilter::default()
    })?;
    Ok(voids
        .into_iter()
        .filter(|v| v.state != EntryState::Voided)
        .filter_map(|v| Some((v.depends_on?, v.created_at)))
        .collect())
}

fn assemble(
    db: &Database,
    entry: OutboxEntry,
    voids: &HashMap<i64, Timestamp>,
) -> Result<LocalSale, StoreError> {
    Ok(LocalSale {
        sale: db.sale(entry.record_id)?,
        ticket: db.entry_ticket(entry.id)?,
        voided_at: voids.get(&entry.id).copied(),
        entry,
    })
}

/// The sales of `licence` recorded at this register, newest first.
pub(crate) fn local_sales(db: &Database, licence: &str) -> Result<Vec<LocalSale>, StoreError> {
    let voids = live_voids(db, licence)?;
    db.list_entries(&EntryFilter {
        licence: Some(licence.to_owned()),
        kind: Some(EntryKind::Sale),
        limit: Some(MAX_LOCAL_SALES),
        ..EntryFilter::default()
    })?
    .into_iter()
    .map(|entry| assemble(db, entry, &voids))
    .collect()
}

/// The sale the door answered with `id` (at `licence`, when given).
pub(crate) fn local_sale(
    db: &Database,
    licence: Option<&str>,
    id: i64,
) -> Result<Option<LocalSale>, StoreError> {
    let entry = match db.entry(id) {
        Ok(entry) => entry,
        Err(StoreError::UnknownEntry(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if entry.kind != EntryKind::Sale || licence.is_some_and(|l| l != entry.licence) {
        return Ok(None);
    }
    let voids = live_voids(db, &entry.licence)?;
    assemble(db, entry, &voids).map(Some)
}

/// A local package in Metrc's shape, over Metrc's own record of it when there is one.
pub(crate) fn package_view(local: &Package, metrc: Option<MetrcPackage>) -> MetrcPackage {
    let mut view = metrc.unwrap_or_else(|| MetrcPackage {
        label: local.label.clone(),
        unit_of_measure_name: Some(local.unit_of_measure.clone()),
        last_modified: local.last_modified.map(with_offset),
        item: Some(PackageItem {
            name: Some(local.item_name.clone()),
            unit_of_measure_name: Some(local.unit_of_measure.clone()),
            ..PackageItem::default()
        }),
        ..MetrcPackage::default()
    });
    view.quantity = local.on_hand.to_f64();
    view
}
