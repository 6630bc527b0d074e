//! Packages: the active list and lookup by label, adjustment reasons, adjustments and their
//! history, and new packages from ingredients (merge, split).
//!
//! `AdjustmentDate` and `ActualDate` are local dates `YYYY-MM-DD`.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::wire::{finite, null_default, string_or_number};

/// The item a package holds, as embedded in a package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PackageItem {
    /// Item id.
    pub id: Option<i64>,
    /// Item name.
    pub name: Option<String>,
    /// Category name.
    pub product_category_name: Option<String>,
    /// Category type, e.g. `Buds`, `InfusedEdible` (Metrc sends a name or a number).
    #[serde(deserialize_with = "string_or_number")]
    pub product_category_type: Option<String>,
    /// Quantity type (a name or a number).
    #[serde(deserialize_with = "string_or_number")]
    pub quantity_type: Option<String>,
    /// Default unit.
    pub unit_of_measure_name: Option<String>,
    /// Strain name.
    pub strain_name: Option<String>,
    /// Brand name.
    pub item_brand_name: Option<String>,
    /// THC content per unit.
    pub unit_thc_content: Option<f64>,
    /// Unit of the THC content.
    pub unit_thc_content_unit_of_measure_name: Option<String>,
    /// Weight per unit.
    pub unit_weight: Option<f64>,
    /// Unit of the weight.
    pub unit_weight_unit_of_measure_name: Option<String>,
}

/// A package on hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Package {
    /// Metrc id.
    pub id: i64,
    /// The tag (label).
    pub label: String,
    /// External id.
    pub external_id: Option<String>,
    /// `Product`, `ImmaturePlant`, …
    pub package_type: Option<String>,
    /// Quantity on hand, in `unit_of_measure_name`.
    pub quantity: f64,
    /// Unit name.
    pub unit_of_measure_name: Option<String>,
    /// Unit abbreviation.
    pub unit_of_measure_abbreviation: Option<String>,
    /// Location.
    pub location_name: Option<String>,
    /// Patient licence number.
    pub patient_license_number: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Packaged date.
    pub packaged_date: Option<String>,
    /// Expiration date.
    pub expiration_date: Option<String>,
    /// Sell-by date.
    pub sell_by_date: Option<String>,
    /// Use-by date.
    pub use_by_date: Option<String>,
    /// Lab testing state.
    pub lab_testing_state: Option<String>,
    /// Production batch.
    pub is_production_batch: Option<bool>,
    /// Production batch number.
    pub production_batch_number: Option<String>,
    /// Trade sample.
    pub is_trade_sample: Option<bool>,
    /// Donation.
    pub is_donation: Option<bool>,
    /// On hold (cannot be sold).
    pub is_on_hold: Option<bool>,
    /// On recall.
    pub is_on_recall: Option<bool>,
    /// Finished.
    pub is_finished: Option<bool>,
    /// Finished date.
    pub finished_date: Option<String>,
    /// Archived date.
    pub archived_date: Option<String>,
    /// Received date-time (with offset).
    pub received_date_time: Option<String>,
    /// Manifest it arrived on.
    pub received_from_manifest_number: Option<String>,
    /// Licence it came from.
    pub received_from_facility_license_number: Option<String>,
    /// Facility it came from.
    pub received_from_facility_name: Option<String>,
    /// Last modified (with offset).
    pub last_modified: Option<String>,
    /// The item.
    pub item: Option<PackageItem>,
}

/// An adjustment reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdjustReason {
    /// Name used in requests (`AdjustmentReason`).
    pub name: String,
    /// `ReasonNote` is required.
    #[serde(deserialize_with = "null_default")]
    pub requires_note: bool,
    /// A waste weight is required.
    #[serde(deserialize_with = "null_default")]
    pub requires_waste_weight: bool,
    /// An immature waste weight is required.
    #[serde(deserialize_with = "null_default")]
    pub requires_immature_waste_weight: bool,
    /// A mature waste weight is required.
    #[serde(deserialize_with = "null_default")]
    pub requires_mature_waste_weight: bool,
}

/// An adjustment being reported (`POST /packages/v2/adjust`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageAdjustment {
    /// Package label.
    pub label: String,
    /// Signed delta in `unit_of_measure`.
    #[serde(serialize_with = "finite")]
    pub quantity: f64,
    /// Unit name.
    pub unit_of_measure: String,
    /// Reason name, from [`AdjustReason::name`].
    pub adjustment_reason: String,
    /// Local date of the adjustment.
    pub adjustment_date: Date,
    /// Note (required when the reason says so; also carries our identifier).
    #[serde(default)]
    pub reason_note: Option<String>,
}

/// A recorded adjustment (`GET /packages/v2/adjustments`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdjustmentRecord {
    /// Package id.
    pub package_id: Option<i64>,
    /// Package label.
    pub package_label: String,
    /// Item name.
    pub item_name: Option<String>,
    /// Item category.
    pub item_category_name: Option<String>,
    /// Signed delta.
    pub adjustment_quantity: f64,
    /// Unit name.
    pub adjustment_unit_of_measure_name: Option<String>,
    /// Unit abbreviation.
    pub adjustment_unit_of_measure_abbreviation: Option<String>,
    /// Reason.
    pub adjustment_reason_name: Option<String>,
    /// Note.
    pub adjustment_note: Option<String>,
    /// Adjustment date as Metrc returns it.
    pub adjustment_date: Option<String>,
    /// Packaged date.
    pub packaged_date: Option<String>,
    /// Who adjusted.
    pub adjusted_by_user_name: Option<String>,
}

/// One source package of a new package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageIngredient {
    /// Source package label.
    pub package: String,
    /// Quantity taken from it.
    #[serde(serialize_with = "finite")]
    pub quantity: f64,
    /// Unit name.
    pub unit_of_measure: String,
}

/// A new package made from ingredients (`POST /packages/v2`): merge (one tag, several
/// ingredients) or split (several tags from one source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewPackage {
    /// The new tag: our identifier for reconciliation.
    pub tag: String,
    /// Location name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Sublocation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sublocation: Option<String>,
    /// Item name; `None` with `use_same_item`.
    #[serde(default)]
    pub item: Option<String>,
    /// Quantity of the new package.
    #[serde(serialize_with = "finite")]
    pub quantity: f64,
    /// Unit name.
    pub unit_of_measure: String,
    /// Patient licence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_license_number: Option<String>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Production batch.
    #[serde(default)]
    pub is_production_batch: bool,
    /// Production batch number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_batch_number: Option<String>,
    /// Donation.
    #[serde(default)]
    pub is_donation: bool,
    /// Trade sample.
    #[serde(default)]
    pub is_trade_sample: bool,
    /// Finished good.
    #[serde(default)]
    pub is_finished_good: bool,
    /// Requires remediation.
    #[serde(default)]
    pub product_requires_remediation: bool,
    /// Use the ingredients' item.
    #[serde(default)]
    pub use_same_item: bool,
    /// Local date of the operation.
    pub actual_date: Date,
    /// Expiration date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<Date>,
    /// Sell-by date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sell_by_date: Option<Date>,
    /// Use-by date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_by_date: Option<Date>,
    /// Source packages.
    pub ingredients: Vec<PackageIngredient>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustment_date_is_a_plain_local_date() {
        let a = PackageAdjustment {
            label: "1A4".into(),
            quantity: -2.0,
            unit_of_measure: "Grams".into(),
            adjustment_reason: "Drying".into(),
            adjustment_date: "2026-11-22".parse().unwrap(),
            reason_note: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["AdjustmentDate"], "2026-11-22");
        assert_eq!(v["ReasonNote"], serde_json::Value::Null);
    }

    #[test]
    fn package_tolerates_numeric_enums_and_nulls() {
        let p: Package = serde_json::from_str(
            r#"{"Id":2,"Label":"ABC","Quantity":1.0,"UnitOfMeasureName":"Ounces","IsOnRecall":null,
            "Item":{"Id":1,"Name":"Buds","QuantityType":0,"ProductCategoryType":0}}"#,
        )
        .unwrap();
        assert_eq!(p.item.unwrap().quantity_type.as_deref(), Some("0"));
        assert_eq!(p.is_on_recall, None);
    }
}
