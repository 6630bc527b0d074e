//! `GET /facilities/v2`: the licences a key reaches and their capability flags.

use serde::{Deserialize, Serialize};

use super::wire::null_default;

/// One facility (licence) the user behind a key can reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Facility {
    /// Metrc's facility id.
    pub facility_id: Option<i64>,
    /// Legal name.
    pub name: Option<String>,
    /// Alias.
    pub alias: Option<String>,
    /// Name shown in Metrc.
    pub display_name: Option<String>,
    /// Whether the user is an owner.
    pub is_owner: bool,
    /// Whether the user is a manager.
    pub is_manager: bool,
    /// Whether the user is the financial contact.
    pub is_financial_contact: bool,
    /// The user's e-mail at this facility.
    pub email: Option<String>,
    /// The user's hire date.
    pub hire_date: Option<String>,
    /// Credentialed date.
    pub credentialed_date: Option<String>,
    /// What the licence type may do.
    #[serde(deserialize_with = "null_default")]
    pub facility_type: FacilityType,
    /// The licence.
    #[serde(deserialize_with = "null_default")]
    pub license: License,
}

/// A licence record (facility or employee).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct License {
    /// Licence number: the `licenseNumber` of facility-scoped calls.
    pub number: String,
    /// The user's employee licence number at this facility.
    pub employee_license_number: Option<String>,
    /// Start date.
    pub start_date: Option<String>,
    /// End date.
    pub end_date: Option<String>,
    /// Licence type, e.g. "Retail Marijuana Store".
    pub license_type: Option<String>,
}

/// Capability flags of a facility's licence type (a subset; all default to `false`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FacilityType {
    /// Medical licence.
    pub is_medical: bool,
    /// Retail licence.
    pub is_retail: bool,
    /// Hemp licence.
    pub is_hemp: bool,
    /// May grow plants (plants and harvests apply).
    pub can_grow_plants: bool,
    /// May sell to consumers.
    pub can_sell_to_consumers: bool,
    /// May sell to patients.
    pub can_sell_to_patients: bool,
    /// May sell to external patients.
    pub can_sell_to_external_patients: bool,
    /// May sell to caregivers.
    pub can_sell_to_caregivers: bool,
    /// Sales need a patient number.
    pub sales_require_patient_number: bool,
    /// Sales need an external patient number.
    pub sales_require_external_patient_number: bool,
    /// Sales need a caregiver number.
    pub sales_require_caregiver_number: bool,
    /// Sales to external patients need the identification method.
    pub sales_require_external_patient_identification_method: bool,
    /// May create packages from other packages (merge, split).
    pub can_create_derived_packages: bool,
    /// May create partial packages.
    pub can_create_partial_packages: bool,
    /// Advanced sales.
    pub advanced_sales: bool,
    /// May transfer from external facilities.
    pub can_transfer_from_external_facilities: bool,
    /// May deliver sales to consumers.
    pub can_deliver_sales_to_consumers: bool,
}
