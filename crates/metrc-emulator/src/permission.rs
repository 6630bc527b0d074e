//! Metrc user permissions the emulator checks, named as Metrc's permission list names them.
//!
//! Guarantees: every permission has one canonical lower-case name (what
//! `GET /employees/v2/permissions` returns); parsing accepts that name or the Rust variant name,
//! case-insensitively.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A permission a Metrc user holds for one licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Record sales (`POST /sales/v2/receipts`).
    SalesWrite,
    /// Read receipts.
    ViewSales,
    /// Correct and void receipts; also allows reading them.
    ManageSales,
    /// Read packages, adjustment reasons and adjustment history.
    ViewPackages,
    /// Adjust package quantities.
    ManagePackagesInventory,
    /// Create packages from ingredients (merge, split).
    CreatePackages,
    /// Read transfers.
    ViewTransfers,
    /// Manage transfers; also allows reading them.
    ManageTransfers,
    /// Read items (Metrc requires Manage Items for `GET /items/v2/active`).
    ManageItems,
    /// Read employees.
    ViewEmployees,
    /// Manage employees; also allows reading employees and permissions.
    ManageEmployees,
    /// Read vegetative and flowering plants.
    ViewPlants,
    /// Read harvests.
    ViewHarvests,
    /// Look up a patient's status (`GET /patients/v2/statuses/{patientLicenseNumber}`).
    LookupPatients,
}

const NAMES: &[(Permission, &str, &str)] = &[
    (Permission::SalesWrite, "sales write", "SalesWrite"),
    (Permission::ViewSales, "view sales", "ViewSales"),
    (Permission::ManageSales, "manage sales", "ManageSales"),
    (Permission::ViewPackages, "view packages", "ViewPackages"),
    (
        Permission::ManagePackagesInventory,
        "manage packages inventory",
        "ManagePackagesInventory",
    ),
    (
        Permission::CreatePackages,
        "create/submit/discontinue packages",
        "CreatePackages",
    ),
    (Permission::ViewTransfers, "view transfers", "ViewTransfers"),
    (
        Permission::ManageTransfers,
        "manage transfers",
        "ManageTransfers",
    ),
    (Permission::ManageItems, "manage items", "ManageItems"),
    (Permission::ViewEmployees, "view employees", "ViewEmployees"),
    (
        Permission::ManageEmployees,
        "manage employees",
        "ManageEmployees",
    ),
    (
        Permission::ViewPlants,
        "view veg/flower plants",
        "ViewPlants",
    ),
    (Permission::ViewHarvests, "view harvests", "ViewHarvests"),
    (
        Permission::LookupPatients,
        "lookup patients",
        "LookupPatients",
    ),
];

impl Permission {
    /// Every permission (what a manager has).
    pub fn all() -> Vec<Permission> {
        NAMES.iter().map(|(p, _, _)| *p).collect()
    }

    /// What a budtender has: record and view sales, view packages. No adjust, no create.
    pub fn sales_only() -> Vec<Permission> {
        vec![
            Permission::SalesWrite,
            Permission::ViewSales,
            Permission::ViewPackages,
        ]
    }

    /// Metrc's lower-case name, e.g. `"view packages"`.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(p, _, _)| *p == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("unknown")
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The text was not a known permission name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPermission(pub String);

impl std::fmt::Display for UnknownPermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown permission {:?}", self.0)
    }
}

impl FromStr for Permission {
    type Err = UnknownPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        NAMES
            .iter()
            .find(|(_, n, r)| n.eq_ignore_ascii_case(t) || r.eq_ignore_ascii_case(t))
            .map(|(p, _, _)| *p)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
