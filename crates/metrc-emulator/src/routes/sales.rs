//! Sales receipts: record (POST), correct (PUT), void (DELETE), look up by external number, by
//! Id, and list active/inactive.
//!
//! Guarantees: a sale takes its quantities off the packages, a void puts them back, a correction
//! swaps old lines for new; duplicates, lookup lag, batch mode and back-dating follow `Options`;
//! a receipt is invisible to lookups and lists until `visible_at`. A receipt naming a
//! `PatientLicenseNumber` counts against that patient's status (`patient_status`) until voided.

use crate::auth::Need;
use crate::call::{Call, parse_rows};
use crate::envelope::{Window, envelope, fmt_ts};
use crate::facility_type;
use crate::inventory::{Pending, run_batch};
use crate::model::{Receipt, SaleLine};
use crate::options::BatchMode;
use crate::permission::Permission;
use crate::reply::{Reply, bad_request, empty_ok, ids, ok_json, row_errors, unauthorized};
use crate::state::World;
use crate::writes::run_write;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;

const VIEW: Need = Need::perms(&[Permission::ViewSales, Permission::ManageSales]);
const MANAGE: Need = Need::perms(&[Permission::ManageSales]);
const SELL_CAPS: &[&str] = &[
    "CanSellToConsumers",
    "CanSellToPatients",
    "CanSellToCaregivers",
    "CanSellToExternalPatients",
];

fn line_json(world: &World, r: &Receipt, l: &SaleLine) -> Value {
    let package = Pending::package(world, &r.license_number, &l.package_label);
    let item = package.and_then(|p| world.db.items.iter().find(|i| i.id == p.item_id));
    let abbreviation = world
        .db
        .units_of_measure
        .iter()
        .find(|u| u.name == l.unit_of_measure)
        .map(|u| u.abbreviation.clone());
    json!({
        "PackageId": package.map(|p| p.id),
        "PackageLabel": l.package_label,
        "ProductName": item.map(|i| i.name.clone()),
        "ProductCategoryName": item.map(|i| i.category.clone()),
        "ItemStrainName": null,
        "ItemUnitThcContent": item.and_then(|i| i.unit_thc_content.as_ref()).map(|m| m.value),
        "ItemUnitThcContentUnitOfMeasureName": item.and_then(|i| i.unit_thc_content.as_ref()).map(|m| m.unit.clone()),
        "ItemUnitWeight": item.and_then(|i| i.unit_weight.as_ref()).map(|m| m.value),
        "ItemUnitWeightUnitOfMeasureName": item.and_then(|i| i.unit_weight.as_ref()).map(|m| m.unit.clone()),
        "QuantitySold": l.quantity,
        "UnitOfMeasureName": l.unit_of_measure,
        "UnitOfMeasureAbbreviation": abbreviation,
        "TotalPrice": l.total_amount,
        "SalesDeliveryState": null,
        "ArchivedDate": null,
        "RecordedDateTime": fmt_ts(r.recorded_date_time),
        "RecordedByUserName": r.recorded_by_user_name,
        "LastModified": fmt_ts(r.last_modified),
    })
}

/// Metrc's receipt object; `with_lines` adds the transactions (single-receipt GETs).
pub(crate) fn receipt_json(world: &World, r: &Receipt, with_lines: bool) -> Value {
    let lines: Vec<Value> = if with_lines {
        r.transactions
            .iter()
            .map(|l| line_json(world, r, l))
            .collect()
    } else {
        Vec::new()
    };
    let total: f64 = r.transactions.iter().map(|l| l.total_amount).sum();
    json!({
        "Id": r.id,
        "ReceiptNumber": null,
        "ExternalReceiptNumber": r.external_receipt_number,
        "SalesDateTime": r.sales_date_time,
        "SalesCustomerType": r.sales_customer_type,
        "PatientLicenseNumber": r.patient_license_number,
        "CaregiverLicenseNumber": r.caregiver_license_number,
        "IdentificationMethod": r.identification_method,
        "PatientRegistrationLocationId": null,
        "TotalPackages": r.transactions.len(),
        "TotalPrice": total,
        "Transactions": lines,
        "IsFinal": false,
        "ArchivedDate": if r.voided { json!(fmt_ts(r.last_modified)) } else { Value::Null },
        "RecordedDateTime": fmt_ts(r.recorded_date_time),
        "RecordedByUserName": r.recorded_by_user_name,
        "LastModified": fmt_ts(r.last_modified),
    })
}

fn visible(r: &Receipt, now: Timestamp) -> bool {
    r.visible_at <= now
}

fn list(call: &Call, voided: bool) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let window = Window::from_params(&call.params)?;
    let world = call.shared.lock();
    let now = world.now();
    let mut found: Vec<&Receipt> = world
        .db
        .receipts
        .iter()
        .filter(|r| {
            r.license_number == license
                && r.voided == voided
                && visible(r, now)
                && window.contains(r.last_modified)
        })
        .collect();
    found.sort_by_key(|r| (r.last_modified, r.id));
    let items = found
        .into_iter()
        .map(|r| receipt_json(&world, r, false))
        .collect();
    Ok(ok_json(&envelope(items, &call.params)?))
}

/// `GET /sales/v2/receipts/active`
pub(crate) async fn active(call: Call) -> Reply {
    list(&call, false)
}

/// `GET /sales/v2/receipts/inactive`
pub(crate) async fn inactive(call: Call) -> Reply {
    list(&call, true)
}

/// `GET /sales/v2/receipts/{id}`
pub(crate) async fn by_id(call: Call, Path(id): Path<String>) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let id: u64 = id
        .parse()
        .map_err(|_| bad_request(format!("The value '{id}' is not a valid Id.")))?;
    let world = call.shared.lock();
    let now = world.now();
    world
        .db
        .receipts
        .iter()
        .find(|r| r.id == id && r.license_number == license && visible(r, now))
        .map(|r| ok_json(&receipt_json(&world, r, true)))
        .ok_or_else(unauthorized)
}

/// `GET /sales/v2/receipts/external/{externalNumber}`
pub(crate) async fn by_external(call: Call, Path(number): Path<String>) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let world = call.shared.lock();
    let now = world.now();
    let mut matches: Vec<&Receipt> = world
        .db
        .receipts
        .iter()
        .filter(|r| {
            r.license_number == license
                && r.external_receipt_number.as_deref() == Some(number.as_str())
                && visible(r, now)
        })
        .collect();
    matches.sort_by_key(|r| (!r.voided, r.id));
    match matches.last() {
        Some(r) => Ok(ok_json(&receipt_json(&world, r, true))),
        None => {
            let status = StatusCode::from_u16(world.options.external_lookup_unknown_status)
                .unwrap_or(StatusCode::NOT_FOUND);
            Err(status.into_response())
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LineIn {
    package_label: Option<String>,
    quantity: Option<f64>,
    unit_of_measure: Option<String>,
    total_amount: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaleIn {
    id: Option<u64>,
    sales_date_time: Option<String>,
    external_receipt_number: Option<String>,
    sales_customer_type: Option<String>,
    patient_license_number: Option<String>,
    caregiver_license_number: Option<String>,
    identification_method: Option<String>,
    transactions: Option<Vec<LineIn>>,
}

struct SalePlan {
    id: Option<u64>,
    row: SaleIn,
    lines: Vec<SaleLine>,
}

fn check_time(world: &World, license: &str, raw: &str, errs: &mut Vec<String>) {
    let Ok(dt) = raw.parse::<jiff::civil::DateTime>() else {
        errs.push(format!(
            "SalesDateTime '{raw}' is not a valid local date and time (e.g. 2026-11-22T14:02:11.000)."
        ));
        return;
    };
    let opts = &world.options;
    if opts.backdate_limit_hours.is_none() && opts.future_limit_minutes.is_none() {
        return;
    }
    let Some(tz) = world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license)
        .and_then(|f| jiff::tz::TimeZone::get(&f.time_zone).ok())
    else {
        return;
    };
    let Ok(when) = dt.to_zoned(tz).map(|z| z.timestamp()) else {
        return;
    };
    let now = world.now();
    if let Some(h) = opts.backdate_limit_hours
        && now.duration_since(when) > SignedDuration::from_hours(h as i64)
    {
        errs.push(format!(
            "SalesDateTime {raw} is more than {h} hours in the past."
        ));
    }
    if let Some(m) = opts.future_limit_minutes
        && when.duration_since(now) > SignedDuration::from_mins(m as i64)
    {
        errs.push(format!("SalesDateTime {raw} is in the future."));
    }
}

fn check_sale(
    world: &World,
    license: &str,
    pending: &mut Pending,
    row: &SaleIn,
    batch_numbers: &mut HashSet<String>,
    updating: bool,
) -> Result<SalePlan, Vec<String>> {
    let mut errs = Vec::new();
    let facility = world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license);
    let flags = facility.map(|f| &f.facility_type);
    let has = |flag: &str| flags.is_some_and(|m| facility_type::has(m, flag));
    if updating {
        match row.id.and_then(|id| {
            world
                .db
                .receipts
                .iter()
                .find(|r| r.id == id && r.license_number == license)
        }) {
            None => errs.push(format!(
                "Sales receipt Id {:?} was not found at {license}.",
                row.id
            )),
            Some(r) if r.voided => errs.push(format!("Sales receipt {} is voided.", r.id)),
            Some(r) => {
                for l in &r.transactions {
                    if let Some(p) = Pending::package(world, license, &l.package_label) {
                        pending.add(p, l.quantity);
                    }
                }
            }
        }
    }
    match row.sales_date_time.as_deref() {
        Some(t) => check_time(world, license, t, &mut errs),
        None => errs.push("SalesDateTime is required.".into()),
    }
    let customer = row.sales_customer_type.clone().unwrap_or_default();
    if !world.db.customer_types.contains(&customer) {
        errs.push(format!("SalesCustomerType '{customer}' is not valid."));
    } else {
        let allowed = match customer.as_str() {
            "Consumer" => has("CanSellToConsumers"),
            "Patient" => has("CanSellToPatients"),
            "Caregiver" => has("CanSellToCaregivers"),
            "ExternalPatient" => has("CanSellToExternalPatients"),
            "NonResidentConsumer" => has("RetailSalesToNonResidentConsumer"),
            _ => true,
        };
        if !allowed {
            errs.push(format!(
                "This facility cannot sell to customer type {customer}."
            ));
        }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if customer == "Patient"
            && has("SalesRequirePatientNumber")
            && blank(&row.patient_license_number)
        {
            errs.push("PatientLicenseNumber is required for patient sales.".into());
        }
        if customer == "Caregiver"
            && has("SalesRequireCaregiverNumber")
            && blank(&row.caregiver_license_number)
        {
            errs.push("CaregiverLicenseNumber is required for caregiver sales.".into());
        }
        if customer == "ExternalPatient"
            && has("SalesRequireExternalPatientNumber")
            && blank(&row.patient_license_number)
        {
            errs.push("PatientLicenseNumber is required for external patient sales.".into());
        }
        if customer == "ExternalPatient"
            && has("SalesRequireExternalPatientIdentificationMethod")
            && blank(&row.identification_method)
        {
            errs.push("IdentificationMethod is required for external patient sales.".into());
        }
    }
    if let Some(n) = row.external_receipt_number.as_deref()
        && world.options.reject_duplicate_external_receipt_number
    {
        let exists = world.db.receipts.iter().any(|r| {
            r.license_number == license
                && r.external_receipt_number.as_deref() == Some(n)
                && (!updating || Some(r.id) != row.id)
        });
        if exists || batch_numbers.contains(n) {
            errs.push(format!("ExternalReceiptNumber {n} has already been used."));
        }
    }
    let lines_in = row.transactions.clone().unwrap_or_default();
    if lines_in.is_empty() {
        errs.push("At least one transaction is required.".into());
    }
    let mut lines = Vec::new();
    for l in &lines_in {
        let label = l.package_label.clone().unwrap_or_default();
        let Some(p) = Pending::package(world, license, &label) else {
            errs.push(format!("Package {label} was not found at {license}."));
            continue;
        };
        let q = l.quantity.unwrap_or(0.0);
        let unit = l.unit_of_measure.clone().unwrap_or_default();
        if l.quantity.is_none() || q <= 0.0 || !q.is_finite() {
            errs.push(format!(
                "Package {label}: Quantity must be greater than zero."
            ));
        } else if unit != p.unit_of_measure {
            errs.push(format!(
                "Package {label} is measured in {}, not '{unit}'.",
                p.unit_of_measure
            ));
        } else if q > pending.on_hand(p) + 1e-9 {
            errs.push(format!(
                "Package {label} has {} {} on hand; cannot sell {q}.",
                pending.on_hand(p),
                p.unit_of_measure
            ));
        } else {
            pending.add(p, -q);
        }
        let total = l.total_amount.unwrap_or(0.0);
        if !total.is_finite() || total < 0.0 {
            errs.push(format!(
                "Package {label}: TotalAmount must not be negative."
            ));
        }
        lines.push(SaleLine {
            package_label: label,
            quantity: q,
            unit_of_measure: unit,
            total_amount: total,
        });
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    if let Some(n) = &row.external_receipt_number {
        batch_numbers.insert(n.clone());
    }
    Ok(SalePlan {
        id: row.id,
        row: row.clone(),
        lines,
    })
}

fn sales_commit(
    world: &mut World,
    license: &str,
    user: &str,
    rows: &[SaleIn],
    updating: bool,
) -> Response {
    let mut numbers = HashSet::new();
    let batch = run_batch(rows, |pending, row| {
        check_sale(world, license, pending, row, &mut numbers, updating)
    });
    if !batch.errors.is_empty() && world.options.batch_mode == BatchMode::AllOrNothing {
        return row_errors(&batch.errors);
    }
    let now = world.now();
    let lag = SignedDuration::from_millis(world.options.lookup_lag_ms.min(i64::MAX as u64) as i64);
    let visible_at = now.checked_add(lag).unwrap_or(now);
    batch.pending.apply(world, license, now);
    let mut new_ids = Vec::new();
    for plan in batch.plans {
        let row = plan.row;
        if updating {
            if let Some(r) = world
                .db
                .receipts
                .iter_mut()
                .find(|r| Some(r.id) == plan.id && r.license_number == license)
            {
                r.sales_date_time = row.sales_date_time.unwrap_or_default();
                r.external_receipt_number = row.external_receipt_number;
                r.sales_customer_type = row.sales_customer_type.unwrap_or_default();
                r.patient_license_number = row.patient_license_number;
                r.caregiver_license_number = row.caregiver_license_number;
                r.identification_method = row.identification_method;
                r.transactions = plan.lines;
                r.last_modified = now;
            }
            continue;
        }
        let id = world.next_receipt_id;
        world.next_receipt_id += 1;
        world.db.receipts.push(Receipt {
            id,
            license_number: license.to_owned(),
            external_receipt_number: row.external_receipt_number,
            sales_date_time: row.sales_date_time.unwrap_or_default(),
            sales_customer_type: row.sales_customer_type.unwrap_or_default(),
            patient_license_number: row.patient_license_number,
            caregiver_license_number: row.caregiver_license_number,
            identification_method: row.identification_method,
            transactions: plan.lines,
            voided: false,
            recorded_date_time: now,
            recorded_by_user_name: Some(user.to_owned()),
            last_modified: now,
            visible_at,
        });
        new_ids.push(id);
    }
    match (batch.errors.is_empty(), updating) {
        (false, _) => row_errors(&batch.errors),
        (true, true) => empty_ok(),
        (true, false) => ids(&new_ids),
    }
}

/// `POST /sales/v2/receipts?licenseNumber=`
pub(crate) async fn create(call: Call, body: Bytes) -> Reply {
    let license = call.license()?;
    let user = call.auth(
        Some(&license),
        Need::perms(&[Permission::SalesWrite, Permission::ManageSales]).with_capability(SELL_CAPS),
    )?;
    let limit = call.shared.lock().options.object_limit;
    let rows: Vec<SaleIn> = parse_rows(&body, limit)?;
    let commit = Box::new(move |w: &mut World| sales_commit(w, &license, &user, &rows, false));
    Ok(run_write(&call.shared, call.conn.clone(), &call.path, commit).await)
}

/// `PUT /sales/v2/receipts?licenseNumber=` (correct receipts by `Id`)
pub(crate) async fn update(call: Call, body: Bytes) -> Reply {
    let license = call.license()?;
    let user = call.auth(Some(&license), MANAGE.with_capability(SELL_CAPS))?;
    let limit = call.shared.lock().options.object_limit;
    let rows: Vec<SaleIn> = parse_rows(&body, limit)?;
    let commit = Box::new(move |w: &mut World| sales_commit(w, &license, &user, &rows, true));
    Ok(run_write(&call.shared, call.conn.clone(), &call.path, commit).await)
}

fn void_commit(world: &mut World, license: &str, id: u64) -> Response {
    let now = world.now();
    let Some(idx) = world
        .db
        .receipts
        .iter()
        .position(|r| r.id == id && r.license_number == license)
    else {
        return bad_request(format!("Sales receipt {id} was not found at {license}."));
    };
    if world.db.receipts[idx].voided {
        return bad_request(format!("Sales receipt {id} is already voided."));
    }
    let lines = world.db.receipts[idx].transactions.clone();
    for l in lines {
        if let Some(p) = world
            .db
            .packages
            .iter_mut()
            .find(|p| p.license_number == license && p.label == l.package_label)
        {
            p.quantity = crate::inventory::round(p.quantity + l.quantity);
            p.last_modified = now;
        }
    }
    let r = &mut world.db.receipts[idx];
    r.voided = true;
    r.last_modified = now;
    empty_ok()
}

/// `DELETE /sales/v2/receipts/{id}?licenseNumber=` (void; restores package quantities)
pub(crate) async fn void(call: Call, Path(id): Path<String>) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), MANAGE)?;
    let id: u64 = id
        .parse()
        .map_err(|_| bad_request(format!("The value '{id}' is not a valid Id.")))?;
    let commit = Box::new(move |w: &mut World| void_commit(w, &license, id));
    Ok(run_write(&call.shared, call.conn.clone(), &call.path, commit).await)
}
