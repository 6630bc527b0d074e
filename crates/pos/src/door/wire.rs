//! The door's request bodies, field for field as Metrc's v2 reference names them (PascalCase;
//! unknown fields ignored), and the Metrc shapes of what the register holds locally (receipts,
//! packages), with Metrc's time formats.
//!
//! Guarantees: a request is re-serialised from these types for its canonical hash, so whitespace,
//! key order or fields Stateline does not use never make a retry a conflict; `SalesDateTime` is
//! read and written as the facility's local wall-clock time without offset (`…T14:02:11.000`);
//! other times are written with an offset, as Metrc answers them.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// One line of a receipt (`Transactions[]` of `POST/PUT /sales/v2/receipts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DoorTransaction {
    /// The package sold from.
    #[serde(default)]
    pub package_label: String,
    /// Quantity sold.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// Its unit (the package's when left out).
    #[serde(default)]
    pub unit_of_measure: Option<String>,
    /// What the line cost in total.
    #[serde(default)]
    pub total_amount: Option<f64>,
}

/// A receipt as a POS posts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DoorReceipt {
    /// Local wall-clock time at the facility, no offset.
    #[serde(default)]
    pub sales_date_time: Option<String>,
    /// The POS's own number (the ticket).
    #[serde(default)]
    pub external_receipt_number: Option<String>,
    /// `Consumer`, `Patient`, …
    #[serde(default)]
    pub sales_customer_type: Option<String>,
    /// Patient licence number.
    #[serde(default)]
    pub patient_license_number: Option<String>,
    /// Caregiver licence number.
    #[serde(default)]
    pub caregiver_license_number: Option<String>,
    /// How an external patient was identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification_method: Option<String>,
    /// The lines.
    #[serde(default)]
    pub transactions: Vec<DoorTransaction>,
}

/// A correction (`PUT /sales/v2/receipts`): the receipt's id and its full new content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DoorReceiptUpdate {
    /// The id the door answered the sale with.
    pub id: i64,
    /// The corrected receipt.
    #[serde(flatten)]
    pub receipt: DoorReceipt,
}

/// A package adjustment (`POST /packages/v2/adjust`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DoorAdjustment {
    /// The package.
    #[serde(default)]
    pub label: String,
    /// Signed change.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// Its unit (the package's when left out).
    #[serde(default)]
    pub unit_of_measure: Option<String>,
    /// Metrc's reason name.
    #[serde(default)]
    pub adjustment_reason: String,
    /// Local date `YYYY-MM-DD`.
    #[serde(default)]
    pub adjustment_date: Option<String>,
    /// Note (required by some reasons).
    #[serde(default)]
    pub reason_note: Option<String>,
}

/// `SalesDateTime` as Metrc writes it: local wall-clock, milliseconds, no offset.
pub(crate) fn local_wall_clock(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone())
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S.%3f")
        .to_string()
}

/// A time with its offset, as Metrc writes `LastModified` (`2026-11-22T21:02:11+00:00`).
pub(crate) fn with_offset(at: Timestamp) -> String {
    at.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Reads a `SalesDateTime` (local wall-clock, with or without milliseconds; an offset, if a POS
/// sends one anyway, is honoured) as the instant it names in `tz`.
pub(crate) fn sales_instant(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let civil: DateTime = text.parse().map_err(|_| {
        format!(
            "SalesDateTime {:?} is not a date and time; send the facility's local time without \
             an offset, like 2026-11-22T14:02:11.000",
            text.chars().take(40).collect::<String>()
        )
    })?;
    tz.to_ambiguous_timestamp(civil).compatible().map_err(|e| {
        format!("SalesDateTime {text:?} does not exist in the facility's time zone: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_times_are_local_wall_clock() {
        let tz = TimeZone::get("America/Denver").unwrap();
        let at = sales_instant("2026-11-22T14:02:11.000", &tz).unwrap();
        assert_eq!(at.to_string(), "2026-11-22T21:02:11Z");
        assert_eq!(local_wall_clock(at, &tz), "2026-11-22T14:02:11.000");
        assert_eq!(with_offset(at), "2026-11-22T21:02:11+00:00");
        assert!(sales_instant("yesterday", &tz).is_err());
    }
}
