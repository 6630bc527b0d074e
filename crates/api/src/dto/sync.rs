//! Sync-screen and status-chip shapes of the IPC contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sell::CartLine;

pub use super::wire::EntryState;

pub use super::wire::EntryKind;

pub use super::wire::Health;

/// Records not yet in Metrc, by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StateCounts {
    #[ts(type = "number")]
    pub pending: u64,
    #[ts(type = "number")]
    pub sending: u64,
    #[ts(type = "number")]
    pub ambiguous: u64,
    #[ts(type = "number")]
    pub rejected: u64,
    #[ts(type = "number")]
    pub waiting_for_key: u64,
    /// The sum of the above.
    #[ts(type = "number")]
    pub waiting: u64,
}

/// One licence's delivery status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceSync {
    pub licence: String,
    pub counts: StateCounts,
    #[ts(type = "string | null")]
    pub oldest_waiting_at: Option<jiff::Timestamp>,
    #[ts(type = "string | null")]
    pub deadline_at: Option<jiff::Timestamp>,
    /// "ok", "soon" (under 25% or 2 hours left) or "overdue".
    pub deadline_warning: String,
    pub health: Health,
    pub reason: Option<String>,
    #[ts(type = "string | null")]
    pub blocked_until: Option<jiff::Timestamp>,
    #[ts(type = "string | null")]
    pub last_success_at: Option<jiff::Timestamp>,
}

/// One user's records on one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserSync {
    pub licence: String,
    pub user: String,
    pub counts: StateCounts,
    /// Set when this user's key was refused: what to do about it.
    pub key_problem: Option<String>,
}

/// Progress while a backlog drains: `total` is the backlog when draining started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DrainProgress {
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub remaining: u64,
}

/// The status snapshot (event `status_changed` and command `sync_status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    pub health: Health,
    pub licences: Vec<LicenceSync>,
    pub users: Vec<UserSync>,
    #[ts(type = "number")]
    pub waiting: u64,
    #[ts(type = "string | null")]
    pub oldest_waiting_at: Option<jiff::Timestamp>,
    /// The earliest reporting deadline among waiting records.
    #[ts(type = "string | null")]
    pub deadline_at: Option<jiff::Timestamp>,
    /// "ok", "soon" (under 25% or 2 hours left) or "overdue", for the earliest deadline.
    pub deadline_warning: String,
    pub running: bool,
    /// Set while a backlog is draining.
    pub drain: Option<DrainProgress>,
}

/// `list_entries` (empty fields match everything; newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EntryQuery {
    pub licence: Option<String>,
    pub user: Option<String>,
    pub states: Vec<EntryState>,
    pub kind: Option<EntryKind>,
    /// Paging: only ids below this.
    #[ts(type = "number | null")]
    pub before_id: Option<i64>,
    /// Default 100.
    pub limit: Option<u32>,
}

/// One outbox record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EntryView {
    #[ts(type = "number")]
    pub id: i64,
    pub client_id: String,
    pub kind: EntryKind,
    pub licence: String,
    pub acting_user: String,
    pub state: EntryState,
    pub attempts: u32,
    #[ts(type = "string")]
    pub next_attempt_at: jiff::Timestamp,
    pub last_error: Option<String>,
    #[ts(type = "string")]
    pub occurred_at: jiff::Timestamp,
    #[ts(type = "string")]
    pub created_at: jiff::Timestamp,
    #[ts(type = "string")]
    pub state_changed_at: jiff::Timestamp,
    #[ts(type = "number | null")]
    pub metrc_id: Option<i64>,
    pub void_reason: Option<String>,
    pub voided_by: Option<String>,
    #[ts(type = "number | null")]
    pub depends_on: Option<i64>,
}

/// One state change of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TransitionView {
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    pub from: EntryState,
    pub to: EntryState,
    pub detail: Option<String>,
}

/// One attempt to send or look up a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AttemptView {
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    /// confirmed, rejected, ambiguous, not_sent, key_problem, rate_limited, too_large,
    /// lookup_found, lookup_missed, lookup_failed (or null if unknown).
    pub outcome: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
}

/// What a rejected record holds, for the edit form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordContent {
    Sale {
        lines: Vec<CartLine>,
        customer_type: String,
    },
    Adjustment {
        label: String,
        quantity: String,
        reason: String,
        note: Option<String>,
    },
    Other {
        summary: String,
    },
}

/// `entry_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EntryHistoryView {
    pub entry: EntryView,
    pub content: RecordContent,
    pub transitions: Vec<TransitionView>,
    pub attempts: Vec<AttemptView>,
}

/// A request naming one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EntryIdRequest {
    #[ts(type = "number")]
    pub id: i64,
}

/// `void_entry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VoidRequest {
    #[ts(type = "number")]
    pub id: i64,
    pub reason: String,
}

/// How a rejected record is changed before it is sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectedEditView {
    Unchanged,
    SaleLines {
        lines: Vec<CartLine>,
    },
    Adjustment {
        quantity: String,
        reason: String,
        note: Option<String>,
    },
}

/// `edit_and_resend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EditRejectedRequest {
    #[ts(type = "number")]
    pub id: i64,
    pub edit: RejectedEditView,
}

/// `backlog_series`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BacklogRequest {
    /// How far back (1 to 72; default 6).
    pub hours: Option<u32>,
}

/// Records waiting at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BacklogPoint {
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    #[ts(type = "number")]
    pub waiting: u64,
}
