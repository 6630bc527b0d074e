//! `GET /employees/v2` and `GET /employees/v2/permissions`.
//!
//! Guarantees: listing needs View or Manage Employees; a permission list needs Manage Employees
//! and returns the linked user's permissions at that licence, by Metrc's lower-case names.

use crate::auth::Need;
use crate::call::Call;
use crate::envelope::envelope;
use crate::permission::Permission;
use crate::reply::{Reply, bad_request, ok_json};
use serde_json::{Value, json};

/// `GET /employees/v2?licenseNumber=`
pub(crate) async fn list(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(
        Some(&license),
        Need::perms(&[Permission::ViewEmployees, Permission::ManageEmployees]),
    )?;
    let world = call.shared.lock();
    let facility_type = world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license)
        .map(|f| f.license_type.clone())
        .unwrap_or_default();
    let list: Vec<Value> = world
        .db
        .employees
        .iter()
        .filter(|e| e.license_number == license)
        .map(|e| {
            json!({
                "FullName": e.full_name,
                "License": {
                    "Number": e.license_number,
                    "EmployeeLicenseNumber": e.employee_license_number,
                    "StartDate": "2020-01-01",
                    "EndDate": "2099-12-31",
                    "LicenseType": facility_type,
                },
                "IsIndustryAdmin": false,
                "IsOwner": e.is_owner,
                "IsManager": e.is_manager,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

/// `GET /employees/v2/permissions?licenseNumber=&employeeLicenseNumber=`
pub(crate) async fn permissions(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), Need::perms(&[Permission::ManageEmployees]))?;
    let Some(employee_license) = call.param("employeeLicenseNumber").map(str::to_owned) else {
        return Err(bad_request("employeeLicenseNumber is required."));
    };
    let world = call.shared.lock();
    let employee = world
        .db
        .employees
        .iter()
        .find(|e| e.license_number == license && e.employee_license_number == employee_license)
        .ok_or_else(|| {
            bad_request(format!(
                "Employee {employee_license} was not found at {license}."
            ))
        })?;
    let names: Vec<&str> = employee
        .user
        .as_deref()
        .and_then(|u| world.db.users.iter().find(|x| x.name == u))
        .and_then(|u| u.licenses.iter().find(|l| l.license_number == license))
        .map(|l| l.permissions.iter().map(|p| p.name()).collect())
        .unwrap_or_default();
    Ok(ok_json(&json!(names)))
}
