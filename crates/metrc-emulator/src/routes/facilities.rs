//! `GET /facilities/v2`: the licences the key pair reaches, with `FacilityType` capability flags;
//! plus `GET /plants/v2/vegetative` and `GET /harvests/v2/active`, which a facility that cannot
//! grow answers with 401.
//!
//! Guarantees: only facilities the user reaches are listed; no permission is needed.

use crate::auth::{Need, authenticate};
use crate::call::Call;
use crate::envelope::envelope;
use crate::permission::Permission;
use crate::reply::{Reply, ok_json, unauthorized};
use serde_json::{Value, json};

/// `GET /facilities/v2`
pub(crate) async fn list(call: Call) -> Reply {
    let world = call.shared.lock();
    let user = authenticate(&world, &call.headers).ok_or_else(unauthorized)?;
    let list: Vec<Value> = user
        .licenses
        .iter()
        .filter_map(|l| {
            let f = world
                .db
                .facilities
                .iter()
                .find(|f| f.license_number == l.license_number)?;
            let employee = world
                .db
                .employees
                .iter()
                .find(|e| e.license_number == f.license_number && e.user.as_deref() == Some(&user.name));
            Some(json!({
                "FacilityId": f.facility_id,
                "HireDate": "0001-01-01",
                "IsOwner": employee.is_some_and(|e| e.is_owner),
                "IsManager": employee.is_some_and(|e| e.is_manager),
                "IsFinancialContact": false,
                "Email": null,
                "Occupations": [],
                "Name": f.name,
                "Alias": f.name,
                "DisplayName": f.name,
                "CredentialedDate": "2020-01-01",
                "SupportActivationDate": null,
                "SupportExpirationDate": null,
                "FacilityType": f.facility_type,
                "License": {
                    "Number": f.license_number,
                    "EmployeeLicenseNumber": employee.map_or(f.license_number.as_str(), |e| e.employee_license_number.as_str()),
                    "StartDate": "2020-01-01",
                    "EndDate": "2099-12-31",
                    "LicenseType": f.license_type,
                },
                "AllowTransferOfOnHoldPackages": null,
                "AllowTransferOfOnRecallPackages": null,
            }))
        })
        .collect();
    Ok(ok_json(&Value::Array(list)))
}

const GROW: &[&str] = &["CanGrowPlants"];

/// `GET /plants/v2/vegetative` (the emulator models no plants: an empty list where allowed).
pub(crate) async fn vegetative_plants(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(
        Some(&license),
        Need::perms(&[Permission::ViewPlants]).with_capability(GROW),
    )?;
    Ok(ok_json(&envelope(Vec::new(), &call.params)?))
}

/// `GET /harvests/v2/active` (no harvests are modelled: an empty list where allowed).
pub(crate) async fn active_harvests(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(
        Some(&license),
        Need::perms(&[Permission::ViewHarvests]).with_capability(GROW),
    )?;
    Ok(ok_json(&envelope(Vec::new(), &call.params)?))
}
