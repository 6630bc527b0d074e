//! Store-wide views of the IPC contract (issue #13): the Sync screen's records and the Audit
//! screen's log for the whole store or one register, the deadlines of every register's open
//! records, and every register's audit chain verified from the store.
//!
//! Guarantees: another register's record is described, never actionable here (no id the Sync
//! screen's actions take); `as_of` says how fresh the pulled copy is; nothing here is a secret
//! (records name users, the audit log never holds a key or a PIN); times are RFC 3339 UTC strings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{AuditEntryView, AuditVerificationView, EntryKind, EntryState, EntryView};

/// Whose records or audit log: every register's, or one register's by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreScope {
    /// Every register of the store.
    Store,
    /// One register (this register's id: its own records, as `list_entries` lists them).
    Register { register_id: String },
}

/// A register this register knows of, from its copy (answers while cut off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KnownRegisterView {
    pub id: String,
    pub name: String,
    /// It is this register.
    pub this_register: bool,
    /// Still in the store at the last sync (one that left keeps its name and records).
    pub current: bool,
}

/// `store_registers`: the registers to scope the Sync and Audit screens by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreRegistersView {
    /// This register belongs to a store (otherwise offer no scope).
    pub joined: bool,
    /// This register's id.
    pub this_register_id: String,
    /// When the copy of the other registers' records was last brought up to date (the last
    /// store sync); `null`: not yet.
    #[ts(type = "string | null")]
    pub as_of: Option<jiff::Timestamp>,
    /// By name.
    pub registers: Vec<KnownRegisterView>,
}

/// `list_store_entries` (empty fields match everything; newest first by when they happened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreEntryQuery {
    pub scope: StoreScope,
    pub licence: Option<String>,
    pub user: Option<String>,
    /// Another register's record not told to the store yet counts as `pending`.
    pub states: Vec<EntryState>,
    pub kind: Option<EntryKind>,
    /// Default 100.
    pub limit: Option<u32>,
}

/// One record of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreEntryView {
    pub register_id: String,
    /// The register's name (its id when not known).
    pub register_name: String,
    /// It is this register's: `own` is set and the Sync screen's actions apply.
    pub this_register: bool,
    /// This register's record as `list_entries` gives it; `null` for another register's
    /// (read-only here).
    pub own: Option<EntryView>,
    /// Its sequence at its register (this register's: its entry id).
    #[ts(type = "number")]
    pub seq: i64,
    pub client_id: String,
    pub kind: EntryKind,
    pub licence: String,
    pub acting_user: String,
    /// As its register last told the store; `null`: not told yet.
    pub state: Option<EntryState>,
    #[ts(type = "string")]
    pub occurred_at: jiff::Timestamp,
}

/// `list_store_entries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreEntriesView {
    /// The last store sync (how fresh the other registers' records are); `null`: not yet.
    #[ts(type = "string | null")]
    pub as_of: Option<jiff::Timestamp>,
    pub entries: Vec<StoreEntryView>,
}

/// One open record near or past its reporting deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreDeadlineView {
    pub register_id: String,
    pub register_name: String,
    pub this_register: bool,
    pub client_id: String,
    pub kind: EntryKind,
    pub licence: String,
    pub acting_user: String,
    #[ts(type = "string")]
    pub occurred_at: jiff::Timestamp,
    /// `null`: another register's record not told to the store yet.
    pub state: Option<EntryState>,
    #[ts(type = "string")]
    pub deadline_at: jiff::Timestamp,
    /// "soon" or "overdue".
    pub warning: String,
}

/// Open records of one register against their deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RegisterDeadlinesView {
    pub register_id: String,
    pub register_name: String,
    pub this_register: bool,
    #[ts(type = "number")]
    pub open: u64,
    #[ts(type = "number")]
    pub soon: u64,
    #[ts(type = "number")]
    pub overdue: u64,
}

/// `store_deadlines`: every register's open records against their reporting deadlines, from
/// this register's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreDeadlinesView {
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    /// The last store sync; `null`: not yet (or in no store).
    #[ts(type = "string | null")]
    pub as_of: Option<jiff::Timestamp>,
    /// Soon or overdue, most urgent first (at most 200).
    pub rows: Vec<StoreDeadlineView>,
    /// More than the rows listed are soon or overdue.
    pub truncated: bool,
    /// This register first.
    pub registers: Vec<RegisterDeadlinesView>,
}

/// `list_store_audit`: one register's audit log as the store server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreAuditRequest {
    pub register_id: String,
    /// Paging: only entries below this.
    #[ts(type = "number | null")]
    pub before_seq: Option<i64>,
    pub action: Option<String>,
    /// Default 100.
    pub limit: Option<u32>,
}

/// One register's audit chain as the store holds it, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RegisterChainView {
    pub register_id: String,
    pub register_name: String,
    pub this_register: bool,
    pub verification: AuditVerificationView,
    /// `audit_chain_broken` when broken; `null` when intact.
    pub code: Option<String>,
}

/// `verify_store_audits`: every register's chain, verified from the store server's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreAuditChainsView {
    #[ts(type = "string")]
    pub checked_at: jiff::Timestamp,
    pub registers: Vec<RegisterChainView>,
    /// How many are broken.
    #[ts(type = "number")]
    pub broken: u64,
}

/// `list_store_audit`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreAuditView {
    pub register_name: String,
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
}
