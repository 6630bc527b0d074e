//! Sales receipts: `POST/PUT /sales/v2/receipts`, lookups by id and by external number, lists,
//! and customer types.
//!
//! `SalesDateTime` is sent as the facility's local wall-clock time with no offset, milliseconds
//! included (`2026-11-22T14:02:11.000`), as Metrc requires.

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use super::wire::{finite, finite_opt, local_datetime, null_default};

/// One line of a sale being reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewTransaction {
    /// Package sold from.
    pub package_label: String,
    /// Quantity sold, in `unit_of_measure`.
    #[serde(serialize_with = "finite")]
    pub quantity: f64,
    /// Unit name, e.g. `Each`, `Grams`.
    pub unit_of_measure: String,
    /// Total amount charged for the line.
    #[serde(serialize_with = "finite")]
    pub total_amount: f64,
    /// THC percent per unit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub unit_thc_percent: Option<f64>,
    /// THC content per unit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub unit_thc_content: Option<f64>,
    /// Unit of the THC content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_thc_content_unit_of_measure: Option<String>,
    /// Weight per unit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub unit_weight: Option<f64>,
    /// Unit of the weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_weight_unit_of_measure: Option<String>,
    /// Invoice number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub price: Option<f64>,
    /// Excise tax.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub excise_tax: Option<f64>,
    /// City tax.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub city_tax: Option<f64>,
    /// County tax.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub county_tax: Option<f64>,
    /// Municipal tax.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub municipal_tax: Option<f64>,
    /// Discount.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub discount_amount: Option<f64>,
    /// Subtotal.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub sub_total: Option<f64>,
    /// Sales tax.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_opt"
    )]
    pub sales_tax: Option<f64>,
    /// QR codes scanned for the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_codes: Option<Vec<String>>,
}

/// A sale being reported (`POST /sales/v2/receipts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewReceipt {
    /// Local wall-clock time of the sale at the facility (no offset).
    #[serde(with = "local_datetime")]
    pub sales_date_time: DateTime,
    /// Our own identifier: the duplicate-protection key.
    pub external_receipt_number: String,
    /// `Consumer`, `Patient`, `Caregiver`, `ExternalPatient`, …
    pub sales_customer_type: String,
    /// Patient licence number, when the customer type needs one.
    #[serde(default)]
    pub patient_license_number: Option<String>,
    /// Caregiver licence number, when the customer type needs one.
    #[serde(default)]
    pub caregiver_license_number: Option<String>,
    /// Identification method.
    #[serde(default)]
    pub identification_method: Option<String>,
    /// Patient registration location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_registration_location_id: Option<i64>,
    /// Lines.
    pub transactions: Vec<NewTransaction>,
}

/// A correction of a recorded sale (`PUT /sales/v2/receipts`): the receipt's Metrc id plus the
/// full new content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptUpdate {
    /// Metrc id of the receipt.
    pub id: i64,
    /// The corrected receipt.
    #[serde(flatten)]
    pub receipt: NewReceipt,
}

/// One line of a recorded receipt, as Metrc returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReceiptTransaction {
    /// Package id.
    pub package_id: Option<i64>,
    /// Package label.
    pub package_label: Option<String>,
    /// Product name.
    pub product_name: Option<String>,
    /// Quantity sold (response name).
    pub quantity_sold: Option<f64>,
    /// Quantity (request name, accepted too).
    pub quantity: Option<f64>,
    /// Unit name (response name).
    pub unit_of_measure_name: Option<String>,
    /// Unit name (request name, accepted too).
    pub unit_of_measure: Option<String>,
    /// Total price (response name).
    pub total_price: Option<f64>,
    /// Total amount (request name, accepted too).
    pub total_amount: Option<f64>,
    /// Archived date, when the line was removed.
    pub archived_date: Option<String>,
    /// Last modified (with offset).
    pub last_modified: Option<String>,
}

/// A recorded receipt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Receipt {
    /// Metrc id.
    pub id: i64,
    /// Metrc's receipt number.
    pub receipt_number: Option<String>,
    /// Our identifier, as sent.
    pub external_receipt_number: Option<String>,
    /// Local sale time as Metrc returns it (no offset).
    pub sales_date_time: Option<String>,
    /// Customer type.
    pub sales_customer_type: Option<String>,
    /// Patient licence number.
    pub patient_license_number: Option<String>,
    /// Caregiver licence number.
    pub caregiver_license_number: Option<String>,
    /// Identification method.
    pub identification_method: Option<String>,
    /// Patient registration location.
    pub patient_registration_location_id: Option<i64>,
    /// Number of packages on the receipt.
    pub total_packages: Option<i64>,
    /// Total price.
    pub total_price: Option<f64>,
    /// Lines (empty in list replies).
    #[serde(deserialize_with = "null_default")]
    pub transactions: Vec<ReceiptTransaction>,
    /// Finalized.
    #[serde(deserialize_with = "null_default")]
    pub is_final: bool,
    /// Set when the receipt was voided (archived).
    pub archived_date: Option<String>,
    /// When Metrc recorded it (with offset).
    pub recorded_date_time: Option<String>,
    /// Who recorded it.
    pub recorded_by_user_name: Option<String>,
    /// Last modified (with offset).
    pub last_modified: Option<String>,
}

impl Receipt {
    /// The sale time as a local civil date-time, when it parses.
    pub fn sales_date_time_local(&self) -> Option<DateTime> {
        self.sales_date_time.as_deref()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale() -> NewReceipt {
        NewReceipt {
            sales_date_time: "2026-11-22T14:02:11".parse().unwrap(),
            external_receipt_number: "SL-1".into(),
            sales_customer_type: "Consumer".into(),
            patient_license_number: None,
            caregiver_license_number: None,
            identification_method: None,
            patient_registration_location_id: None,
            transactions: vec![NewTransaction {
                package_label: "1A4000000000000000000001".into(),
                quantity: 1.0,
                unit_of_measure: "Each".into(),
                total_amount: 25.0,
                ..Default::default()
            }],
        }
    }

    #[test]
    fn new_receipt_matches_metrc_shape() {
        let v = serde_json::to_value(sale()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "SalesDateTime": "2026-11-22T14:02:11.000",
                "ExternalReceiptNumber": "SL-1",
                "SalesCustomerType": "Consumer",
                "PatientLicenseNumber": null,
                "CaregiverLicenseNumber": null,
                "IdentificationMethod": null,
                "Transactions": [{"PackageLabel": "1A4000000000000000000001", "Quantity": 1.0,
                    "UnitOfMeasure": "Each", "TotalAmount": 25.0}]
            })
        );
        let back: NewReceipt = serde_json::from_value(v).unwrap();
        assert_eq!(back, sale());
    }

    #[test]
    fn update_carries_id() {
        let v = serde_json::to_value(ReceiptUpdate {
            id: 51,
            receipt: sale(),
        })
        .unwrap();
        assert_eq!(v["Id"], 51);
        assert_eq!(v["SalesDateTime"], "2026-11-22T14:02:11.000");
    }

    #[test]
    fn receipt_tolerates_nulls_and_unknown_fields() {
        let r: Receipt = serde_json::from_str(
            r#"{"Id":1,"ReceiptNumber":null,"ExternalReceiptNumber":"ABC-123",
            "SalesDateTime":"2016-01-01T17:35:45.000","Transactions":null,"IsFinal":null,
            "Brand":"new field","LastModified":"0001-01-01T00:00:00+00:00"}"#,
        )
        .unwrap();
        assert_eq!(r.id, 1);
        assert!(r.transactions.is_empty());
        assert_eq!(
            r.sales_date_time_local().unwrap().to_string(),
            "2016-01-01T17:35:45"
        );
    }
}
