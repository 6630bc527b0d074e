//! Incoming transfers: `GET /transfers/v2/incoming`, `/transfers/v2/{id}/deliveries`,
//! `/transfers/v2/deliveries/{id}/packages`.
//!
//! Guarantees: read-only (Metrc has no API to receive a transfer); needs View or Manage Transfers
//! at the recipient licence; a transfer or delivery of a licence the user cannot reach is 401.

use crate::auth::Need;
use crate::call::Call;
use crate::envelope::{Window, envelope, fmt_ts};
use crate::permission::Permission;
use crate::reply::{Reply, bad_request, ok_json, unauthorized};
use axum::extract::Path;
use serde_json::{Value, json};

const VIEW: Need = Need::perms(&[Permission::ViewTransfers, Permission::ManageTransfers]);

/// `GET /transfers/v2/incoming?licenseNumber=`
pub(crate) async fn incoming(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), VIEW)?;
    let window = Window::from_params(&call.params)?;
    let world = call.shared.lock();
    let list: Vec<Value> = world
        .db
        .transfers
        .iter()
        .filter(|t| t.license_number == license && window.contains(t.last_modified))
        .map(|t| {
            let packages: usize = t.deliveries.iter().map(|d| d.packages.len()).sum();
            let recipient = world
                .db
                .facilities
                .iter()
                .find(|f| f.license_number == t.license_number)
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let first = t.deliveries.first();
            json!({
                "Id": t.id,
                "ManifestNumber": t.manifest_number,
                "InvoiceNumber": null,
                "ShipmentLicenseType": 0,
                "ShipperFacilityLicenseNumber": t.shipper_license_number,
                "ShipperFacilityName": t.shipper_name,
                "Name": null,
                "TransporterFacilityLicenseNumber": t.shipper_license_number,
                "TransporterFacilityName": t.shipper_name,
                "DriverName": "Demo Driver",
                "DriverOccupationalLicenseNumber": "",
                "DriverVehicleLicenseNumber": "",
                "VehicleMake": "Demo",
                "VehicleModel": "Van",
                "VehicleLicensePlateNumber": "DEMO-1",
                "DeliveryCount": t.deliveries.len(),
                "ReceivedDeliveryCount": if t.received.is_some() { t.deliveries.len() } else { 0 },
                "PackageCount": packages,
                "ReceivedPackageCount": if t.received.is_some() { packages } else { 0 },
                "ContainsPlantPackage": false,
                "ContainsProductPackage": true,
                "ContainsTradeSample": false,
                "ContainsDonation": false,
                "ContainsTestingSample": false,
                "ContainsProductRequiresRemediation": false,
                "ContainsRemediatedProductPackage": false,
                "IsVoided": false,
                "CreatedDateTime": fmt_ts(t.created),
                "CreatedByUserName": null,
                "LastModified": fmt_ts(t.last_modified),
                "DeliveryId": first.map(|d| d.id),
                "RecipientFacilityLicenseNumber": t.license_number,
                "RecipientFacilityName": recipient,
                "ShipmentTypeName": "Transfer",
                "ShipmentTransactionType": "Standard",
                "EstimatedDepartureDateTime": null,
                "ActualDepartureDateTime": null,
                "EstimatedArrivalDateTime": first.map(|d| d.estimated_arrival.clone()),
                "ActualArrivalDateTime": null,
                "DeliveryPackageCount": first.map_or(0, |d| d.packages.len()),
                "DeliveryReceivedPackageCount": if t.received.is_some() { first.map_or(0, |d| d.packages.len()) } else { 0 },
                "ReceivedDateTime": t.received.map(fmt_ts),
                "EstimatedReturnDepartureDateTime": null,
                "ActualReturnDepartureDateTime": null,
                "EstimatedReturnArrivalDateTime": null,
                "ActualReturnArrivalDateTime": null,
                "OriginatingTemplateId": null,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

fn parse_id(raw: &str) -> Result<u64, axum::response::Response> {
    raw.parse()
        .map_err(|_| bad_request(format!("The value '{raw}' is not a valid Id.")))
}

/// `GET /transfers/v2/{id}/deliveries`
pub(crate) async fn deliveries(call: Call, Path(id): Path<String>) -> Reply {
    let id = parse_id(&id)?;
    let license = {
        let world = call.shared.lock();
        world
            .db
            .transfers
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.license_number.clone())
    };
    let license = license.ok_or_else(unauthorized)?;
    call.auth(Some(&license), VIEW)?;
    let world = call.shared.lock();
    let recipient = world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let list: Vec<Value> = world
        .db
        .transfers
        .iter()
        .filter(|t| t.id == id)
        .flat_map(|t| t.deliveries.iter().map(move |d| (t, d)))
        .enumerate()
        .map(|(n, (t, d))| {
            json!({
                "Id": d.id,
                "ManifestNumber": t.manifest_number,
                "DeliveryNumber": n + 1,
                "RecipientFacilityLicenseNumber": t.license_number,
                "RecipientFacilityName": recipient,
                "ShipmentTypeName": "Transfer",
                "ShipmentTransactionType": "Standard",
                "InvoiceNumber": null,
                "EstimatedDepartureDateTime": null,
                "ActualDepartureDateTime": null,
                "EstimatedArrivalDateTime": d.estimated_arrival,
                "ActualArrivalDateTime": null,
                "GrossWeight": null,
                "GrossUnitOfWeightId": null,
                "GrossUnitOfWeightName": null,
                "PlannedRoute": null,
                "DeliveryPackageCount": d.packages.len(),
                "DeliveryReceivedPackageCount": if t.received.is_some() { d.packages.len() } else { 0 },
                "ReceivedDateTime": t.received.map(fmt_ts),
                "EstimatedReturnDepartureDateTime": null,
                "ActualReturnDepartureDateTime": null,
                "EstimatedReturnArrivalDateTime": null,
                "ActualReturnArrivalDateTime": null,
                "RejectedPackagesReturned": false,
                "PDFDocumentFileSystemId": null,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}

/// `GET /transfers/v2/deliveries/{id}/packages`
pub(crate) async fn delivery_packages(call: Call, Path(id): Path<String>) -> Reply {
    let id = parse_id(&id)?;
    let license = {
        let world = call.shared.lock();
        world
            .db
            .transfers
            .iter()
            .find(|t| t.deliveries.iter().any(|d| d.id == id))
            .map(|t| t.license_number.clone())
    };
    let license = license.ok_or_else(unauthorized)?;
    call.auth(Some(&license), VIEW)?;
    let world = call.shared.lock();
    let list: Vec<Value> = world
        .db
        .transfers
        .iter()
        .flat_map(|t| t.deliveries.iter())
        .filter(|d| d.id == id)
        .flat_map(|d| d.packages.iter())
        .map(|p| {
            json!({
                "PackageId": p.package_id,
                "PackageLabel": p.label,
                "PackageType": "Product",
                "SourceHarvestNames": null,
                "SourcePackageLabels": null,
                "ItemId": 0,
                "ItemName": p.item_name,
                "ItemCategoryName": p.item_category,
                "ItemStrainName": null,
                "ItemBrandName": null,
                "LabTestingState": "TestPassed",
                "ProductionBatchNumber": null,
                "IsTradeSample": false,
                "IsTradeSamplePersistent": false,
                "SourcePackageIsTradeSample": false,
                "IsDonation": false,
                "SourcePackageIsDonation": false,
                "IsTestingSample": false,
                "ProductRequiresRemediation": false,
                "ContainsRemediatedProduct": false,
                "RemediationDate": null,
                "ShipmentPackageState": "Shipped",
                "ShippedQuantity": p.quantity,
                "ShippedUnitOfMeasureName": p.unit_of_measure,
                "PackagedDate": null,
                "ExpirationDate": null,
                "SellByDate": null,
                "UseByDate": null,
                "GrossUnitOfWeightName": null,
                "ReceivedQuantity": null,
                "ReceivedUnitOfMeasureName": null,
                "SourceProductionBatchNumbers": null,
                "ExternalId": null,
                "IsFinishedGood": false,
            })
        })
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}
