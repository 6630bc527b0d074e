//! What an audit entry records: the closed list of audited actions and their stored codes.
//!
//! Guarantees: every action has one stable snake_case code (stored in `audit_log.action` and
//! shown to the UI); codes are never renamed, so old entries keep verifying and reading.

use serde::{Deserialize, Serialize};

/// An audited action. Add new variants at the end; never rename a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A sale was recorded at the register.
    SaleRecorded,
    /// A sale was corrected.
    SaleCorrected,
    /// A sale was voided (in Metrc, via a void record).
    SaleVoided,
    /// A manager withdrew a record before it reached Metrc.
    RecordVoided,
    /// A rejected record was edited and queued again.
    RejectedResent,
    /// A record was queued again for another attempt.
    RecordRetried,
    /// A Metrc key was saved (never the key: only whose and its last four characters).
    KeySet,
    /// A Metrc key was removed from the keychain.
    KeyCleared,
    /// A Metrc key was checked against Metrc.
    KeyValidated,
    /// The key mode (individual keys / facility key) changed, or facility overrides were allowed.
    KeyModeChanged,
    /// A manager chose to send a user's records under the facility key.
    FacilityKeyOverride,
    /// A user was added.
    UserAdded,
    /// A user's PIN was reset (never the PIN).
    PinReset,
    /// A user was locked after too many wrong PINs.
    UserLocked,
    /// A setting changed.
    SettingChanged,
    /// A licence was bound to this register or changed.
    LicenceBound,
    /// A manager acted on a reconciliation difference.
    ReconciliationAction,
    /// The database was restored from a backup.
    BackupRestored,
    /// A state's reporting deadline changed.
    DeadlineChanged,
    /// The vendor key of this install was set or cleared.
    VendorKeyChanged,
    /// The register joined a store or left it (never the store server's password).
    StoreMembershipChanged,
    /// A manager disabled a user or enabled them again.
    UserDisabled,
    /// A manager mapped an item to purchase-limit categories.
    ItemMapped,
    /// A manager overrode (or restored) a figure of the state's purchase limits.
    LimitOverridden,
    /// A manager approved a sale outside the usual checks: a late paper sale, or a medical sale
    /// without Metrc's patient data.
    SaleExceptionApproved,
    /// A manager gave a POS (or other program) a token for the local API (never the token).
    IntegrationCreated,
    /// A manager revoked an integration's token, or changed what it may do.
    IntegrationChanged,
}

impl AuditAction {
    /// Every action, in declaration order.
    pub const ALL: [AuditAction; 27] = [
        Self::SaleRecorded,
        Self::SaleCorrected,
        Self::SaleVoided,
        Self::RecordVoided,
        Self::RejectedResent,
        Self::RecordRetried,
        Self::KeySet,
        Self::KeyCleared,
        Self::KeyValidated,
        Self::KeyModeChanged,
        Self::FacilityKeyOverride,
        Self::UserAdded,
        Self::PinReset,
        Self::UserLocked,
        Self::SettingChanged,
        Self::LicenceBound,
        Self::ReconciliationAction,
        Self::BackupRestored,
        Self::DeadlineChanged,
        Self::VendorKeyChanged,
        Self::StoreMembershipChanged,
        Self::UserDisabled,
        Self::ItemMapped,
        Self::LimitOverridden,
        Self::SaleExceptionApproved,
        Self::IntegrationCreated,
        Self::IntegrationChanged,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SaleRecorded => "sale_recorded",
            Self::SaleCorrected => "sale_corrected",
            Self::SaleVoided => "sale_voided",
            Self::RecordVoided => "record_voided",
            Self::RejectedResent => "rejected_resent",
            Self::RecordRetried => "record_retried",
            Self::KeySet => "key_set",
            Self::KeyCleared => "key_cleared",
            Self::KeyValidated => "key_validated",
            Self::KeyModeChanged => "key_mode_changed",
            Self::FacilityKeyOverride => "facility_key_override",
            Self::UserAdded => "user_added",
            Self::PinReset => "pin_reset",
            Self::UserLocked => "user_locked",
            Self::SettingChanged => "setting_changed",
            Self::LicenceBound => "licence_bound",
            Self::ReconciliationAction => "reconciliation_action",
            Self::BackupRestored => "backup_restored",
            Self::DeadlineChanged => "deadline_changed",
            Self::VendorKeyChanged => "vendor_key_changed",
            Self::StoreMembershipChanged => "store_membership_changed",
            Self::UserDisabled => "user_disabled",
            Self::ItemMapped => "item_mapped",
            Self::LimitOverridden => "limit_overridden",
            Self::SaleExceptionApproved => "sale_exception_approved",
            Self::IntegrationCreated => "integration_created",
            Self::IntegrationChanged => "integration_changed",
        }
    }

    /// The action with that stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_parses_back() {
        let mut codes: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.as_str()), Some(action));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AuditAction::ALL.len());
    }
}
