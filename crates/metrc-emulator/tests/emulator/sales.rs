//! Sales: record, look up, list, correct, void; row errors; options for the unconfirmed behaviour.
use crate::common;

use common::*;
use metrc_emulator::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn sale_changes_quantity_and_is_found_by_external_number() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (s, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("R-1", GRAMS_LABEL, 3.5, "Grams")]),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["Warnings"], serde_json::Value::Null);
    let id = body["Ids"][0].as_u64().unwrap();
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, GRAMS_LABEL)
            .unwrap()
            .quantity,
        444.5
    );

    let (s, r) = api.get(&lic("/sales/v2/receipts/external/R-1")).await;
    assert_eq!(s, 200);
    assert_eq!(r["Id"], id);
    assert_eq!(r["SalesDateTime"], "2026-11-22T14:02:11.000");
    assert_eq!(r["Transactions"][0]["PackageLabel"], GRAMS_LABEL);
    assert_eq!(r["Transactions"][0]["QuantitySold"], 3.5);

    let (s, r) = api.get(&lic(&format!("/sales/v2/receipts/{id}"))).await;
    assert_eq!(s, 200);
    assert_eq!(r["ExternalReceiptNumber"], "R-1");

    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/NOPE")).await.0,
        404
    );
    let (s, list) = api.get(&lic("/sales/v2/receipts/active")).await;
    assert_eq!(s, 200);
    assert_eq!(list["Total"], 1);
    assert_eq!(list["Data"][0]["Id"], id);

    let receipts = emu.control().receipts(DEMO_LICENSE);
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].sales_date_time, "2026-11-22T14:02:11.000");
    assert_eq!(
        receipts[0].recorded_by_user_name.as_deref(),
        Some(DEMO_MANAGER)
    );
}

#[tokio::test]
async fn void_restores_quantity_and_moves_to_inactive() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (_, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("V-1", EACH_LABEL, 2.0, "Each")]),
        )
        .await;
    let id = body["Ids"][0].as_u64().unwrap();
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, EACH_LABEL)
            .unwrap()
            .quantity,
        98.0
    );
    let r = api
        .req(Method::DELETE, &lic(&format!("/sales/v2/receipts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, EACH_LABEL)
            .unwrap()
            .quantity,
        100.0
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/active")).await.1["Total"],
        0
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/inactive")).await.1["Total"],
        1
    );
    let r = api
        .req(Method::DELETE, &lic(&format!("/sales/v2/receipts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "already voided");
    // Budtender cannot void.
    let bud = Api::new(&emu, DEMO_BUDTENDER_KEY);
    let r = bud
        .req(Method::DELETE, &lic(&format!("/sales/v2/receipts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn correction_swaps_lines() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (_, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("C-1", EACH_LABEL, 2.0, "Each")]),
        )
        .await;
    let id = body["Ids"][0].as_u64().unwrap();
    let mut fixed = sale("C-1", EACH_LABEL, 5.0, "Each");
    fixed["Id"] = json!(id);
    let r = api
        .req(Method::PUT, &lic("/sales/v2/receipts"))
        .json(&json!([fixed]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, EACH_LABEL)
            .unwrap()
            .quantity,
        95.0
    );
    assert_eq!(
        emu.control().receipts(DEMO_LICENSE)[0].transactions[0].quantity,
        5.0
    );
}

#[tokio::test]
async fn row_errors_name_the_row_and_change_nothing() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let rows = json!([
        sale("E-0", EACH_LABEL, 1.0, "Each"),
        sale("E-1", EACH_LABEL, 1000.0, "Each"),
        sale("E-2", "1A4FF0100000022099999999", 1.0, "Each"),
        sale("E-3", GRAMS_LABEL, 1.0, "Each"),
        {"SalesDateTime": "2026-11-22T14:02:11.000", "ExternalReceiptNumber": "E-4", "SalesCustomerType": "Martian",
         "Transactions": []},
    ]);
    let (s, body) = api.post(&lic("/sales/v2/receipts"), &rows).await;
    assert_eq!(s, 400);
    let errors = body.as_array().unwrap();
    let rows_with_errors: Vec<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert!(!rows_with_errors.contains(&0));
    for r in [1, 2, 3, 4] {
        assert!(rows_with_errors.contains(&r), "row {r} in {body}");
    }
    assert_eq!(
        errors.iter().filter(|e| e["row"] == 4).count(),
        2,
        "two errors for row 4"
    );
    assert!(errors.iter().all(|e| e["message"].is_string()));
    assert!(emu.control().receipts(DEMO_LICENSE).is_empty());
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, EACH_LABEL)
            .unwrap()
            .quantity,
        100.0
    );
}

#[tokio::test]
async fn two_rows_cannot_oversell_one_package_together() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let last = "1A4FF0100000022000000015"; // 12 Each
    let (s, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([
                sale("O-1", last, 8.0, "Each"),
                sale("O-2", last, 8.0, "Each")
            ]),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body[0]["row"], 1);
}

#[tokio::test]
async fn partial_batch_mode_saves_good_rows() {
    let options = Options {
        batch_mode: BatchMode::Partial,
        ..Options::default()
    };
    let emu = start_with(Seed::demo(jiff::Timestamp::now()), options).await;
    let api = Api::manager(&emu);
    let (s, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([
                sale("P-1", EACH_LABEL, 1.0, "Each"),
                sale("P-2", EACH_LABEL, 1e6, "Each")
            ]),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body[0]["row"], 1);
    let receipts = emu.control().receipts(DEMO_LICENSE);
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].external_receipt_number.as_deref(), Some("P-1"));
}

#[tokio::test]
async fn duplicates_accepted_by_default_rejected_when_configured() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let body = json!([sale("D-1", EACH_LABEL, 1.0, "Each")]);
    assert_eq!(api.post(&lic("/sales/v2/receipts"), &body).await.0, 200);
    assert_eq!(api.post(&lic("/sales/v2/receipts"), &body).await.0, 200);
    assert_eq!(emu.control().receipts(DEMO_LICENSE).len(), 2);
    let ctl = emu.control();
    ctl.set_options(Options {
        reject_duplicate_external_receipt_number: true,
        ..Options::default()
    });
    let (s, errs) = api.post(&lic("/sales/v2/receipts"), &body).await;
    assert_eq!(s, 400);
    assert_eq!(errs[0]["row"], 0);
    // A foreign receipt inserted directly also counts as a duplicate.
    ctl.insert_receipt(Receipt::new_simple(
        ctl.now(),
        DEMO_LICENSE,
        Some("F-1"),
        "2026-11-22T10:00:00.000",
        vec![],
    ));
    assert_eq!(
        api.post(
            &lic("/sales/v2/receipts"),
            &json!([sale("F-1", EACH_LABEL, 1.0, "Each")])
        )
        .await
        .0,
        400
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/F-1")).await.0,
        200
    );
}

#[tokio::test]
async fn lookup_lag_hides_new_receipts_for_a_while() {
    let options = Options {
        lookup_lag_ms: 300,
        ..Options::default()
    };
    let emu = start_with(Seed::demo(jiff::Timestamp::now()), options).await;
    let api = Api::manager(&emu);
    assert_eq!(
        api.post(
            &lic("/sales/v2/receipts"),
            &json!([sale("L-1", EACH_LABEL, 1.0, "Each")])
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/L-1")).await.0,
        404
    );
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/active")).await.1["Total"],
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/L-1")).await.0,
        200
    );
}

#[tokio::test]
async fn unknown_external_number_status_is_configurable() {
    let options = Options {
        external_lookup_unknown_status: 401,
        ..Options::default()
    };
    let emu = start_with(Seed::demo(jiff::Timestamp::now()), options).await;
    assert_eq!(
        Api::manager(&emu)
            .get(&lic("/sales/v2/receipts/external/X"))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn backdating_limits_when_configured() {
    let options = Options {
        backdate_limit_hours: Some(24),
        future_limit_minutes: Some(10),
        ..Options::default()
    };
    let emu = start_with(Seed::demo(jiff::Timestamp::now()), options).await;
    let api = Api::manager(&emu);
    let tz = jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap();
    let now = jiff::Timestamp::now().to_zoned(tz);
    let fmt = |z: &jiff::Zoned| z.strftime("%Y-%m-%dT%H:%M:%S.000").to_string();
    let mut ok = sale("T-1", EACH_LABEL, 1.0, "Each");
    ok["SalesDateTime"] = json!(fmt(&now
        .checked_sub(jiff::SignedDuration::from_hours(2))
        .unwrap()));
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!([ok])).await.0,
        200
    );
    let mut old = sale("T-2", EACH_LABEL, 1.0, "Each");
    old["SalesDateTime"] = json!(fmt(&now
        .checked_sub(jiff::SignedDuration::from_hours(30))
        .unwrap()));
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!([old])).await.0,
        400
    );
    let mut future = sale("T-3", EACH_LABEL, 1.0, "Each");
    future["SalesDateTime"] = json!(fmt(&now
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap()));
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!([future]))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn last_modified_window_filters_receipts() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let before = jiff::Timestamp::now();
    api.post(
        &lic("/sales/v2/receipts"),
        &json!([sale("W-1", EACH_LABEL, 1.0, "Each")]),
    )
    .await;
    let after = jiff::Timestamp::now();
    let q = |s: jiff::Timestamp, e: jiff::Timestamp| {
        lic(&format!(
            "/sales/v2/receipts/active?lastModifiedStart={s}&lastModifiedEnd={e}"
        ))
    };
    assert_eq!(api.get(&q(before, after)).await.1["Total"], 1);
    let hour = jiff::SignedDuration::from_hours(1);
    assert_eq!(
        api.get(&q(before - hour, before - hour / 2)).await.1["Total"],
        0
    );
    assert_eq!(
        api.get(&lic(
            "/sales/v2/receipts/active?lastModifiedStart=yesterday"
        ))
        .await
        .0,
        400
    );
}
