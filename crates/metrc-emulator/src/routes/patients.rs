//! `GET /patients/v2/statuses/{patientLicenseNumber}?licenseNumber=`: a patient's registrations
//! with what each allows, has bought and has left.
//!
//! Guarantees: needs Lookup Patients at the licence (Metrc documents no facility capability, so
//! none is checked); an unknown patient is `200 []` (Metrc answers a list, and the list of a
//! patient it does not know is empty); the answer comes through Metrc's one-minute cache
//! (`patient_status`), so a sale shows up in it at most 60 s late by the emulator's clock.

use crate::auth::Need;
use crate::call::Call;
use crate::patient_status::answer;
use crate::permission::Permission;
use crate::reply::{Reply, ok_json};
use axum::extract::Path;

/// `GET /patients/v2/statuses/{patientLicenseNumber}?licenseNumber=`
pub(crate) async fn statuses(call: Call, Path(patient): Path<String>) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), Need::perms(&[Permission::LookupPatients]))?;
    let mut world = call.shared.lock();
    Ok(ok_json(&answer(&mut world, &license, &patient)))
}
