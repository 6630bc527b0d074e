//! Packages: active and inactive (finished) lists, one package, adjust reasons, adjust, adjustment history, and new
//! packages from ingredients (merge/split).
//!
//! Guarantees: adjustments and new packages change quantities atomically per batch (all-or-nothing
//! by default, see `Options::batch_mode`); an adjustment never takes a package below zero; a new
//! tag must be unused across all licences; ingredients are consumed.

use crate::auth::Need;
use crate::call::{Call, parse_rows};
use crate::envelope::{Window, envelope, fmt_ts};
use crate::inventory::{Pending, round, run_batch};
use crate::model::{Adjustment, Package};
use crate::options::BatchMode;
use crate::permission::Permission;
use crate::reply::{Reply, ids, ok_json, row_errors, unauthorized};
use crate::routes::items::item_json;
use crate::state::World;
use crate::writes::run_write;
use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

const VIEW: Need = Need::perms(&[Permission::ViewPackages]);

/// Metrc's package object.
pub(crate) fn package_json(world: &World, p: &Package) -> Value {
    let item = world.db.items.iter().find(|i| i.id == p.item_id);
    let abbreviation = world
        .db
        .units_of_measure
        .iter()
        .find(|u| u.name == p.unit_of_measure)
        .map(|u| u.abbreviation.clone());
    json!({
        "Id": p.id,
        "Label": p.label,
        "ExternalId": null,
        "PackageType": "Product",
        "SourceHarvestCount": 0,
        "SourcePackageCount": p.source_package_labels.len(),
        "SourceProcessingJobCount": 0,
        "SourceHarvestNames": null,
        "SourcePackageLabels": if p.source_package_labels.is_empty() { Value::Null } else { json!(p.source_package_labels.join(", ")) },
        "LocationId": null,
        "LocationName": null,
        "SublocationId": null,
        "SublocationName": null,
        "LocationTypeName": null,
        "Quantity": p.quantity,
        "OriginalPackageQuantity": 0.0,
        "UnitOfMeasureName": p.unit_of_measure,
        "UnitOfMeasureAbbreviation": abbreviation,
        "PatientLicenseNumber": null,
        "ItemFromFacilityLicenseNumber": null,
        "ItemFromFacilityName": null,
        "Note": null,
        "PackagedDate": p.packaged_date,
        "ExpirationDate": null,
        "SellByDate": null,
        "UseByDate": null,
        "InitialLabTestingState": "TestPassed",
        "LabTestingState": "TestPassed",
        "LabTestingStateDate": p.packaged_date,
        "IsProductionBatch": false,
        "ProductionBatchNumber": null,
        "IsTradeSample": false,
        "IsDonation": false,
        "IsTestingSample": false,
        "ProductRequiresRemediation": false,
        "ContainsRemediatedProduct": false,
        "ReceivedDateTime": null,
        "ReceivedFromManifestNumber": null,
        "ReceivedFromFacilityLicenseNumber": null,
        "ReceivedFromFacilityName": null,
        "IsOnHold": false,
        "IsOnRecall": null,
        "ArchivedDate": null,
        "IsFinished": p.finished_date.is_some(),
        "FinishedDate": p.finished_date,
        "IsFinishedGood": false,
        "IsOnRetailerDelivery": false,
        "LastModified": fmt_ts(p.last_modified),
        "Item": item.map(|i| item_json(world, i)),
        "ProductLabel": null,
    })
}

/// `GET /packages/v2/active?licenseNumber=&lastModifiedStart=&lastModifiedEnd=`
pub(crate) async fn active(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let window = Window::from_params(&call.params)?;
    let world = call.shared.lock();
    let mut list: Vec<&Package> = world
        .db
        .packages
        .iter()
        .filter(|p| {
            p.license_number == license
                && p.finished_date.is_none()
                && window.contains(p.last_modified)
        })
        .collect();
    list.sort_by_key(|p| (p.last_modified, p.id));
    let list = list.into_iter().map(|p| package_json(&world, p)).collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

/// `GET /packages/v2/inactive?licenseNumber=&lastModifiedStart=&lastModifiedEnd=` (finished).
pub(crate) async fn inactive(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let window = Window::from_params(&call.params)?;
    let world = call.shared.lock();
    let mut list: Vec<&Package> = world
        .db
        .packages
        .iter()
        .filter(|p| {
            p.license_number == license
                && p.finished_date.is_some()
                && window.contains(p.last_modified)
        })
        .collect();
    list.sort_by_key(|p| (p.last_modified, p.id));
    let list = list.into_iter().map(|p| package_json(&world, p)).collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

/// `GET /packages/v2/{label}` (also `{id}` when numeric and a package has that Id).
pub(crate) async fn one(call: Call, Path(key): Path<String>) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let world = call.shared.lock();
    let by_id = key.parse::<u64>().ok();
    let found = world
        .db
        .packages
        .iter()
        .find(|p| p.license_number == license && (p.label == key || Some(p.id) == by_id));
    match found {
        Some(p) => Ok(ok_json(&package_json(&world, p))),
        None => Err(unauthorized()),
    }
}

/// `GET /packages/v2/adjust/reasons?licenseNumber=`
pub(crate) async fn adjust_reasons(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), Need::NONE)?;
    let world = call.shared.lock();
    let list = world
        .db
        .adjust_reasons
        .iter()
        .map(|r| {
            json!({
                "Name": r.name,
                "RequiresNote": r.requires_note,
                "RequiresWasteWeight": false,
                "RequiresImmatureWasteWeight": false,
                "RequiresMatureWasteWeight": false,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

/// `GET /packages/v2/adjustments?licenseNumber=`
pub(crate) async fn adjustments(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let world = call.shared.lock();
    let list = world
        .db
        .adjustments
        .iter()
        .filter(|a| a.license_number == license)
        .map(|a| {
            let package = Pending::package(&world, &license, &a.package_label);
            let item = package.and_then(|p| world.db.items.iter().find(|i| i.id == p.item_id));
            let abbreviation = world
                .db
                .units_of_measure
                .iter()
                .find(|u| u.name == a.unit_of_measure)
                .map(|u| u.abbreviation.clone());
            json!({
                "PackageId": package.map(|p| p.id),
                "PackageLabel": a.package_label,
                "ItemName": item.map(|i| i.name.clone()),
                "ItemCategoryName": item.map(|i| i.category.clone()),
                "AdjustmentQuantity": a.quantity,
                "AdjustmentUnitOfMeasureName": a.unit_of_measure,
                "AdjustmentUnitOfMeasureAbbreviation": abbreviation,
                "AdjustmentReasonName": a.reason,
                "AdjustmentNote": a.note.clone().unwrap_or_default(),
                "AdjustmentDate": a.adjustment_date,
                "PackagedDate": package.map(|p| p.packaged_date.clone()),
                "AdjustedByUserName": a.adjusted_by_user_name,
                "PackageLabTestResultExpirationDateTime": null,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AdjustIn {
    label: Option<String>,
    quantity: Option<f64>,
    unit_of_measure: Option<String>,
    adjustment_reason: Option<String>,
    adjustment_date: Option<String>,
    reason_note: Option<String>,
}

fn valid_date(s: Option<&str>, name: &str, errs: &mut Vec<String>) -> String {
    match s {
        Some(d) if d.parse::<jiff::civil::Date>().is_ok() => d.to_owned(),
        Some(d) => {
            errs.push(format!("{name} '{d}' is not a valid date (YYYY-MM-DD)."));
            String::new()
        }
        None => {
            errs.push(format!("{name} is required."));
            String::new()
        }
    }
}

fn finish_batch(errors: &[crate::reply::RowError], mode: BatchMode) -> Option<Response> {
    (!errors.is_empty() && mode == BatchMode::AllOrNothing).then(|| row_errors(errors))
}

fn adjust_commit(world: &mut World, license: &str, user: &str, rows: &[AdjustIn]) -> Response {
    let batch = run_batch(rows, |pending, row| {
        let mut errs = Vec::new();
        let label = row.label.clone().unwrap_or_default();
        let package = Pending::package(world, license, &label);
        if package.is_none() {
            errs.push(format!("Package {label} was not found at {license}."));
        }
        let quantity = row.quantity.unwrap_or(0.0);
        if row.quantity.is_none() || quantity == 0.0 || !quantity.is_finite() {
            errs.push("Quantity must be a non-zero number.".into());
        }
        let unit = row.unit_of_measure.clone().unwrap_or_default();
        if let Some(p) = package
            && p.unit_of_measure != unit
        {
            errs.push(format!(
                "Package {label} is measured in {}, not '{unit}'.",
                p.unit_of_measure
            ));
        }
        let reason_name = row.adjustment_reason.clone().unwrap_or_default();
        match world
            .db
            .adjust_reasons
            .iter()
            .find(|r| r.name == reason_name)
        {
            None => errs.push(format!("Adjustment reason '{reason_name}' is not valid.")),
            Some(r)
                if r.requires_note
                    && row
                        .reason_note
                        .as_deref()
                        .is_none_or(|n| n.trim().is_empty()) =>
            {
                errs.push(format!(
                    "Adjustment reason '{reason_name}' requires a ReasonNote."
                ))
            }
            Some(_) => {}
        }
        let date = valid_date(row.adjustment_date.as_deref(), "AdjustmentDate", &mut errs);
        if let Some(p) = package
            && errs.is_empty()
        {
            let after = round(pending.on_hand(p) + quantity);
            if after < 0.0 {
                errs.push(format!(
                    "Package {label} has {} {} on hand; an adjustment of {quantity} would make it negative.",
                    pending.on_hand(p),
                    p.unit_of_measure
                ));
            } else {
                pending.add(p, quantity);
            }
        }
        if errs.is_empty() {
            Ok((
                label,
                quantity,
                unit,
                reason_name,
                date,
                row.reason_note.clone(),
            ))
        } else {
            Err(errs)
        }
    });
    let mode = world.options.batch_mode;
    if let Some(r) = finish_batch(&batch.errors, mode) {
        return r;
    }
    let now = world.now();
    batch.pending.apply(world, license, now);
    let mut new_ids = Vec::new();
    for (label, quantity, unit, reason, date, note) in batch.plans {
        let id = world.next_adjustment_id;
        world.next_adjustment_id += 1;
        world.db.adjustments.push(Adjustment {
            id,
            license_number: license.to_owned(),
            package_label: label,
            quantity,
            unit_of_measure: unit,
            reason,
            note,
            adjustment_date: date,
            adjusted_by_user_name: Some(user.to_owned()),
            recorded: now,
        });
        new_ids.push(id);
    }
    if batch.errors.is_empty() {
        ids(&new_ids)
    } else {
        row_errors(&batch.errors)
    }
}

/// `POST /packages/v2/adjust?licenseNumber=`
pub(crate) async fn adjust(call: Call, body: Bytes) -> Reply {
    let license = call.license()?;
    let user = call.auth(
        Some(&license),
        Need::perms(&[Permission::ManagePackagesInventory]),
    )?;
    let limit = call.shared.lock().options.object_limit;
    let rows: Vec<AdjustIn> = parse_rows(&body, limit)?;
    let commit = Box::new(move |w: &mut World| adjust_commit(w, &license, &user, &rows));
    Ok(run_write(&call.shared, call.conn.clone(), &call.path, commit).await)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IngredientIn {
    package: Option<String>,
    quantity: Option<f64>,
    unit_of_measure: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NewPackageIn {
    tag: Option<String>,
    item: Option<String>,
    #[serde(default)]
    use_same_item: Option<bool>,
    quantity: Option<f64>,
    unit_of_measure: Option<String>,
    actual_date: Option<String>,
    #[serde(default)]
    ingredients: Option<Vec<IngredientIn>>,
}

struct NewPackagePlan {
    tag: String,
    item_id: u64,
    quantity: f64,
    unit: String,
    date: String,
    sources: Vec<String>,
}

fn create_commit(world: &mut World, license: &str, rows: &[NewPackageIn]) -> Response {
    let batch = run_batch(rows, |pending, row| {
        let mut errs = Vec::new();
        let tag = row.tag.clone().unwrap_or_default();
        if tag.trim().is_empty() {
            errs.push("Tag is required.".into());
        } else if world.db.packages.iter().any(|p| p.label == tag)
            || pending.new_tags.contains(&tag)
        {
            errs.push(format!("Tag {tag} is already in use."));
        }
        let quantity = row.quantity.unwrap_or(0.0);
        if row.quantity.is_none() || quantity <= 0.0 || !quantity.is_finite() {
            errs.push("Quantity must be greater than zero.".into());
        }
        let unit = row.unit_of_measure.clone().unwrap_or_default();
        if !world.db.units_of_measure.iter().any(|u| u.name == unit) {
            errs.push(format!("Unit of measure '{unit}' is not valid."));
        }
        let date = valid_date(row.actual_date.as_deref(), "ActualDate", &mut errs);
        let ingredients = row.ingredients.clone().unwrap_or_default();
        if ingredients.is_empty() {
            errs.push("At least one ingredient is required.".into());
        }
        let mut sources = Vec::new();
        let mut first_item = None;
        for ing in &ingredients {
            let label = ing.package.clone().unwrap_or_default();
            let Some(p) = Pending::package(world, license, &label) else {
                errs.push(format!(
                    "Ingredient package {label} was not found at {license}."
                ));
                continue;
            };
            first_item.get_or_insert(p.item_id);
            let q = ing.quantity.unwrap_or(0.0);
            let u = ing.unit_of_measure.clone().unwrap_or_default();
            if ing.quantity.is_none() || q <= 0.0 || !q.is_finite() {
                errs.push(format!(
                    "Ingredient {label}: Quantity must be greater than zero."
                ));
            } else if u != p.unit_of_measure {
                errs.push(format!(
                    "Ingredient {label} is measured in {}, not '{u}'.",
                    p.unit_of_measure
                ));
            } else if q > pending.on_hand(p) + 1e-9 {
                errs.push(format!(
                    "Ingredient {label} has {} {} on hand; {q} requested.",
                    pending.on_hand(p),
                    p.unit_of_measure
                ));
            } else {
                pending.add(p, -q);
            }
            sources.push(label);
        }
        let item_id = if row.use_same_item == Some(true) {
            first_item
        } else {
            let name = row.item.clone().unwrap_or_default();
            let found = world
                .db
                .items
                .iter()
                .find(|i| i.license_number == license && i.name == name)
                .map(|i| i.id);
            if found.is_none() {
                errs.push(format!("Item '{name}' was not found at {license}."));
            }
            found
        };
        if let Some(item) = item_id.and_then(|id| world.db.items.iter().find(|i| i.id == id))
            && item.unit_of_measure != unit
            && errs.is_empty()
        {
            errs.push(format!(
                "Item {} is measured in {}, not '{unit}'.",
                item.name, item.unit_of_measure
            ));
        }
        match (errs.is_empty(), item_id) {
            (true, Some(item_id)) => {
                pending.new_tags.insert(tag.clone());
                Ok(NewPackagePlan {
                    tag,
                    item_id,
                    quantity,
                    unit,
                    date,
                    sources,
                })
            }
            _ => Err(errs),
        }
    });
    let mode = world.options.batch_mode;
    if let Some(r) = finish_batch(&batch.errors, mode) {
        return r;
    }
    let now = world.now();
    batch.pending.apply(world, license, now);
    let mut new_ids = Vec::new();
    for plan in batch.plans {
        let id = world.next_package_id;
        world.next_package_id += 1;
        world.db.packages.push(Package {
            id,
            license_number: license.to_owned(),
            label: plan.tag,
            item_id: plan.item_id,
            quantity: plan.quantity,
            unit_of_measure: plan.unit,
            packaged_date: plan.date,
            source_package_labels: plan.sources,
            finished_date: None,
            last_modified: now,
        });
        new_ids.push(id);
    }
    if batch.errors.is_empty() {
        ids(&new_ids)
    } else {
        row_errors(&batch.errors)
    }
}

/// `POST /packages/v2?licenseNumber=` (new packages from ingredients: merge and split)
pub(crate) async fn create(call: Call, body: Bytes) -> Reply {
    let license = call.license()?;
    call.auth(
        Some(&license),
        Need::perms(&[Permission::CreatePackages]).with_capability(&["CanCreateDerivedPackages"]),
    )?;
    let limit = call.shared.lock().options.object_limit;
    let rows: Vec<NewPackageIn> = parse_rows(&body, limit)?;
    let commit = Box::new(move |w: &mut World| create_commit(w, &license, &rows));
    Ok(run_write(&call.shared, call.conn.clone(), &call.path, commit).await)
}
