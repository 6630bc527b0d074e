//! `GET /items/v2/active`, and the item JSON shared with packages.
//!
//! Guarantees: Metrc's field names; needs Manage Items (as Metrc documents); the item's facts
//! (`ProductCategoryType`, `UnitWeight`, `UnitThcContent` with their units) are the same in every
//! reply that embeds the item (packages, sales receipt lines).

use crate::auth::Need;
use crate::call::Call;
use crate::envelope::{Window, envelope, fmt_ts};
use crate::model::Item;
use crate::permission::Permission;
use crate::reply::{Reply, ok_json};
use crate::state::World;
use serde_json::{Value, json};

/// "WeightBased", "CountBased", … for a unit name.
pub(crate) fn quantity_type(world: &World, unit: &str) -> String {
    world
        .db
        .units_of_measure
        .iter()
        .find(|u| u.name == unit)
        .map(|u| u.quantity_type.clone())
        .unwrap_or_else(|| "CountBased".into())
}

/// Metrc's item object.
pub(crate) fn item_json(world: &World, item: &Item) -> Value {
    json!({
        "Id": item.id,
        "Name": item.name,
        "GlobalProductName": null,
        "GlobalProductNumber": null,
        "ProductCategoryName": item.category,
        "ProductCategoryType": item.category_type(),
        "IsExpirationDateRequired": false,
        "HasExpirationDate": false,
        "IsSellByDateRequired": false,
        "HasSellByDate": false,
        "IsUseByDateRequired": false,
        "HasUseByDate": false,
        "QuantityType": quantity_type(world, &item.unit_of_measure),
        "DefaultLabTestingState": "TestPassed",
        "UnitOfMeasureName": item.unit_of_measure,
        "ApprovalStatus": "Approved",
        "ApprovalStatusDateTime": fmt_ts(item.last_modified),
        "StrainId": null,
        "StrainName": null,
        "ItemBrandId": 0,
        "ItemBrandName": null,
        "AdministrationMethod": null,
        "UnitThcPercent": null,
        "UnitThcContent": item.unit_thc_content.as_ref().map(|m| m.value),
        "UnitThcContentUnitOfMeasureName": item.unit_thc_content.as_ref().map(|m| m.unit.clone()),
        "UnitVolume": null,
        "UnitVolumeUnitOfMeasureName": null,
        "UnitWeight": item.unit_weight.as_ref().map(|m| m.value),
        "UnitWeightUnitOfMeasureName": item.unit_weight.as_ref().map(|m| m.unit.clone()),
        "ServingSize": null,
        "NumberOfDoses": null,
        "UnitQuantity": null,
        "UnitQuantityUnitOfMeasureName": null,
        "PublicIngredients": null,
        "Description": null,
        "Allergens": null,
        "ProductImages": [],
        "LabelImages": [],
        "PackagingImages": [],
        "ProductPDFDocuments": [],
        "IsUsed": true,
        "LabTestBatchNames": [],
        "ProcessingJobCategoryName": null,
        "ProcessingJobTypeName": null,
        "ProductBrandName": null,
    })
}

/// `GET /items/v2/active?licenseNumber=`
pub(crate) async fn active(call: Call) -> Reply {
    let license = call.license()?;
    call.auth(Some(&license), Need::perms(&[Permission::ManageItems]))?;
    let window = Window::from_params(&call.params)?;
    let world = call.shared.lock();
    let list: Vec<Value> = world
        .db
        .items
        .iter()
        .filter(|i| i.license_number == license && window.contains(i.last_modified))
        .map(|i| item_json(&world, i))
        .collect();
    Ok(ok_json(&envelope(list, &call.params)?))
}
