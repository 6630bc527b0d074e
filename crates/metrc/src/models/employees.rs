//! `GET /employees/v2` and `/employees/v2/permissions`.

use serde::{Deserialize, Serialize};

use super::facilities::License;

/// One employee of a facility.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Employee {
    /// Full name.
    pub full_name: String,
    /// The employee's licence (its `EmployeeLicenseNumber` feeds the permissions call).
    pub license: Option<License>,
    /// Industry admin.
    pub is_industry_admin: bool,
    /// Owner.
    pub is_owner: bool,
    /// Manager.
    pub is_manager: bool,
}
