//! Users, settings and audit shapes of the IPC contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sensitive::Sensitive;
use super::session::{Environment, KeyMode, LicenceView, Role, VendorKeyStatus};

/// A user as a manager sees them (never a PIN or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub failed_attempts: u32,
    pub locked: bool,
    pub disabled: bool,
    #[ts(type = "string")]
    pub created_at: jiff::Timestamp,
    #[ts(type = "string")]
    pub pin_changed_at: jiff::Timestamp,
}

/// `add_user`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddUserRequest {
    pub name: String,
    pub role: Role,
    #[ts(type = "string")]
    pub pin: Sensitive,
}

/// `reset_pin` (also unlocks).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ResetPinRequest {
    pub name: String,
    #[ts(type = "string")]
    pub pin: Sensitive,
}

/// The register's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsView {
    pub environment: Environment,
    pub state_code: Option<String>,
    /// Records per write request (Metrc's object limit).
    pub object_limit: u32,
    /// Minutes without activity before the register locks (0 = never).
    pub idle_lock_minutes: u32,
    pub key_mode: KeyMode,
    /// Whether a manager may send a user's waiting records under the facility key.
    pub allow_facility_override: bool,
    pub vendor_key: VendorKeyStatus,
    pub licences: Vec<LicenceView>,
}

/// A licence's reporting deadline or time zone change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceUpdate {
    pub licence: String,
    pub time_zone: Option<String>,
    pub reporting_deadline_hours: Option<u32>,
}

/// `update_settings` (absent fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsUpdate {
    pub object_limit: Option<u32>,
    pub idle_lock_minutes: Option<u32>,
    pub allow_facility_override: Option<bool>,
    #[serde(default)]
    pub licences: Vec<LicenceUpdate>,
}

/// `list_audit` (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditQueryRequest {
    /// Paging: only entries below this sequence number.
    #[ts(type = "number | null")]
    pub before_seq: Option<i64>,
    /// Only this action code.
    pub action: Option<String>,
    /// Default 200.
    pub limit: Option<u32>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditEntryView {
    #[ts(type = "number")]
    pub seq: i64,
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    /// `null` = Stateline itself.
    pub actor: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}
