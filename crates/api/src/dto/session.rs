//! Session, first-run and licence shapes of the IPC contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sensitive::Sensitive;

/// Which screen family the app is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Setup is not finished (no users yet, or no licence bound): show the wizard.
    FirstRun,
    /// Nobody is logged in (or the register locked itself): show the login screen.
    Locked,
    /// Someone is logged in.
    Ready,
}

/// Which Metrc the register talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The embedded emulator with the demo seed.
    Demo,
    /// Metrc's sandbox.
    Sandbox,
    /// The state's live Metrc.
    Production,
}

pub use super::wire::Role;

pub use super::wire::Permission;

pub use super::wire::KeyMode;

/// The logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionView {
    pub user: String,
    pub role: Role,
    #[ts(type = "string")]
    pub started_at: jiff::Timestamp,
    /// What this user may do.
    pub permissions: Vec<Permission>,
    /// True when this user's Metrc key is missing or was refused: show the key prompt.
    pub needs_key: bool,
}

/// A licence the register is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceView {
    pub number: String,
    pub name: String,
    /// IANA time zone, e.g. "America/Denver".
    pub time_zone: String,
    pub reporting_deadline_hours: u32,
    /// Per-licence object limit; `null` = the register's setting.
    pub object_limit: Option<u32>,
    pub requires_patient_number: bool,
    pub requires_caregiver_number: bool,
    pub requires_identification_method: bool,
    pub sells_to_consumers: bool,
}

/// Which first-run steps are done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SetupProgress {
    pub has_users: bool,
    pub environment_chosen: bool,
    pub vendor_key_set: bool,
    pub licences_bound: bool,
}

/// Everything the shell of the UI needs to pick a screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppState {
    pub phase: Phase,
    pub environment: Environment,
    /// Two-letter Metrc state code (`null` in demo mode before one is chosen).
    pub state_code: Option<String>,
    /// True when the embedded emulator is running (the demo panel is available).
    pub demo: bool,
    pub setup: SetupProgress,
    pub session: Option<SessionView>,
    /// Who was logged in before the register locked (preselect on the login screen).
    pub last_user: Option<String>,
    pub licences: Vec<LicenceView>,
    pub key_mode: KeyMode,
    pub idle_lock_minutes: u32,
}

/// A user on the login screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LoginUser {
    pub name: String,
    pub role: Role,
    pub locked: bool,
    pub disabled: bool,
}

/// `login`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct LoginRequest {
    pub name: String,
    /// 4 to 8 digits. Never stored or echoed.
    #[ts(type = "string")]
    pub pin: Sensitive,
}

/// `create_first_manager`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateManagerRequest {
    pub name: String,
    #[ts(type = "string")]
    pub pin: Sensitive,
}

/// `choose_environment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnvironmentRequest {
    pub environment: Environment,
    /// Two-letter state code; required for sandbox and production.
    pub state_code: Option<String>,
}

/// `set_vendor_key`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct VendorKeyRequest {
    /// The integrator key. Never stored outside the OS keychain, never echoed.
    #[ts(type = "string")]
    pub key: Sensitive,
}

/// Whether a vendor key is configured (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VendorKeyStatus {
    pub set: bool,
    /// "keychain", "environment" (installer) or "demo"; `null` when none.
    pub source: Option<String>,
}

/// `discover_licences`: which key to ask `GET /facilities/v2` with.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DiscoverRequest {
    /// A Metrc user key to ask with (used once, not saved); `null` = the session user's saved key.
    #[ts(type = "string | null")]
    pub key: Option<Sensitive>,
}

/// A licence the key reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DiscoveredLicence {
    pub number: String,
    pub name: String,
    pub license_type: Option<String>,
    pub can_sell: bool,
    pub requires_patient_number: bool,
    pub requires_caregiver_number: bool,
    /// Metrc's `SalesRequireExternalPatientIdentificationMethod`.
    pub requires_identification_method: bool,
    /// Metrc's `CanSellToConsumers`.
    pub sells_to_consumers: bool,
    /// Already bound to this register.
    pub bound: bool,
}

/// One licence to bind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceBinding {
    pub number: String,
    pub name: String,
    pub time_zone: String,
    pub reporting_deadline_hours: u32,
    pub object_limit: Option<u32>,
    pub requires_patient_number: bool,
    pub requires_caregiver_number: bool,
    #[serde(default)]
    pub requires_identification_method: bool,
    /// `false` for a medical-only licence (absent: it sells to consumers).
    #[serde(default = "sells_to_consumers_unless_told")]
    pub sells_to_consumers: bool,
}

fn sells_to_consumers_unless_told() -> bool {
    true
}

/// `bind_licences`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BindLicencesRequest {
    pub licences: Vec<LicenceBinding>,
}

/// A request naming one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceRequest {
    /// `null` = the register's first licence.
    pub licence: Option<String>,
}
