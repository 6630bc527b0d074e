//! Inventory-screen shapes of the IPC contract: refresh, adjustments, merges and splits, incoming
//! manifests.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a refresh from Metrc brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefreshSummary {
    pub licence: String,
    pub packages: u32,
    pub items: u32,
    pub reasons: u32,
}

/// A Metrc adjustment reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AdjustReasonView {
    pub name: String,
    pub requires_note: bool,
}

/// `adjust_package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AdjustRequest {
    pub label: String,
    /// Signed decimal in the package's unit ("-1.5" removes).
    pub quantity: String,
    pub reason: String,
    pub note: Option<String>,
}

/// A recorded local record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordedView {
    #[ts(type = "number")]
    pub entry_id: i64,
    pub client_id: String,
}

/// One ingredient of a new package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IngredientRequest {
    pub label: String,
    /// Positive decimal in the source package's unit.
    pub quantity: String,
}

/// One new tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewPackageRequest {
    pub tag: String,
    /// `null` = the same item as the first ingredient.
    pub item_name: Option<String>,
    /// Positive decimal; the unit is the first ingredient's.
    pub quantity: String,
    pub ingredients: Vec<IngredientRequest>,
}

/// `new_packages`: a merge (one output) or a split (several outputs of one source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewPackagesRequest {
    pub outputs: Vec<NewPackageRequest>,
}

/// A package on an incoming manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestPackage {
    pub label: String,
    pub item_name: Option<String>,
    pub quantity: Option<String>,
    pub unit_of_measure: Option<String>,
    pub state: Option<String>,
}

/// An incoming transfer (manifest), read live from Metrc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestView {
    #[ts(type = "number")]
    pub id: i64,
    pub manifest_number: Option<String>,
    pub shipper: Option<String>,
    pub estimated_arrival: Option<String>,
    pub received_at: Option<String>,
    pub packages: Vec<ManifestPackage>,
}
