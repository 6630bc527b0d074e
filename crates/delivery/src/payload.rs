//! Turns local records into the exact rows Metrc receives.
//!
//! Guarantees: times are the ORIGINAL times of the records, converted to the licence's local
//! wall-clock time (`SalesDateTime`, no offset) or local date (`AdjustmentDate`, `ActualDate`),
//! however late they are sent; every row carries our identifier (the `ExternalReceiptNumber`, the
//! note token, or the new tag) so it can be looked up after an ambiguous outcome. Building a
//! payload only reads the store.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use stateline_store::records::sales::NewSaleLine;
use stateline_store::{Database, EntryKind, OutboxEntry};

use crate::DeliveryError;

/// The rows of one batch, ready for one Metrc call. All entries of a batch share one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Receipts(Vec<metrc::NewReceipt>),
    Adjustments(Vec<metrc::PackageAdjustment>),
    NewPackages(Vec<metrc::NewPackage>),
    ReceiptUpdates(Vec<metrc::ReceiptUpdate>),
    /// Voids go one per request (`DELETE /sales/v2/receipts/{id}`): the receipt ids.
    Voids(Vec<i64>),
}

impl Payload {
    pub fn len(&self) -> usize {
        match self {
            Self::Receipts(rows) => rows.len(),
            Self::Adjustments(rows) => rows.len(),
            Self::NewPackages(rows) => rows.len(),
            Self::ReceiptUpdates(rows) => rows.len(),
            Self::Voids(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Converts an instant to the facility's local wall-clock time.
pub fn local_date_time(at: Timestamp, tz: &TimeZone) -> jiff::civil::DateTime {
    at.to_zoned(tz.clone()).datetime()
}

fn transactions(lines: &[NewSaleLine]) -> Vec<metrc::NewTransaction> {
    lines
        .iter()
        .map(|line| metrc::NewTransaction {
            package_label: line.label.clone(),
            quantity: line.quantity.to_f64(),
            unit_of_measure: line.unit_of_measure.clone(),
            total_amount: line.total_amount.to_f64(),
            ..Default::default()
        })
        .collect()
}

/// Builds the payload for `entries` (one kind, one licence), in entry order.
pub fn build(db: &Database, entries: &[OutboxEntry]) -> Result<Payload, DeliveryError> {
    let Some(first) = entries.first() else {
        return Ok(Payload::Receipts(Vec::new()));
    };
    let tz = db.licence(&first.licence)?.tz()?;
    match first.kind {
        EntryKind::Sale => entries
            .iter()
            .map(|entry| Ok(receipt_of(&db.sale(entry.record_id)?, &tz)))
            .collect::<Result<_, _>>()
            .map(Payload::Receipts),
        EntryKind::Adjustment => entries
            .iter()
            .map(|entry| Ok(adjustment_row(&db.adjustment(entry.record_id)?, &tz)))
            .collect::<Result<_, DeliveryError>>()
            .map(Payload::Adjustments),
        EntryKind::NewPackage => entries
            .iter()
            .map(|entry| Ok(new_package_row(&db.new_package(entry.record_id)?, &tz)))
            .collect::<Result<_, DeliveryError>>()
            .map(Payload::NewPackages),
        EntryKind::SaleCorrection => entries
            .iter()
            .map(|entry| {
                let correction = db.sale_correction(entry.record_id)?;
                let receipt_id = depends_on_receipt(entry)?;
                let sale = db.sale(correction.sale_id)?;
                Ok(correction_row(&sale, &correction.lines, receipt_id, &tz))
            })
            .collect::<Result<_, DeliveryError>>()
            .map(Payload::ReceiptUpdates),
        EntryKind::SaleVoid => entries
            .iter()
            .map(depends_on_receipt)
            .collect::<Result<_, _>>()
            .map(Payload::Voids),
    }
}

/// The Metrc row of a recorded adjustment (this register's or another's): its original local
/// date and the note carrying its token.
pub fn adjustment_row(
    adjustment: &stateline_store::records::adjustments::Adjustment,
    tz: &TimeZone,
) -> metrc::PackageAdjustment {
    metrc::PackageAdjustment {
        label: adjustment.label.clone(),
        quantity: adjustment.quantity.to_f64(),
        unit_of_measure: adjustment.unit_of_measure.clone(),
        adjustment_reason: adjustment.reason.clone(),
        adjustment_date: local_date_time(adjustment.occurred_at, tz).date(),
        reason_note: Some(adjustment.metrc_reason_note()),
    }
}

/// The Metrc row of a recorded new package: its new tag and original local date.
pub fn new_package_row(
    record: &stateline_store::records::new_packages::NewPackageRecord,
    tz: &TimeZone,
) -> metrc::NewPackage {
    metrc::NewPackage {
        tag: record.tag.clone(),
        location: None,
        sublocation: None,
        item: record.item_name.clone(),
        quantity: record.quantity.to_f64(),
        unit_of_measure: record.unit_of_measure.clone(),
        patient_license_number: None,
        note: None,
        is_production_batch: false,
        production_batch_number: None,
        is_donation: false,
        is_trade_sample: false,
        is_finished_good: false,
        product_requires_remediation: false,
        use_same_item: record.item_name.is_none(),
        actual_date: local_date_time(record.occurred_at, tz).date(),
        expiration_date: None,
        sell_by_date: None,
        use_by_date: None,
        ingredients: record
            .ingredients
            .iter()
            .map(|ingredient| metrc::PackageIngredient {
                package: ingredient.label.clone(),
                quantity: ingredient.quantity.to_f64(),
                unit_of_measure: ingredient.unit_of_measure.clone(),
            })
            .collect(),
    }
}

/// The update of receipt `receipt_id` that a correction of `sale` to `lines` sends: the sale as
/// first reported with the corrected lines.
pub fn correction_row(
    sale: &stateline_store::Sale,
    lines: &[NewSaleLine],
    receipt_id: i64,
    tz: &TimeZone,
) -> metrc::ReceiptUpdate {
    let mut receipt = receipt_of(sale, tz);
    receipt.transactions = transactions(lines);
    metrc::ReceiptUpdate {
        id: receipt_id,
        receipt,
    }
}

/// Sends `payload` to `licence` with `key`: one call per kind (voids one request each); the
/// ids Metrc gave, one per row (`None` when it gave none or not one per row).
pub async fn send(
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
    payload: &Payload,
) -> Result<Vec<Option<i64>>, metrc::MetrcError> {
    let ids = |outcome: metrc::WriteOutcome, expected: usize| -> Vec<Option<i64>> {
        if outcome.ids.len() == expected {
            outcome.ids.into_iter().map(Some).collect()
        } else {
            vec![None; expected]
        }
    };
    match payload {
        Payload::Receipts(rows) => client
            .create_receipts(key, licence, rows)
            .await
            .map(|o| ids(o, rows.len())),
        Payload::Adjustments(rows) => client
            .adjust_packages(key, licence, rows)
            .await
            .map(|o| ids(o, rows.len())),
        Payload::NewPackages(rows) => client
            .create_packages(key, licence, rows)
            .await
            .map(|o| ids(o, rows.len())),
        Payload::ReceiptUpdates(rows) => client
            .update_receipts(key, licence, rows)
            .await
            .map(|()| rows.iter().map(|r| Some(r.id)).collect()),
        Payload::Voids(receipt_ids) => {
            for id in receipt_ids {
                client.void_receipt(key, licence, *id).await?;
            }
            Ok(receipt_ids.iter().map(|id| Some(*id)).collect())
        }
    }
}

/// The Metrc receipt of a recorded sale (this register's, or another register's as the store
/// holds it): its original local time in the licence's zone and its client id as the external
/// receipt number.
pub fn receipt_of(sale: &stateline_store::Sale, tz: &TimeZone) -> metrc::NewReceipt {
    metrc::NewReceipt {
        sales_date_time: local_date_time(sale.occurred_at, tz),
        external_receipt_number: sale.client_id.clone(),
        sales_customer_type: sale.customer_type.clone(),
        patient_license_number: sale.patient_number.clone(),
        caregiver_license_number: sale.caregiver_number.clone(),
        identification_method: sale.identification_method.clone(),
        patient_registration_location_id: None,
        transactions: transactions(&sale.lines),
    }
}

/// Corrections and voids need the Metrc id of the sale they change; the outbox only lets them be
/// claimed once that sale is confirmed, so a missing id is a bug, reported as such.
fn depends_on_receipt(entry: &OutboxEntry) -> Result<i64, DeliveryError> {
    entry.depends_on_metrc_id.ok_or_else(|| {
        DeliveryError::Internal(format!(
            "entry {} was claimed before its sale had a Metrc receipt id",
            entry.id
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_the_facility_wall_clock() {
        let tz = TimeZone::get("America/Denver").expect("tzdb bundled");
        let at: Timestamp = "2026-11-22T21:02:11Z".parse().expect("valid");
        assert_eq!(local_date_time(at, &tz).to_string(), "2026-11-22T14:02:11");
        let summer: Timestamp = "2026-07-01T18:00:00Z".parse().expect("valid");
        assert_eq!(
            local_date_time(summer, &tz).to_string(),
            "2026-07-01T12:00:00"
        );
    }
}
