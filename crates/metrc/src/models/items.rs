//! `GET /items/v2/active`: the products packages are made of.

use serde::{Deserialize, Serialize};

use super::wire::string_or_number;

/// An item (product definition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Item {
    /// Metrc id.
    pub id: i64,
    /// Name used in requests (`Item` of a new package).
    pub name: String,
    /// Category name, e.g. `Buds`.
    pub product_category_name: Option<String>,
    /// Category type (Metrc sends a name or a number).
    #[serde(deserialize_with = "string_or_number")]
    pub product_category_type: Option<String>,
    /// `CountBased`, `WeightBased`, … (a name or a number).
    #[serde(deserialize_with = "string_or_number")]
    pub quantity_type: Option<String>,
    /// Default unit.
    pub unit_of_measure_name: Option<String>,
    /// Approval status (a name or a number).
    #[serde(deserialize_with = "string_or_number")]
    pub approval_status: Option<String>,
    /// Strain id.
    pub strain_id: Option<i64>,
    /// Strain name.
    pub strain_name: Option<String>,
    /// Brand name.
    pub item_brand_name: Option<String>,
    /// THC percent per unit.
    pub unit_thc_percent: Option<f64>,
    /// THC content per unit.
    pub unit_thc_content: Option<f64>,
    /// Unit of the THC content.
    pub unit_thc_content_unit_of_measure_name: Option<String>,
    /// Weight per unit.
    pub unit_weight: Option<f64>,
    /// Unit of the weight.
    pub unit_weight_unit_of_measure_name: Option<String>,
    /// Volume per unit.
    pub unit_volume: Option<f64>,
    /// Unit of the volume.
    pub unit_volume_unit_of_measure_name: Option<String>,
    /// Whether the item is used by packages.
    pub is_used: bool,
}
