//! `MetrcClient::patient_statuses`: a medical patient's registrations and what each has left to
//! buy, looked up at a facility.
//!
//! Guarantees: exactly one request; the patient number travels as one percent-encoded path
//! segment (an empty, `.`/`..`, over-long or control-character number is refused before anything
//! is sent); `licenseNumber` as a query parameter; a 404, an empty body or `null` read as no
//! registration (an empty list); other errors are classified as every call's are. Nothing is
//! retried or cached here — Metrc itself caches the answer for up to a minute.

use super::{MetrcClient, license_query, segment};
use crate::error::MetrcError;
use crate::keys::UserKey;
use crate::models::patients::PatientStatus;

impl MetrcClient {
    /// `GET /patients/v2/statuses/{patientLicenseNumber}?licenseNumber=`: every registration of
    /// the patient, as seen from `license` (needs Lookup Patients there). An unknown patient is an
    /// empty list.
    pub async fn patient_statuses(
        &self,
        key: &UserKey,
        license: &str,
        patient_number: &str,
    ) -> Result<Vec<PatientStatus>, MetrcError> {
        let q = license_query(license)?;
        let number = segment("patient licence number", patient_number)?;
        let found: Option<Vec<PatientStatus>> = self
            .http
            .get_optional(key, &["patients", "v2", "statuses", number], q)
            .await?;
        Ok(found.unwrap_or_default())
    }
}
