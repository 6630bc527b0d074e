//! Key validation against the Metrc emulator on loopback (real HTTP): the area matrix, the
//! verdicts, and that nothing of the key leaks into the result.

use std::time::Duration;

use metrc::Area;
use metrc_emulator::{
    DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_LICENSE_2, DEMO_MANAGER_KEY, DEMO_VENDOR_KEY, Emulator,
    Faults, Options, Permission, RefuseConnections, Seed, Trigger,
};
use stateline_keys::validation;
use stateline_keys::validation::{
    AreaOutcome, KEY_REFUSED, KeyValidation, LicenceMatrix, MissingAreas, Verdict, render_table,
    validate_key, validate_key_at,
};
use stateline_store::ManualClock;

async fn emulator(seed: Seed) -> Emulator {
    Emulator::start(
        "127.0.0.1:0".parse().expect("addr"),
        seed,
        Options::default(),
    )
    .await
    .expect("emulator starts")
}

fn client(emu: &Emulator) -> metrc::MetrcClient {
    let mut config = metrc::ClientConfig::new(
        emu.base_url().parse().expect("emulator URL"),
        metrc::VendorKey::new(DEMO_VENDOR_KEY).expect("vendor key"),
    );
    config.request_timeout = Duration::from_secs(2);
    config.connect_timeout = Duration::from_millis(500);
    metrc::MetrcClient::new(config).expect("client")
}

fn key(k: &str) -> metrc::UserKey {
    metrc::UserKey::new(k).expect("valid key")
}

fn outcome(l: &LicenceMatrix, area: Area) -> AreaOutcome {
    l.areas
        .iter()
        .find(|a| a.area == area)
        .map(|a| a.outcome)
        .expect("every area has a row")
}

fn only(v: &KeyValidation) -> &LicenceMatrix {
    assert_eq!(v.licences.len(), 1, "{v:#?}");
    &v.licences[0]
}

#[tokio::test]
async fn manager_key_is_all_good_and_plants_are_not_applicable() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    let ctl = emu.control();
    ctl.clear_request_log();
    let v = validate_key(&client(&emu), &key(DEMO_MANAGER_KEY), None).await;

    assert_eq!(v.verdict, Verdict::AllGood, "{v:#?}");
    let l = only(&v);
    assert_eq!(l.licence, DEMO_LICENSE);
    assert!(l.reachable);
    assert_eq!(l.name, "Stateline Demo Dispensary");
    for area in [Area::Plants, Area::Harvests] {
        assert_eq!(outcome(l, area), AreaOutcome::NotApplicable);
    }
    for area in [
        Area::Sales,
        Area::Packages,
        Area::Transfers,
        Area::Items,
        Area::Employees,
    ] {
        assert_eq!(outcome(l, area), AreaOutcome::Allowed, "{area:?}");
    }
    // The manager may read the permission list, which proves the adjust permission.
    let perms = l.permissions.as_ref().expect("permission list");
    assert!(perms.iter().any(|p| p == "manage packages inventory"));
    assert_eq!(outcome(l, Area::PackageAdjustReasons), AreaOutcome::Allowed);

    // Few GETs: facilities, one per applicable probed area, the permission list; no plants.
    let log = ctl.request_log();
    assert!(log.iter().all(|r| r.method == "GET"), "{log:#?}");
    assert_eq!(log.len(), 1 + 5 + 1, "{log:#?}");
    assert!(
        !log.iter()
            .any(|r| r.path.starts_with("/plants/") || r.path.starts_with("/harvests/"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn budtender_key_misses_items_employees_and_transfers() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    let v = validate_key(&client(&emu), &key(DEMO_BUDTENDER_KEY), None).await;

    let l = only(&v);
    assert_eq!(outcome(l, Area::Sales), AreaOutcome::Allowed);
    assert_eq!(outcome(l, Area::Packages), AreaOutcome::Allowed);
    assert_eq!(
        outcome(l, Area::PackageAdjustReasons),
        AreaOutcome::NotVerifiable
    );
    for area in [Area::Transfers, Area::Items, Area::Employees] {
        assert_eq!(outcome(l, area), AreaOutcome::NotAllowed, "{area:?}");
    }
    for area in [Area::Plants, Area::Harvests] {
        assert_eq!(outcome(l, area), AreaOutcome::NotApplicable);
    }
    assert!(l.permissions.is_none());
    assert_eq!(
        v.verdict,
        Verdict::MissingPermissions {
            missing: vec![MissingAreas {
                licence: DEMO_LICENSE.into(),
                areas: vec![Area::Transfers, Area::Items, Area::Employees],
            }],
            unreachable: vec![],
        }
    );
    let msg = v.verdict.message();
    assert!(msg.contains("Transfers, Items, Employees"), "{msg}");
    emu.shutdown().await;
}

#[tokio::test]
async fn one_removed_permission_shows_as_exactly_that_area() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    let ctl = emu.control();
    assert!(ctl.remove_permission(DEMO_MANAGER_KEY, DEMO_LICENSE, Permission::ManageItems));
    let v = validate_key(&client(&emu), &key(DEMO_MANAGER_KEY), None).await;
    let l = only(&v);
    let not_allowed: Vec<Area> = l
        .areas
        .iter()
        .filter(|a| a.outcome == AreaOutcome::NotAllowed)
        .map(|a| a.area)
        .collect();
    assert_eq!(not_allowed, vec![Area::Items], "{v:#?}");
    assert_eq!(
        v.verdict,
        Verdict::MissingPermissions {
            missing: vec![MissingAreas {
                licence: DEMO_LICENSE.into(),
                areas: vec![Area::Items],
            }],
            unreachable: vec![],
        }
    );

    // The adjust permission is known from the permission list, so its removal shows too.
    assert!(ctl.grant_permission(DEMO_MANAGER_KEY, DEMO_LICENSE, Permission::ManageItems));
    assert!(ctl.remove_permission(
        DEMO_MANAGER_KEY,
        DEMO_LICENSE,
        Permission::ManagePackagesInventory
    ));
    let v = validate_key(&client(&emu), &key(DEMO_MANAGER_KEY), None).await;
    let l = only(&v);
    let not_allowed: Vec<Area> = l
        .areas
        .iter()
        .filter(|a| a.outcome == AreaOutcome::NotAllowed)
        .map(|a| a.area)
        .collect();
    assert_eq!(not_allowed, vec![Area::PackageAdjustReasons], "{v:#?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn revoked_key_is_invalid() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    assert!(emu.control().revoke_user_key(DEMO_BUDTENDER_KEY));
    let v = validate_key(&client(&emu), &key(DEMO_BUDTENDER_KEY), None).await;
    assert_eq!(
        v.verdict,
        Verdict::KeyInvalid {
            message: KEY_REFUSED.into()
        }
    );
    assert!(v.licences.is_empty());
    assert_eq!(v.verdict.code(), "key_invalid");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_licence_the_key_does_not_reach_is_reported_unreachable() {
    let emu = emulator(Seed::demo_two_licences(jiff::Timestamp::now())).await;
    let c = client(&emu);
    let both = [DEMO_LICENSE.to_owned(), DEMO_LICENSE_2.to_owned()];
    let v = validate_key(&c, &key(DEMO_BUDTENDER_KEY), Some(&both)).await;

    assert_eq!(v.licences.len(), 2, "{v:#?}");
    assert!(v.licences[0].reachable);
    assert_eq!(outcome(&v.licences[0], Area::Sales), AreaOutcome::Allowed);
    let second = &v.licences[1];
    assert_eq!(second.licence, DEMO_LICENSE_2);
    assert!(!second.reachable);
    assert!(second.areas.is_empty());
    assert!(
        second
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("this key's user cannot reach licence 403R-00002")),
        "{second:#?}"
    );
    match &v.verdict {
        Verdict::MissingPermissions { unreachable, .. } => {
            assert_eq!(unreachable, &vec![DEMO_LICENSE_2.to_owned()]);
        }
        other => panic!("expected missing permissions, got {other:?}"),
    }

    // The manager reaches both; without a filter both are checked.
    let v = validate_key(&c, &key(DEMO_MANAGER_KEY), None).await;
    let numbers: Vec<&str> = v.licences.iter().map(|l| l.licence.as_str()).collect();
    assert_eq!(numbers, vec![DEMO_LICENSE, DEMO_LICENSE_2]);
    assert_eq!(v.verdict, Verdict::AllGood, "{v:#?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn metrc_down_is_could_not_check_never_invalid() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    let ctl = emu.control();
    let c = client(&emu);

    ctl.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let v = validate_key(&c, &key(DEMO_MANAGER_KEY), None).await;
    assert!(matches!(v.verdict, Verdict::CouldNotCheck { .. }), "{v:#?}");

    // Facilities answers, then the outage starts: the areas could not be checked.
    ctl.set_faults(Faults {
        outage_503: Some(Trigger {
            path_prefix: Some("/items/".into()),
            ..Trigger::default()
        }),
        ..Faults::default()
    });
    let v = validate_key(&c, &key(DEMO_MANAGER_KEY), None).await;
    assert_eq!(outcome(only(&v), Area::Items), AreaOutcome::CouldNotCheck);
    assert!(matches!(v.verdict, Verdict::CouldNotCheck { .. }), "{v:#?}");

    ctl.set_faults(Faults {
        refuse_connections: Some(RefuseConnections {
            heal_after_ms: None,
        }),
        ..Faults::default()
    });
    // Whether a pooled connection is dropped or a new one refused, it is "could not check".
    let v = validate_key(&c, &key(DEMO_MANAGER_KEY), None).await;
    assert!(matches!(v.verdict, Verdict::CouldNotCheck { .. }), "{v:#?}");
    let v = validate_key(&client(&emu), &key(DEMO_MANAGER_KEY), None).await;
    match &v.verdict {
        Verdict::CouldNotCheck { reason } => {
            assert!(reason.contains("could not be reached"), "{reason}")
        }
        other => panic!("expected could not check, got {other:?}"),
    }
    ctl.clear_faults();
    emu.shutdown().await;
}

#[tokio::test]
async fn the_result_never_contains_the_key() {
    let emu = emulator(Seed::demo_two_licences(jiff::Timestamp::now())).await;
    let c = client(&emu);
    let clock = ManualClock::new("2026-11-22T18:00:00Z".parse().expect("time"));
    let both = [DEMO_LICENSE.to_owned(), DEMO_LICENSE_2.to_owned()];
    for k in [DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY] {
        let v = validate_key_at(&c, &key(k), Some(&both), &clock).await;
        assert_eq!(v.checked_at.to_string(), "2026-11-22T18:00:00Z");
        assert_eq!(v.last_four, &k[k.len() - 4..]);
        let json = serde_json::to_string(&v).expect("serializes");
        let debug = format!("{v:?}");
        let table = render_table(&v);
        for text in [&json, &debug, &table] {
            assert!(!text.contains(k), "key leaked: {text}");
            assert!(!text.contains(DEMO_VENDOR_KEY), "vendor key leaked: {text}");
        }
        assert!(table.contains(DEMO_LICENSE), "{table}");
        assert!(table.contains("Verdict:"), "{table}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn serialized_shape_is_a_table_for_the_ui() {
    let emu = emulator(Seed::demo(jiff::Timestamp::now())).await;
    let v = validate_key(&client(&emu), &key(DEMO_BUDTENDER_KEY), None).await;
    let json = serde_json::to_value(&v).expect("serializes");
    assert_eq!(json["verdict"]["code"], "missing_permissions");
    assert_eq!(json["licences"][0]["areas"][0]["area"], "Sales");
    assert_eq!(json["licences"][0]["areas"][0]["outcome"], "allowed");
    assert_eq!(json["licences"][0]["areas"][6]["outcome"], "not_applicable");
    assert_eq!(json["last_four"], "1111");
    let back: KeyValidation = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, v);
    assert_eq!(
        validation::area_label(Area::PackageAdjustReasons),
        "Package adjust"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_cultivation_licence_probes_plants_and_skips_sales() {
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.add_cultivation("403C-00001", "Demo Grow", "America/Denver");
    seed.add_user(
        "grower",
        "demo-grower-key-3333",
        &[("403C-00001", Permission::all())],
    );
    let emu = emulator(seed).await;
    let v = validate_key(&client(&emu), &key("demo-grower-key-3333"), None).await;
    let l = only(&v);
    assert_eq!(l.licence, "403C-00001");
    assert_eq!(outcome(l, Area::Sales), AreaOutcome::NotApplicable);
    assert_eq!(outcome(l, Area::Plants), AreaOutcome::Allowed);
    assert_eq!(outcome(l, Area::Harvests), AreaOutcome::Allowed);
    assert_eq!(v.verdict, Verdict::AllGood, "{v:#?}");
    emu.shutdown().await;
}
