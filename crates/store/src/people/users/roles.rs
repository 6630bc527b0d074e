//! Roles, what each role may do, and the logged-in [`Actor`] that permission checks run against.
//!
//! Guarantees: the table of [`Permission::needed_role`] is the single place that says which role
//! may do what (SPEC §1: budtenders sell and set their own Metrc key; managers do everything else);
//! an [`Actor`] can only be obtained by logging in with a PIN (its fields are private and it is not
//! `Deserialize`), so a permission check cannot be satisfied with a made-up actor; a refusal is
//! `not_allowed` and names the role that may.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What a user is on this register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sells at the register and manages their own Metrc key.
    Budtender,
    /// Everything a budtender does, plus inventory changes, keys, users and settings.
    Manager,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Budtender => "budtender",
            Role::Manager => "manager",
        }
    }

    /// The role with that stored name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "budtender" => Some(Role::Budtender),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }

    /// Whether this role may do `permission`.
    pub fn may(self, permission: Permission) -> bool {
        match permission.needed_role() {
            Role::Budtender => true,
            Role::Manager => self == Role::Manager,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something only some roles may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Ring up sales.
    Sell,
    /// Enter, test or clear one's own Metrc key.
    SetOwnKey,
    /// Adjust a package.
    Adjust,
    /// Make new packages from others (merge, split).
    MergeOrSplit,
    /// Void or correct a sale.
    VoidOrCorrectSale,
    /// Resolve (edit, resend or withdraw) records Metrc refused.
    ResolveRejected,
    /// Enter, test or clear another user's Metrc key, or the facility key.
    SetOtherKeys,
    /// Validate any key against Metrc, area by area.
    ValidateAnyKey,
    /// Switch between individual keys and the facility key.
    ChooseKeyMode,
    /// Send a user's waiting records under the facility key.
    SendUnderFacilityKey,
    /// Add users and reset their PINs.
    ManageUsers,
    /// Change settings.
    ChangeSettings,
    /// See audit and outage reports.
    ViewReports,
    /// Act on reconciliation differences (void in Metrc, re-send, acknowledge).
    ReconcileWithMetrc,
    /// Restore the database from a backup.
    RestoreBackup,
    /// Map items to purchase-limit categories and override a limit figure for the store.
    ManageLimits,
    /// Approve an exception at the register: a late paper sale from an outage, or a medical sale
    /// without Metrc's patient data where the state allows a manager's override.
    ApproveSaleExceptions,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 17] = [
        Permission::Sell,
        Permission::SetOwnKey,
        Permission::Adjust,
        Permission::MergeOrSplit,
        Permission::VoidOrCorrectSale,
        Permission::ResolveRejected,
        Permission::SetOtherKeys,
        Permission::ValidateAnyKey,
        Permission::ChooseKeyMode,
        Permission::SendUnderFacilityKey,
        Permission::ManageUsers,
        Permission::ChangeSettings,
        Permission::ViewReports,
        Permission::ReconcileWithMetrc,
        Permission::RestoreBackup,
        Permission::ManageLimits,
        Permission::ApproveSaleExceptions,
    ];

    /// The least role that may do this.
    pub fn needed_role(self) -> Role {
        match self {
            Permission::Sell | Permission::SetOwnKey => Role::Budtender,
            Permission::Adjust
            | Permission::MergeOrSplit
            | Permission::VoidOrCorrectSale
            | Permission::ResolveRejected
            | Permission::SetOtherKeys
            | Permission::ValidateAnyKey
            | Permission::ChooseKeyMode
            | Permission::SendUnderFacilityKey
            | Permission::ManageUsers
            | Permission::ChangeSettings
            | Permission::ViewReports
            | Permission::ReconcileWithMetrc
            | Permission::RestoreBackup
            | Permission::ManageLimits
            | Permission::ApproveSaleExceptions => Role::Manager,
        }
    }

    /// What it is, as the end of "only a manager may …".
    pub fn action(self) -> &'static str {
        match self {
            Permission::Sell => "ring up sales",
            Permission::SetOwnKey => "set their own Metrc key",
            Permission::Adjust => "adjust packages",
            Permission::MergeOrSplit => "merge or split packages",
            Permission::VoidOrCorrectSale => "void or correct sales",
            Permission::ResolveRejected => "resolve records Metrc refused",
            Permission::SetOtherKeys => "set other people's Metrc keys or the facility key",
            Permission::ValidateAnyKey => "validate any Metrc key",
            Permission::ChooseKeyMode => "switch the key mode",
            Permission::SendUnderFacilityKey => "send records under the facility key",
            Permission::ManageUsers => "add users or reset PINs",
            Permission::ChangeSettings => "change settings",
            Permission::ViewReports => "see audit and outage reports",
            Permission::ReconcileWithMetrc => "act on differences between this register and Metrc",
            Permission::RestoreBackup => "restore the database from a backup",
            Permission::ManageLimits => "map items to purchase limits or override a limit",
            Permission::ApproveSaleExceptions => {
                "approve a late sale or a medical sale without Metrc's patient data"
            }
        }
    }
}

/// A logged-in user, as permission checks see them. Obtained only from
/// [`Database::verify_pin`](crate::Database::verify_pin) or
/// [`Database::create_first_manager`](crate::Database::create_first_manager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    user_id: i64,
    name: String,
    role: Role,
}

impl Actor {
    pub(crate) fn new(user_id: i64, name: String, role: Role) -> Actor {
        Actor {
            user_id,
            name,
            role,
        }
    }

    /// The user's row id.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// The user's name (the `acting_user` of the records they make).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role at login.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Fails with `not_allowed` unless this actor's role may do `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), StoreError> {
        require_role(self.role, permission)
    }
}

/// Fails with `not_allowed` (naming the role needed) unless `actor` may do `permission`.
pub fn require(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    actor.require(permission)
}

pub(crate) fn require_role(role: Role, permission: Permission) -> Result<(), StoreError> {
    if role.may(permission) {
        Ok(())
    } else {
        Err(StoreError::NotAllowed {
            needed: permission.needed_role(),
            action: permission.action(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managers_may_everything_budtenders_sell_and_set_their_own_key() {
        for p in Permission::ALL {
            assert!(Role::Manager.may(p), "{p:?}");
            let budtender = matches!(p, Permission::Sell | Permission::SetOwnKey);
            assert_eq!(Role::Budtender.may(p), budtender, "{p:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_role_needed() {
        let err = require_role(Role::Budtender, Permission::ChangeSettings).unwrap_err();
        assert_eq!(err.code(), "not_allowed");
        assert_eq!(
            err.to_string(),
            "only a manager may change settings; ask a manager"
        );
    }
}
