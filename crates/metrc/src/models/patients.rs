//! `GET /patients/v2/statuses/{patientLicenseNumber}`: a medical patient's registrations, each with
//! what it allows per purchase period, what was bought in it and what is left, in ounces.
//!
//! Metrc caches this answer for up to a minute, so a sale made moments ago may not show yet.
//! Amounts are `Option`s: `None` means Metrc sent nothing (or `null`), which is not the same as 0.

use serde::{Deserialize, Serialize};

use super::wire::null_default;

/// One registration of a patient, as Metrc reports it at a facility.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PatientStatus {
    /// The patient's licence number.
    #[serde(deserialize_with = "null_default")]
    pub patient_license_number: String,
    /// How the patient was identified, if the state records it.
    pub identification_method: Option<String>,
    /// The registration's number (a patient may have several).
    pub registration_number: Option<String>,
    /// Whether the registration is active (`null` reads as inactive).
    #[serde(deserialize_with = "null_default")]
    pub active: bool,
    /// Flower allowed per period, in ounces.
    pub flower_ounces_allowed: Option<f64>,
    /// THC allowed per period, in ounces.
    pub thc_ounces_allowed: Option<f64>,
    /// Concentrate allowed per period, in ounces.
    pub concentrate_ounces_allowed: Option<f64>,
    /// Infused product allowed per period, in ounces.
    pub infused_ounces_allowed: Option<f64>,
    /// Flower bought in the period, in ounces.
    pub flower_ounces_purchased: Option<f64>,
    /// THC bought in the period, in ounces.
    pub thc_ounces_purchased: Option<f64>,
    /// Concentrate bought in the period, in ounces.
    pub concentrate_ounces_purchased: Option<f64>,
    /// Infused product bought in the period, in ounces.
    pub infused_ounces_purchased: Option<f64>,
    /// Flower still available in the period, in ounces.
    pub flower_ounces_available: Option<f64>,
    /// THC still available in the period, in ounces.
    pub thc_ounces_available: Option<f64>,
    /// Concentrate still available in the period, in ounces.
    pub concentrate_ounces_available: Option<f64>,
    /// Infused product still available in the period, in ounces.
    pub infused_ounces_available: Option<f64>,
    /// The rolling purchase period, in days (Metrc sends a number such as `30.0`).
    pub purchase_amount_days: Option<f64>,
    /// When the patient's licence expires, as Metrc sends it (`YYYY-MM-DD`).
    pub patient_license_expiration_date: Option<String>,
    /// When the registration started, as Metrc sends it (`YYYY-MM-DD`).
    pub patient_registration_start_date: Option<String>,
}
