//! What goes over the wire of the local API: requests and answers, with their OpenAPI schemas.
//!
//! Guarantees: requests refuse unknown fields (a misspelt field is an error, not silently
//! dropped); quantities and money are decimal strings (no binary floating point between a POS
//! and Metrc); times are RFC 3339; answers never carry a key, token or PIN.

use serde::{Deserialize, Serialize};
use stateline_store::{EntryKind, EntryState, OutboxEntry};
use utoipa::ToSchema;

/// A sale rung up at the POS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleRequest {
    /// The POS's own ticket id. Sending the same ticket again (a retry after a timeout) answers
    /// the first sale; the same ticket with other contents is refused with `ticket_conflict`.
    #[schema(example = "T-100234", min_length = 1, max_length = 100)]
    pub ticket_id: String,
    /// The budtender, as the POS names them: a clerk id a manager mapped to a Stateline user, or
    /// the Stateline user's name. The sale goes to Metrc under that user's key.
    #[schema(example = "alice", min_length = 1, max_length = 200)]
    pub budtender: String,
    /// The licence selling; the licence of the first line's package when left out.
    #[serde(default)]
    pub licence: Option<String>,
    /// Metrc customer type; `Consumer` when left out.
    #[serde(default)]
    #[schema(example = "Consumer")]
    pub customer_type: Option<String>,
    /// Patient licence number (medical sales).
    #[serde(default)]
    pub patient_number: Option<String>,
    /// Caregiver licence number, when a caregiver buys for a patient.
    #[serde(default)]
    pub caregiver_number: Option<String>,
    /// How an external patient was identified (Metrc's `IdentificationMethod`), where the
    /// licence requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Driver's License")]
    pub identification_method: Option<String>,
    /// When the sale happened (RFC 3339 with an offset); now when left out. Reported to Metrc
    /// with this time, however late it is sent.
    #[serde(default)]
    #[schema(example = "2026-11-22T18:02:11Z", format = DateTime)]
    pub sold_at: Option<String>,
    /// What was sold: 1 to 500 lines.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<SaleLineRequest>,
}

/// One line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleLineRequest {
    /// The package's Metrc tag.
    #[schema(example = "1A4000000000000000000001")]
    pub label: String,
    /// Quantity sold, a positive decimal in the package's unit.
    #[schema(example = "3.5", pattern = r"^[0-9]{1,9}(\.[0-9]{1,3})?$")]
    pub quantity: String,
    /// The package's unit of measure; the package's own when left out.
    #[serde(default)]
    #[schema(example = "Grams")]
    pub unit_of_measure: Option<String>,
    /// The line's total price, a decimal amount.
    #[schema(example = "35.00", pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub price: String,
}

/// A package adjustment made at the POS (waste, a count correction, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    /// The POS's own id of this adjustment (same rules as a sale's ticket id).
    #[schema(example = "ADJ-5531", min_length = 1, max_length = 100)]
    pub ticket_id: String,
    /// Who made it: a manager (as the POS names them).
    #[schema(example = "morgan")]
    pub budtender: String,
    /// The licence; the package's when left out.
    #[serde(default)]
    pub licence: Option<String>,
    /// The package's Metrc tag.
    pub label: String,
    /// Signed change: negative takes stock away.
    #[schema(example = "-1.5", pattern = r"^-?[0-9]{1,9}(\.[0-9]{1,3})?$")]
    pub quantity: String,
    /// The package's unit; the package's own when left out.
    #[serde(default)]
    pub unit_of_measure: Option<String>,
    /// One of Metrc's adjustment reasons for the licence.
    #[schema(example = "Drying")]
    pub reason: String,
    /// Note, required by some reasons.
    #[serde(default)]
    pub note: Option<String>,
    /// When it happened (RFC 3339); now when left out.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub adjusted_at: Option<String>,
}

/// Where a record is on its way to Metrc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Recorded here, waiting to be sent.
    Pending,
    /// Being sent now.
    Sending,
    /// Metrc has it: reported.
    Confirmed,
    /// Sent, answer lost; being looked up in Metrc (never sent twice).
    Ambiguous,
    /// Metrc refused it; a manager fixes it in Stateline.
    Rejected,
    /// Waiting for the budtender's Metrc key to be entered or fixed.
    WaitingForKey,
    /// Withdrawn by a manager before it reached Metrc.
    Voided,
}

impl From<EntryState> for RecordState {
    fn from(state: EntryState) -> Self {
        match state {
            EntryState::Pending => RecordState::Pending,
            EntryState::Sending => RecordState::Sending,
            EntryState::Confirmed => RecordState::Confirmed,
            EntryState::Ambiguous => RecordState::Ambiguous,
            EntryState::Rejected => RecordState::Rejected,
            EntryState::WaitingForKey => RecordState::WaitingForKey,
            EntryState::Voided => RecordState::Voided,
        }
    }
}

/// A record made for a ticket, as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    /// The POS's ticket id.
    pub ticket_id: String,
    /// `sale` or `adjustment`.
    #[schema(example = "sale")]
    pub kind: String,
    /// Stateline's id of the record (a sale's ExternalReceiptNumber in Metrc).
    #[schema(example = "SL-7Q2M-4K8J2N6P3R5T")]
    pub client_id: String,
    /// Licence.
    pub licence: String,
    /// The Stateline user whose key reports it.
    pub budtender: String,
    /// Where it is.
    pub state: RecordState,
    /// True once Metrc has it.
    pub reported: bool,
    /// Metrc's id for it, once known.
    pub metrc_id: Option<i64>,
    /// Metrc's latest answer or the latest problem, in words (e.g. why it was refused).
    pub metrc_answer: Option<String>,
    /// How many times it was sent.
    pub attempts: u32,
    /// When it happened.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: jiff::Timestamp,
    /// When it was recorded here.
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: jiff::Timestamp,
    /// When its state last changed.
    #[schema(value_type = String, format = DateTime)]
    pub state_changed_at: jiff::Timestamp,
    /// True when this answer is a repeat of a ticket recorded before (nothing new was written).
    pub replayed: bool,
}

impl RecordView {
    /// The view of `entry`, made for `ticket`.
    pub fn of(ticket: String, entry: &OutboxEntry, replayed: bool) -> RecordView {
        RecordView {
            ticket_id: ticket,
            kind: match entry.kind {
                EntryKind::Adjustment => "adjustment",
                _ => "sale",
            }
            .to_owned(),
            client_id: entry.client_id.clone(),
            licence: entry.licence.clone(),
            budtender: entry.acting_user.clone(),
            state: entry.state.into(),
            reported: entry.state == EntryState::Confirmed,
            metrc_id: entry.metrc_id,
            metrc_answer: entry.last_error.clone(),
            attempts: entry.attempts,
            occurred_at: entry.occurred_at,
            recorded_at: entry.created_at,
            state_changed_at: entry.state_changed_at,
            replayed,
        }
    }
}

/// A package on hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageView {
    /// Metrc tag.
    pub label: String,
    /// Item name.
    pub item_name: String,
    /// Licence holding it.
    pub licence: String,
    /// On hand after every sale and adjustment recorded here (reported or not).
    #[schema(example = "12.5")]
    pub on_hand: String,
    /// Unit of measure.
    pub unit_of_measure: String,
}

/// Records of one licence by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LicenceStatus {
    /// Licence.
    pub licence: String,
    /// Recorded here and not yet in Metrc (pending, sending, ambiguous).
    pub waiting: u64,
    /// Waiting for a budtender's key.
    pub waiting_for_key: u64,
    /// Refused by Metrc; a manager fixes them.
    pub rejected: u64,
    /// In Metrc.
    pub confirmed: u64,
    /// When the oldest record still waiting happened.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest_waiting: Option<jiff::Timestamp>,
    /// Why sending to Metrc is paused for this licence, if it is.
    pub paused_because: Option<String>,
}

/// The register's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    /// Per licence.
    pub licences: Vec<LicenceStatus>,
    /// Every record not yet in Metrc, all licences.
    pub waiting_total: u64,
    /// How the link to Metrc is, in words (from the delivery worker).
    pub delivery: String,
    /// The store this register belongs to, in words, if it is in one.
    pub store: Option<String>,
    /// When this status was read.
    #[schema(value_type = String, format = DateTime)]
    pub as_of: jiff::Timestamp,
}
