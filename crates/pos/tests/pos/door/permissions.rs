//! The door applies the register's roles: a budtender sells, but may neither adjust nor void;
//! a refusal is Metrc's `{"Message": …}` saying who may, and nothing is written.

use serde_json::Value;

use super::fixture::{DEMO_BUDTENDER_KEY, Door, key};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_budtender_may_sell_but_not_adjust_or_void() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let bea = door.pos("Bea");
    let id = bea
        .create_receipts(
            &key(DEMO_BUDTENDER_KEY),
            door.licence(),
            &[door.receipt("POS-P-1", &label, &unit, 1.0)],
        )
        .await
        .expect("a budtender sells")
        .ids[0];
    let auth = Some(("Bea", DEMO_BUDTENDER_KEY));
    let (status, text) = door
        .raw(
            reqwest::Method::DELETE,
            &format!("/sales/v2/receipts/{id}?licenseNumber={}", door.licence()),
            auth,
            None,
        )
        .await;
    assert_eq!(status, 403, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["Message"].as_str().unwrap().contains("manager"),
        "{body}"
    );
    let rows = serde_json::json!([{
        "Label": label, "Quantity": -1.0, "UnitOfMeasure": unit,
        "AdjustmentReason": "Drying", "AdjustmentDate": null, "ReasonNote": null
    }]);
    let (status, text) = door
        .raw(
            reqwest::Method::POST,
            &format!("/packages/v2/adjust?licenseNumber={}", door.licence()),
            auth,
            Some(&rows),
        )
        .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("\"Message\""), "{text}");
    assert_eq!(
        door.count("SELECT COUNT(*) FROM outbox WHERE kind <> 'sale'"),
        0
    );

    // An unknown route is Metrc's bare 404.
    let (status, text) = door
        .raw(reqwest::Method::GET, "/plants/v2/vegetative", auth, None)
        .await;
    assert_eq!((status, text.as_str()), (404, ""));
}
