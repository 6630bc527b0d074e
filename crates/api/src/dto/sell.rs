//! Sell-screen shapes of the IPC contract: package search, customer types, the cart and the
//! receipt.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sync::EntryState;

/// `search_packages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    /// A full label (scanner), part of a label, or part of an item name; empty lists everything.
    pub query: String,
    /// `null` = every bound licence.
    pub licence: Option<String>,
    /// At most this many (default 50).
    pub limit: Option<u32>,
}

/// A package with its local on-hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PackageView {
    pub label: String,
    pub licence: String,
    pub item_name: String,
    pub unit_of_measure: String,
    /// Local on-hand: Metrc's quantity minus what is recorded here and not yet confirmed.
    pub on_hand: String,
    /// Metrc's last known quantity.
    pub metrc_quantity: String,
    /// A new tag Metrc has not confirmed yet.
    pub local_only: bool,
    #[ts(type = "string | null")]
    pub last_modified: Option<jiff::Timestamp>,
}

/// `customer_types`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerTypesView {
    pub licence: String,
    /// Metrc's customer types (cached; "Consumer" first when present).
    pub types: Vec<String>,
    /// A sale to a patient or caregiver needs the patient's licence number.
    pub requires_patient_number: bool,
    /// A sale to a caregiver needs the caregiver's licence number.
    pub requires_caregiver_number: bool,
    /// A sale to an external patient (`ExternalPatient`) needs the identification method.
    pub requires_identification_method: bool,
    /// False at a medical-only licence: `types` then lists no consumer types.
    pub sells_to_consumers: bool,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CartLine {
    pub label: String,
    /// Decimal, in the package's unit, e.g. "3.5".
    pub quantity: String,
    /// Total price of the line, e.g. "12.50".
    pub price: String,
}

/// `complete_sale`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaleRequest {
    /// `null` = the licence of the first line's package.
    pub licence: Option<String>,
    pub lines: Vec<CartLine>,
    pub customer_type: String,
    pub patient_number: Option<String>,
    pub caregiver_number: Option<String>,
    /// How an external patient was identified (e.g. "Driver's License").
    #[serde(default)]
    #[ts(optional = nullable)]
    pub identification_method: Option<String>,
    /// A manager's approval of a medical sale without Metrc's patient data, where the state's
    /// rules allow one (asked for by `manager_approval_needed`).
    #[serde(default)]
    #[ts(optional)]
    pub approval: Option<super::limits::ApprovalRequest>,
}

/// A receipt line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptLine {
    pub label: String,
    pub item_name: String,
    pub quantity: String,
    pub unit_of_measure: String,
    pub price: String,
}

/// A committed sale, read back from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Receipt {
    /// Our receipt number (Metrc's `ExternalReceiptNumber`).
    pub client_id: String,
    #[ts(type = "number")]
    pub entry_id: i64,
    pub licence: String,
    pub sold_by: String,
    #[ts(type = "string")]
    pub occurred_at: jiff::Timestamp,
    pub customer_type: String,
    pub patient_number: Option<String>,
    pub caregiver_number: Option<String>,
    pub lines: Vec<ReceiptLine>,
    pub total: String,
    /// Delivery state of the sale's record (usually "pending" at first).
    pub state: EntryState,
}
