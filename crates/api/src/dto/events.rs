//! Event names and payloads of the IPC contract (the UI updates from these, never by polling).
//!
//! Guarantees: no payload carries a key or a PIN.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::keys::KeyOwnerRef;

/// `status_changed`: payload [`super::SyncStatus`].
pub const STATUS_CHANGED: &str = "status_changed";
/// `records_changed`: payload [`RecordsChanged`].
pub const RECORDS_CHANGED: &str = "records_changed";
/// `inventory_changed`: payload [`InventoryChanged`].
pub const INVENTORY_CHANGED: &str = "inventory_changed";
/// `session_changed`: payload [`super::AppState`].
pub const SESSION_CHANGED: &str = "session_changed";
/// `keys_changed`: payload [`KeysChanged`].
pub const KEYS_CHANGED: &str = "keys_changed";
/// `audit_appended`: payload [`AuditAppended`].
pub const AUDIT_APPENDED: &str = "audit_appended";
/// `store_changed`: payload [`super::StoreLinkView`] (this register's link to its store).
pub const STORE_CHANGED: &str = "store_changed";
/// `quit_requested`: payload [`QuitRequested`] (emitted by the shell, not the facade).
pub const QUIT_REQUESTED: &str = "quit_requested";

/// Local records were made or changed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordsChanged {
    /// `null` = possibly every licence.
    pub licence: Option<String>,
}

/// Local on-hand of a licence changed (a record, a refresh, a confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InventoryChanged {
    pub licence: Option<String>,
}

/// A key was saved, cleared, validated or the key mode changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeysChanged {
    /// `null` = the mode or several keys changed.
    pub owner: Option<KeyOwnerRef>,
}

/// A row was appended to the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditAppended {
    pub action: String,
}

/// The person asked to quit while records wait: ask, then call `quit(force: true)` or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuitRequested {
    #[ts(type = "number")]
    pub waiting: u64,
}
