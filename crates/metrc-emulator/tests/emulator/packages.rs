//! Packages, adjustments, new packages, and the read-only lookups (items, transfers, employees,
//! units, customer types, package types), with paging.
use crate::common;

use common::*;
use metrc_emulator::*;
use serde_json::json;

fn adjustment(
    label: &str,
    qty: f64,
    unit: &str,
    reason: &str,
    note: Option<&str>,
) -> serde_json::Value {
    json!({"Label": label, "Quantity": qty, "UnitOfMeasure": unit, "AdjustmentReason": reason,
           "AdjustmentDate": "2026-11-22", "ReasonNote": note})
}

#[tokio::test]
async fn active_packages_and_one_package() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (s, body) = api.get(&lic("/packages/v2/active")).await;
    assert_eq!(s, 200);
    assert_eq!(body["Total"], 24);
    assert_eq!(body["TotalPages"], 1);
    let first = &body["Data"][0];
    for field in [
        "Id",
        "Label",
        "Quantity",
        "UnitOfMeasureName",
        "Item",
        "LastModified",
    ] {
        assert!(first.get(field).is_some(), "{field}");
    }
    let (s, p) = api.get(&lic(&format!("/packages/v2/{GRAMS_LABEL}"))).await;
    assert_eq!(s, 200);
    assert_eq!(p["Quantity"], 448.0);
    assert_eq!(p["UnitOfMeasureName"], "Grams");
    assert_eq!(p["Item"]["Name"], "Blue Dream Flower");
    let id = p["Id"].as_u64().unwrap();
    assert_eq!(
        api.get(&lic(&format!("/packages/v2/{id}"))).await.1["Label"],
        GRAMS_LABEL
    );
    assert_eq!(
        api.get(&lic("/packages/v2/1A4FF0100000022000099999"))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn paging() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (s, body) = api
        .get(&lic("/packages/v2/active?pageNumber=2&pageSize=10"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["Total"], 24);
    assert_eq!(body["TotalRecords"], 24);
    assert_eq!(body["PageSize"], 10);
    assert_eq!(body["RecordsOnPage"], 10);
    assert_eq!(body["Page"], 2);
    assert_eq!(body["CurrentPage"], 2);
    assert_eq!(body["TotalPages"], 3);
    let (_, last) = api
        .get(&lic("/packages/v2/active?pageNumber=3&pageSize=10"))
        .await;
    assert_eq!(last["RecordsOnPage"], 4);
    let (s, err) = api
        .get(&lic("/packages/v2/active?pageNumber=1&pageSize=21"))
        .await;
    assert_eq!(s, 400);
    assert!(err["Message"].is_string());
    assert_eq!(
        api.get(&lic("/packages/v2/active?pageNumber=0&pageSize=5"))
            .await
            .0,
        400
    );
    assert_eq!(
        api.get(&lic("/packages/v2/active?pageNumber=x&pageSize=5"))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn adjust_and_history() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (s, reasons) = api.get(&lic("/packages/v2/adjust/reasons")).await;
    assert_eq!(s, 200);
    let needs_note = reasons["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RequiresNote"] == true)
        .unwrap()["Name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = api
        .post(
            &lic("/packages/v2/adjust"),
            &json!([adjustment(GRAMS_LABEL, -2.0, "Grams", "Drying", None)]),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["Ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, GRAMS_LABEL)
            .unwrap()
            .quantity,
        446.0
    );

    let (s, errs) = api
        .post(
            &lic("/packages/v2/adjust"),
            &json!([
                adjustment(GRAMS_LABEL, -1.0, "Grams", &needs_note, None),
                adjustment(GRAMS_LABEL, -1000.0, "Grams", "Drying", None),
                adjustment(GRAMS_LABEL, -1.0, "Each", "Drying", None),
                adjustment(GRAMS_LABEL, -1.0, "Grams", "Not A Reason", None),
            ]),
        )
        .await;
    assert_eq!(s, 400);
    let rows: Vec<u64> = errs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    for r in 0..4 {
        assert!(rows.contains(&r), "row {r}: {errs}");
    }
    let (s, _) = api
        .post(
            &lic("/packages/v2/adjust"),
            &json!([adjustment(
                GRAMS_LABEL,
                -1.0,
                "Grams",
                &needs_note,
                Some("bag torn")
            )]),
        )
        .await;
    assert_eq!(s, 200);

    let (s, hist) = api.get(&lic("/packages/v2/adjustments")).await;
    assert_eq!(s, 200);
    assert_eq!(hist["Total"], 2);
    assert_eq!(hist["Data"][1]["AdjustmentNote"], "bag torn");
    assert_eq!(hist["Data"][0]["AdjustmentQuantity"], -2.0);
    assert_eq!(emu.control().adjustments(DEMO_LICENSE).len(), 2);
}

#[tokio::test]
async fn merge_and_split() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let a = "1A4FF0100000022000000002"; // 112 g
    let b = "1A4FF0100000022000000003"; // 28 g
    let merge = json!({"Tag": "1A4FF0100000022000005001", "Item": null, "UseSameItem": true, "Quantity": 30.0,
        "UnitOfMeasure": "Grams", "ActualDate": "2026-11-22",
        "Ingredients": [{"Package": a, "Quantity": 10.0, "UnitOfMeasure": "Grams"},
                        {"Package": b, "Quantity": 20.0, "UnitOfMeasure": "Grams"}]});
    let (s, body) = api
        .post(&lic("/packages/v2"), &json!([merge.clone()]))
        .await;
    assert_eq!(s, 200, "{body}");
    let ctl = emu.control();
    assert_eq!(ctl.package(DEMO_LICENSE, a).unwrap().quantity, 102.0);
    assert_eq!(ctl.package(DEMO_LICENSE, b).unwrap().quantity, 8.0);
    let new = ctl
        .package(DEMO_LICENSE, "1A4FF0100000022000005001")
        .unwrap();
    assert_eq!(new.quantity, 30.0);
    assert_eq!(new.item_name, "Blue Dream Flower");

    // Same tag again, and an ingredient larger than on hand: row errors, nothing consumed.
    let mut over = merge.clone();
    over["Tag"] = json!("1A4FF0100000022000005002");
    over["Ingredients"] = json!([{"Package": b, "Quantity": 9.0, "UnitOfMeasure": "Grams"}]);
    let (s, errs) = api.post(&lic("/packages/v2/"), &json!([merge, over])).await;
    assert_eq!(s, 400);
    let rows: Vec<u64> = errs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert!(rows.contains(&0) && rows.contains(&1), "{errs}");
    assert!(errs.to_string().contains("already in use"));
    assert_eq!(ctl.package(DEMO_LICENSE, a).unwrap().quantity, 102.0);

    // Split with a named item.
    let split: Vec<_> = (0..2)
        .map(|i| json!({"Tag": format!("1A4FF010000002200000600{i}"), "Item": "Blue Dream Flower", "UseSameItem": false,
            "Quantity": 3.5, "UnitOfMeasure": "Grams", "ActualDate": "2026-11-22",
            "Ingredients": [{"Package": a, "Quantity": 3.5, "UnitOfMeasure": "Grams"}]}))
        .collect();
    let (s, body) = api.post(&lic("/packages/v2"), &json!(split)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["Ids"].as_array().unwrap().len(), 2);
    assert_eq!(ctl.package(DEMO_LICENSE, a).unwrap().quantity, 95.0);
    // Budtender may not create packages.
    let bud = Api::new(&emu, DEMO_BUDTENDER_KEY);
    assert_eq!(bud.post(&lic("/packages/v2"), &json!(split)).await.0, 401);
}

#[tokio::test]
async fn lookups_and_reads() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (s, units) = api.get("/unitsofmeasure/v2/active").await;
    assert_eq!(s, 200);
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["Name"] == "Grams" && u["QuantityType"] == "WeightBased")
    );
    let (_, types) = api.get("/sales/v2/customertypes").await;
    assert!(types.as_array().unwrap().contains(&json!("Consumer")));
    let (_, ptypes) = api.get("/packages/v2/types").await;
    assert!(ptypes.as_array().unwrap().contains(&json!("Product")));
    let (s, items) = api.get(&lic("/items/v2/active")).await;
    assert_eq!(s, 200);
    assert_eq!(items["Total"], 8);
    let (s, emps) = api.get(&lic("/employees/v2")).await;
    assert_eq!(s, 200);
    assert_eq!(emps["Total"], 2);
    let (s, perms) = api
        .get(&lic(
            "/employees/v2/permissions?employeeLicenseNumber=EMP-0001",
        ))
        .await;
    assert_eq!(s, 200);
    assert!(perms.as_array().unwrap().contains(&json!("view packages")));
    assert!(
        !perms
            .as_array()
            .unwrap()
            .contains(&json!("manage packages inventory"))
    );

    let (s, incoming) = api.get(&lic("/transfers/v2/incoming")).await;
    assert_eq!(s, 200);
    assert_eq!(incoming["Total"], 1);
    let tid = incoming["Data"][0]["Id"].as_u64().unwrap();
    let (s, deliveries) = api.get(&format!("/transfers/v2/{tid}/deliveries")).await;
    assert_eq!(s, 200);
    let did = deliveries["Data"][0]["Id"].as_u64().unwrap();
    let (s, pkgs) = api
        .get(&format!("/transfers/v2/deliveries/{did}/packages"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(pkgs["Total"], 3);
    assert_eq!(pkgs["Data"][0]["ShippedUnitOfMeasureName"], "Grams");
    assert_eq!(
        Api::new(&emu, DEMO_BUDTENDER_KEY)
            .get(&lic("/transfers/v2/incoming"))
            .await
            .0,
        401
    );
    assert_eq!(api.get("/no/such/route").await.0, 404);
}
