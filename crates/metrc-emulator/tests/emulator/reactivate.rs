//! `Control::reactivate_receipt` and `POST /__emulator/receipts/{id}/reactivate`: a voided
//! receipt becomes active again (listed as active, found by external number, `LastModified`
//! moved), quantities stay as the void left them, and only voided receipts are touched.
use crate::common;

use common::*;
use metrc_emulator::*;
use reqwest::Method;
use serde_json::json;

async fn void(api: &Api, id: u64) {
    let r = api
        .req(Method::DELETE, &lic(&format!("/sales/v2/receipts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_voided_receipt_is_active_again_and_quantities_are_untouched() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let control = emu.control();
    let (_, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("R-1", EACH_LABEL, 2.0, "Each")]),
        )
        .await;
    let id = body["Ids"][0].as_u64().unwrap();
    assert!(
        !control.reactivate_receipt(DEMO_LICENSE, id),
        "an active receipt is not reactivated"
    );
    void(&api, id).await;
    let voided_at = control.receipts(DEMO_LICENSE)[0].last_modified;
    let on_hand = control.package(DEMO_LICENSE, EACH_LABEL).unwrap().quantity;
    assert_eq!(on_hand, 100.0, "the void gave the goods back");

    assert!(
        !control.reactivate_receipt("403R-99999", id),
        "wrong licence"
    );
    assert!(
        !control.reactivate_receipt(DEMO_LICENSE, id + 100),
        "unknown Id"
    );
    assert!(control.reactivate_receipt(DEMO_LICENSE, id));

    let receipt = &control.receipts(DEMO_LICENSE)[0];
    assert!(!receipt.voided);
    assert!(receipt.last_modified >= voided_at);
    assert_eq!(
        control.package(DEMO_LICENSE, EACH_LABEL).unwrap().quantity,
        on_hand
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/active")).await.1["Total"],
        1
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/inactive")).await.1["Total"],
        0
    );
    let (status, found) = api.get(&lic("/sales/v2/receipts/external/R-1")).await;
    assert_eq!(status, 200);
    assert_eq!(found["Id"].as_u64(), Some(id));
    assert!(found["ArchivedDate"].is_null());
    // It can be voided again.
    void(&api, id).await;
    assert!(control.receipts(DEMO_LICENSE)[0].voided);
}

#[tokio::test]
async fn the_control_api_reactivates_only_a_voided_receipt() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (_, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("R-2", GRAMS_LABEL, 1.0, "Grams")]),
        )
        .await;
    let id = body["Ids"][0].as_u64().unwrap();
    let reactivate = |id: String, body: serde_json::Value| {
        let url = format!("{}/__emulator/receipts/{id}/reactivate", emu.base_url());
        async move {
            let r = client().post(url).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let at = json!({"licenseNumber": DEMO_LICENSE});
    let (status, reply) = reactivate(id.to_string(), at.clone()).await;
    assert_eq!(status, 404, "still active: {reply}");
    assert!(
        reply["Message"]
            .as_str()
            .unwrap()
            .contains("no voided receipt")
    );
    void(&api, id).await;
    let (status, reply) = reactivate("twelve".into(), at.clone()).await;
    assert_eq!(status, 400, "{reply}");
    let (status, reply) = reactivate(id.to_string(), json!({})).await;
    assert_eq!(status, 400, "the licence is required: {reply}");
    let (status, reply) = reactivate(id.to_string(), at).await;
    assert_eq!((status, reply), (200, json!({"ok": true})));
    assert!(!emu.control().receipts(DEMO_LICENSE)[0].voided);
}
