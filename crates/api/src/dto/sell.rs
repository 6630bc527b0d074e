//! Sell-screen shapes of the IPC contract: package search, customer types, the cart and the
//! receipt.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sync::EntryState;
pub use super::wire::Ask;

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
    /// Metrc's customer types the licence sells to (cached; "Consumer" first when present; none
    /// of the consumer types at a medical-only licence).
    pub types: Vec<String>,
    /// What a sale to each of `types` asks for, in the same order (the store's own rule).
    pub asks: Vec<CustomerTypeAsks>,
}

/// What a sale to one customer type asks for at the licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerTypeAsks {
    pub customer_type: String,
    /// The patient's licence number (patients and caregivers).
    pub patient_number: Ask,
    /// The caregiver's licence number (caregivers).
    pub caregiver_number: Ask,
    /// How the patient was identified (external patients).
    pub identification_method: Ask,
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
