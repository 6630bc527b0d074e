//! Authentication and authorisation: key pairs, licences, permissions, capabilities.
use crate::common;

use common::*;
use metrc_emulator::*;
use serde_json::json;

#[tokio::test]
async fn manager_key_lists_facilities() {
    let emu = start().await;
    let (status, body) = Api::manager(&emu).get("/facilities/v2").await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["License"]["Number"], DEMO_LICENSE);
    assert_eq!(body[0]["FacilityType"]["CanSellToConsumers"], true);
    assert_eq!(body[0]["FacilityType"]["CanGrowPlants"], false);
    emu.shutdown().await;
}

#[tokio::test]
async fn wrong_keys_get_empty_401() {
    let emu = start().await;
    let api = Api::new(&emu, "not-a-key");
    let r = api
        .req(reqwest::Method::GET, "/facilities/v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = common::client()
        .get(format!("{}/facilities/v2", emu.base_url()))
        .basic_auth("wrong-vendor", Some(DEMO_MANAGER_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = common::client()
        .get(format!("{}/facilities/v2", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn budtender_cannot_adjust_but_can_sell_and_view() {
    let emu = start().await;
    let api = Api::new(&emu, DEMO_BUDTENDER_KEY);
    let adj = json!([{"Label": GRAMS_LABEL, "Quantity": -1.0, "UnitOfMeasure": "Grams",
        "AdjustmentReason": "Drying", "AdjustmentDate": "2026-11-22", "ReasonNote": null}]);
    assert_eq!(api.post(&lic("/packages/v2/adjust"), &adj).await.0, 401);
    assert_eq!(api.get(&lic("/packages/v2/active")).await.0, 200);
    assert_eq!(api.get(&lic("/packages/v2/adjust/reasons")).await.0, 200);
    let (s, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("B-1", EACH_LABEL, 1.0, "Each")]),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(api.get(&lic("/employees/v2")).await.0, 401);
    assert_eq!(api.get(&lic("/items/v2/active")).await.0, 401);
    // Nothing changed by the refused adjustment.
    assert_eq!(
        emu.control()
            .package(DEMO_LICENSE, GRAMS_LABEL)
            .unwrap()
            .quantity,
        448.0
    );
}

#[tokio::test]
async fn key_reaches_only_its_licences() {
    let emu = start_with(
        Seed::demo_two_licences(jiff::Timestamp::now()),
        Options::default(),
    )
    .await;
    let bud = Api::new(&emu, DEMO_BUDTENDER_KEY);
    let mgr = Api::manager(&emu);
    let path = format!("/packages/v2/active?licenseNumber={DEMO_LICENSE_2}");
    assert_eq!(bud.get(&path).await.0, 401);
    assert_eq!(mgr.get(&path).await.0, 200);
    assert_eq!(
        bud.get("/facilities/v2").await.1.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        mgr.get("/facilities/v2").await.1.as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn revoke_and_new_key_and_permissions() {
    let emu = start().await;
    let ctl = emu.control();
    let mgr = Api::manager(&emu);
    assert!(ctl.revoke_user_key(DEMO_MANAGER_KEY));
    assert_eq!(mgr.get("/facilities/v2").await.0, 401);
    assert!(ctl.set_user_key(DEMO_MANAGER, "fresh-manager-key"));
    assert_eq!(mgr.get("/facilities/v2").await.0, 401, "old key stays dead");
    let fresh = Api::new(&emu, "fresh-manager-key");
    assert_eq!(fresh.get("/facilities/v2").await.0, 200);

    assert!(ctl.remove_permission("fresh-manager-key", DEMO_LICENSE, Permission::ViewPackages));
    assert_eq!(fresh.get(&lic("/packages/v2/active")).await.0, 401);
    assert_eq!(fresh.get(&lic("/sales/v2/receipts/active")).await.0, 200);
    assert!(ctl.grant_permission(DEMO_MANAGER, DEMO_LICENSE, Permission::ViewPackages));
    assert_eq!(fresh.get(&lic("/packages/v2/active")).await.0, 200);
    // The request log names the user, never the key.
    let log = ctl.request_log();
    assert!(log.iter().any(|r| r.user.as_deref() == Some(DEMO_MANAGER)));
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("fresh-manager-key") && !text.contains(DEMO_MANAGER_KEY));
}

#[tokio::test]
async fn dispensary_cannot_read_plants_or_harvests() {
    let emu = start().await;
    let mgr = Api::manager(&emu);
    assert_eq!(mgr.get(&lic("/plants/v2/vegetative")).await.0, 401);
    assert_eq!(mgr.get(&lic("/harvests/v2/active")).await.0, 401);
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.add_cultivation("403-X0001", "Grow", "America/Denver");
    seed.users[1].licenses.push(UserLicense {
        license_number: "403-X0001".into(),
        permissions: Permission::all().into_iter().collect(),
    });
    let emu2 = start_with(seed, Options::default()).await;
    let (s, body) = Api::manager(&emu2)
        .get("/plants/v2/vegetative?licenseNumber=403-X0001")
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["Total"], 0);
}
