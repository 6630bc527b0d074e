//! Key shapes of the IPC contract. A key goes in (set, discover) and never comes out: the UI sees
//! only the last four characters and validation results.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::sensitive::Sensitive;

/// Whose key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyOwnerRef {
    /// An app user's own Metrc key.
    User { user: String },
    /// The facility (master) key.
    Facility,
}

/// A request naming a key owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyOwnerRequest {
    pub owner: KeyOwnerRef,
}

/// `set_key`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetKeyRequest {
    pub owner: KeyOwnerRef,
    /// The Metrc user key; saved to the OS keychain only, never echoed.
    #[ts(type = "string")]
    pub key: Sensitive,
}

/// What is known about a saved key (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyInfoView {
    pub owner: KeyOwnerRef,
    /// `null` when no key is saved.
    pub last_four: Option<String>,
    #[ts(type = "string | null")]
    pub saved_at: Option<jiff::Timestamp>,
    /// all_good, missing_permissions, key_invalid, could_not_check; `null` = never validated.
    pub last_verdict: Option<String>,
    #[ts(type = "string | null")]
    pub last_checked_at: Option<jiff::Timestamp>,
}

pub use super::wire::AreaOutcome;

/// One cell of the validation matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AreaView {
    /// Metrc's area name, e.g. "Sales", "PackageAdjustReasons".
    pub area: String,
    /// Words for the column header.
    pub label: String,
    pub outcome: AreaOutcome,
    pub detail: Option<String>,
}

/// One licence row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LicenceMatrixView {
    pub licence: String,
    pub name: String,
    pub reachable: bool,
    pub detail: Option<String>,
    pub areas: Vec<AreaView>,
    pub permissions: Option<Vec<String>>,
}

/// The overall verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VerdictView {
    /// all_good, missing_permissions, key_invalid, could_not_check.
    pub code: String,
    /// One sentence saying what to do next.
    pub message: String,
}

/// The result of validating one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyValidationView {
    #[ts(type = "string")]
    pub checked_at: jiff::Timestamp,
    pub last_four: String,
    pub licences: Vec<LicenceMatrixView>,
    pub verdict: VerdictView,
}

/// `set_key`: the key was saved; how it validated and how many waiting records it released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeySavedView {
    pub validation: KeyValidationView,
    #[ts(type = "number")]
    pub released: u64,
}

/// `set_key_mode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyModeRequest {
    pub mode: super::session::KeyMode,
}

/// `send_under_facility_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FacilityOverrideRequest {
    /// The app user whose records go under the facility key.
    pub user: String,
    /// Why (kept in the audit log).
    pub reason: String,
}
