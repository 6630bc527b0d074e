//! Purchase-limit shapes of the IPC contract (issue #14): the Sell screen's running totals, a
//! patient's allotment from Metrc, items the limits cannot count and their mapping, the rules in
//! force and the store's overrides.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sell::CartLine;
use super::sensitive::Sensitive;

/// `limit_preview`: the cart as it stands (prices are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LimitPreviewRequest {
    /// `null` = the licence of the first line's package.
    pub licence: Option<String>,
    pub customer_type: String,
    pub patient_number: Option<String>,
    pub lines: Vec<CartLine>,
}

/// On what a limit check rested.
pub use super::wire::LimitBasis;

/// Whose earlier sales a window summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryScopeKind {
    /// This sale alone (customer not identified).
    Sale,
    /// This register's sales.
    Register,
    /// The whole store's sales, as last pulled.
    Store,
}

/// One limit against the cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitTotalView {
    /// The rule's id, or `metrc-allotment:<registration>:<category>`.
    pub rule: String,
    /// `transaction` or `days:N`.
    pub window: String,
    pub limit: f64,
    /// The cart plus the window's earlier sales.
    pub total: f64,
    pub unit: String,
    /// False: the rules file could not confirm the figure (it takes the stricter reading).
    pub certain: bool,
    pub over: bool,
}

/// A limit the cart exceeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OverLimitView {
    pub rule: String,
    /// Which limit, the total and by how much.
    pub message: String,
}

/// Why a cart cannot be sold as it stands, whatever its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LimitBlockView {
    /// `item_not_mapped`, `patient_not_eligible`, `patient_reading_needed`,
    /// `manager_approval_needed`, `unknown_package`.
    pub code: String,
    pub message: String,
}

/// The running totals of a cart (or the check kept with a sale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitCheckView {
    pub state: Option<String>,
    pub rules_version: Option<u32>,
    /// `adult_use`, `medical` or `caregiver`, from the customer type.
    pub customer: String,
    /// Whose rules applied.
    pub rules_applied: String,
    pub basis: Option<LimitBasis>,
    pub scope: Option<HistoryScopeKind>,
    /// The scope in words ("the whole store's sales (other registers' as pulled 3 min before)").
    pub scope_text: Option<String>,
    pub totals: Vec<LimitTotalView>,
    pub over: Vec<OverLimitView>,
    /// When the patient reading used was read.
    #[ts(type = "string | null")]
    pub reading_read_at: Option<jiff::Timestamp>,
    pub blocked: Option<LimitBlockView>,
}

/// `look_up_patient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PatientLookupRequest {
    /// `null` = the first bound licence.
    pub licence: Option<String>,
    pub patient_number: String,
}

/// One registration of a patient, in the limits' units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RegistrationView {
    pub registration_number: Option<String>,
    pub active: bool,
    /// Metrc tracks an allotment for it.
    pub tracks_allotment: bool,
    pub flower_g_available: f64,
    pub concentrate_g_available: f64,
    pub infused_g_available: f64,
    pub thc_mg_available: f64,
    pub purchase_amount_days: Option<f64>,
    /// `YYYY-MM-DD`.
    pub licence_expires: Option<String>,
}

/// A patient's allotment as this register knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PatientReadingView {
    pub licence: String,
    pub patient_number: String,
    /// Whether a reading exists at all.
    pub known: bool,
    /// Read from Metrc by this lookup (false: the last reading kept here).
    pub fresh: bool,
    #[ts(type = "string | null")]
    pub read_at: Option<jiff::Timestamp>,
    pub read_by: Option<String>,
    /// Why Metrc was not asked or not reached (offline, within Metrc's one-minute cache).
    pub note: Option<String>,
    /// Metrc knows no registration for this number.
    pub unknown_to_metrc: bool,
    pub registrations: Vec<RegistrationView>,
}

/// A manager's approval typed at the register: name, PIN and the reason for the audit log.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ApprovalRequest {
    pub manager: String,
    #[ts(type = "string")]
    pub pin: Sensitive,
    pub reason: String,
}

/// A limit category of the state's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LimitCategoryView {
    pub id: String,
    pub name: String,
    pub unit: String,
}

/// An item the limits cannot count yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnmappedItemView {
    pub item_name: String,
    pub unit_of_measure: String,
    pub category_type: Option<String>,
    pub reason: String,
    pub packages: u32,
}

/// A category and an amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CategoryAmount {
    pub category: String,
    pub amount: f64,
}

/// A manager's mapping of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemMapView {
    pub item_name: String,
    pub amounts: Vec<CategoryAmount>,
    pub reason: String,
    pub mapped_by: String,
    #[ts(type = "string")]
    pub mapped_at: jiff::Timestamp,
}

/// `limit_items`: what the Inventory screen shows about limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitItemsView {
    pub licence: String,
    /// No rules in force (no state, or none shipped): nothing needs mapping.
    pub rules_in_force: bool,
    pub categories: Vec<LimitCategoryView>,
    pub unmapped: Vec<UnmappedItemView>,
    pub mapped: Vec<ItemMapView>,
}

/// One amount typed by a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CategoryAmountInput {
    pub category: String,
    /// Decimal, in the category's unit.
    pub amount: String,
}

/// `map_item`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapItemRequest {
    pub licence: Option<String>,
    pub item_name: String,
    pub amounts: Vec<CategoryAmountInput>,
    pub reason: String,
}

/// A store's override of a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitOverrideView {
    pub limit: f64,
    pub file_version: u32,
    pub reason: String,
    pub set_by: String,
    #[ts(type = "string")]
    pub set_at: jiff::Timestamp,
}

/// One rule in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitRuleView {
    pub id: String,
    /// `adult_use`, `medical`, `caregiver`.
    pub customer: String,
    pub window: String,
    /// The limit in force (the override's when there is one).
    pub limit: f64,
    /// The file's figure.
    pub file_limit: f64,
    pub unit: String,
    pub source: String,
    /// `YYYY-MM-DD`.
    pub effective: String,
    pub certain: bool,
    pub store_override: Option<LimitOverrideView>,
}

/// `limit_rules`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitRulesView {
    pub state: Option<String>,
    /// The state's name, when rules ship for it.
    pub name: Option<String>,
    pub version: Option<u32>,
    /// `YYYY-MM-DD`: when the figures were last checked against their sources.
    pub reviewed: Option<String>,
    pub rules: Vec<LimitRuleView>,
    /// `refuse`, `adult_use_limits` or `manager_override`.
    pub without_data: Option<String>,
    pub without_data_source: Option<String>,
}

/// `set_limit_override`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LimitOverrideRequest {
    pub rule_id: String,
    /// Decimal, in the rule's unit.
    pub limit: String,
    pub reason: String,
}

/// `clear_limit_override`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClearLimitOverrideRequest {
    pub rule_id: String,
    pub reason: String,
}
