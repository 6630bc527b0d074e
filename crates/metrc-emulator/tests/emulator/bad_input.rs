//! Bad input gets Metrc's error shapes and never panics.
use crate::common;

use common::*;
use metrc_emulator::*;
use reqwest::Method;
use serde_json::json;

async fn raw_post(api: &Api, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let r = api
        .req(Method::POST, path)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (
        s,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn malformed_wrong_types_empty_get_message_400() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let path = lic("/sales/v2/receipts");
    for body in [
        b"{not json".to_vec(),
        b"".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"[1,2]".to_vec(),
        br#"[{"SalesDateTime": 5, "Transactions": "x"}]"#.to_vec(),
        br#"[{"Transactions":[{"PackageLabel":"x","Quantity":"lots"}]}]"#.to_vec(),
    ] {
        let (s, v) = raw_post(&api, &path, body.clone()).await;
        assert_eq!(s, 400, "{}", String::from_utf8_lossy(&body));
        assert!(v["Message"].is_string(), "{v}");
    }
    let (s, v) = raw_post(&api, &lic("/packages/v2/adjust"), b"[]".to_vec()).await;
    assert_eq!((s, v["Message"].is_string()), (400, true));
    assert!(emu.control().receipts(DEMO_LICENSE).is_empty());
}

#[tokio::test]
async fn over_object_limit_is_413() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let rows: Vec<_> = (0..11)
        .map(|i| sale(&format!("X-{i}"), EACH_LABEL, 1.0, "Each"))
        .collect();
    let (s, v) = api.post(&lic("/sales/v2/receipts"), &json!(rows)).await;
    assert_eq!(s, 413);
    assert!(v["Message"].is_string());
    assert!(emu.control().receipts(DEMO_LICENSE).is_empty());
    let ok: Vec<_> = rows.into_iter().take(10).collect();
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!(ok)).await.0,
        200
    );
    emu.control().set_options(Options {
        object_limit: 2,
        ..Options::default()
    });
    let three: Vec<_> = (0..3)
        .map(|i| sale(&format!("Y-{i}"), EACH_LABEL, 1.0, "Each"))
        .collect();
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!(three)).await.0,
        413
    );
}

#[tokio::test]
async fn huge_body_is_413_and_server_survives() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let mut big = b"[".to_vec();
    big.extend(std::iter::repeat_n(b' ', 3 * 1024 * 1024));
    big.extend(b"]");
    let (s, v) = raw_post(&api, &lic("/sales/v2/receipts"), big).await;
    assert_eq!(s, 413);
    assert!(v["Message"].is_string());
    assert_eq!(api.get("/facilities/v2").await.0, 200);
}

#[tokio::test]
async fn missing_licence_and_bad_ids() {
    let emu = start().await;
    let api = Api::manager(&emu);
    assert_eq!(api.get("/packages/v2/active").await.0, 400);
    assert_eq!(api.get(&lic("/sales/v2/receipts/abc")).await.0, 400);
    assert_eq!(api.get(&lic("/sales/v2/receipts/999999")).await.0, 401);
    assert_eq!(api.get("/transfers/v2/abc/deliveries").await.0, 400);
    assert_eq!(api.get("/transfers/v2/424242/deliveries").await.0, 401);
    let r = api
        .req(Method::DELETE, &lic("/sales/v2/receipts/999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn request_log_records_fields_status_and_user() {
    let emu = start().await;
    let api = Api::new(&emu, DEMO_BUDTENDER_KEY);
    api.post(
        &lic("/sales/v2/receipts"),
        &json!([sale("Q-1", EACH_LABEL, 1.0, "Each")]),
    )
    .await;
    let log = emu.control().request_log();
    let rec = log.last().unwrap();
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.path, "/sales/v2/receipts");
    assert_eq!(
        rec.query,
        vec![("licenseNumber".to_owned(), DEMO_LICENSE.to_owned())]
    );
    assert_eq!(rec.status, Some(200));
    assert_eq!(rec.user.as_deref(), Some(DEMO_BUDTENDER));
    for f in [
        "SalesDateTime",
        "ExternalReceiptNumber",
        "Transactions",
        "Transactions.PackageLabel",
        "Transactions.UnitOfMeasure",
    ] {
        assert!(
            rec.body_fields.contains(&f.to_owned()),
            "{f} in {:?}",
            rec.body_fields
        );
    }
    emu.control().clear_request_log();
    assert!(emu.control().request_log().is_empty());
}
