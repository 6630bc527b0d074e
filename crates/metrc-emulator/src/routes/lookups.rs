//! Small lookups that are bare arrays and need no licence: units of measure, customer types,
//! package types.
//!
//! Guarantees: a valid key pair is still required (401 otherwise), as for every Metrc call.

use crate::auth::Need;
use crate::call::Call;
use crate::reply::{Reply, ok_json};
use serde_json::{Value, json};

/// `GET /unitsofmeasure/v2/active`
pub(crate) async fn units(call: Call) -> Reply {
    call.auth(None, Need::NONE)?;
    let world = call.shared.lock();
    let list: Vec<Value> = world
        .db
        .units_of_measure
        .iter()
        .map(|u| json!({"QuantityType": u.quantity_type, "Name": u.name, "Abbreviation": u.abbreviation}))
        .collect();
    Ok(ok_json(&Value::Array(list)))
}

/// `GET /sales/v2/customertypes`
pub(crate) async fn customer_types(call: Call) -> Reply {
    call.auth(None, Need::NONE)?;
    let world = call.shared.lock();
    Ok(ok_json(&json!(world.db.customer_types)))
}

/// `GET /packages/v2/types`
pub(crate) async fn package_types(call: Call) -> Reply {
    call.auth(None, Need::NONE)?;
    Ok(ok_json(&json!([
        "Product",
        "ImmaturePlant",
        "VegetativePlant",
        "PlantWaste",
        "HarvestWaste",
        "MotherPlant"
    ])))
}
