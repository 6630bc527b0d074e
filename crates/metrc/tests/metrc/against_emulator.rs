//! Every client call and every error class against the real emulator on loopback.

use std::time::Duration;

use metrc::{
    Area, ClientConfig, ErrorClass, LastModifiedWindow, MetrcClient, MetrcError, NewPackage,
    NewReceipt, NewTransaction, PackageAdjustment, PackageIngredient, ReceiptUpdate, UserKey,
    VendorKey,
};
use metrc_emulator::{
    Control, DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_VENDOR_KEY,
    Emulator, Faults, LateReply, Options, Permission, RateLimitStorm, RefuseConnections, Seed,
    Trigger, WriteFault, WriteFaultKind,
};

/// First demo package: Blue Dream Flower, 448 g.
const LABEL: &str = "1A4FF0100000022000000001";
/// An Each package: Blue Dream Pre-Roll, 100 ea.
const EACH_LABEL: &str = "1A4FF0100000022000000013";

struct Env {
    emu: Emulator,
    client: MetrcClient,
    control: Control,
}

async fn start_with(options: Options) -> Env {
    let emu = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Seed::demo(jiff::Timestamp::now()),
        options,
    )
    .await
    .unwrap();
    let mut config = ClientConfig::new(
        emu.base_url().parse().unwrap(),
        VendorKey::new(DEMO_VENDOR_KEY).unwrap(),
    );
    config.request_timeout = Duration::from_millis(1500);
    config.connect_timeout = Duration::from_millis(500);
    config.page_size = 5;
    let client = MetrcClient::new(config).unwrap();
    let control = emu.control();
    Env {
        emu,
        client,
        control,
    }
}

async fn start() -> Env {
    start_with(Options::default()).await
}

fn manager() -> UserKey {
    UserKey::new(DEMO_MANAGER_KEY).unwrap()
}

fn budtender() -> UserKey {
    UserKey::new(DEMO_BUDTENDER_KEY).unwrap()
}

fn wide_window() -> LastModifiedWindow {
    let now = jiff::Timestamp::now();
    LastModifiedWindow {
        start: "2026-01-01T00:00:00Z".parse().unwrap(),
        end: now
            .checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap(),
    }
}

fn sale(number: &str, label: &str) -> NewReceipt {
    NewReceipt {
        sales_date_time: jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("America/Denver").unwrap())
            .datetime(),
        external_receipt_number: number.into(),
        sales_customer_type: "Consumer".into(),
        patient_license_number: None,
        caregiver_license_number: None,
        identification_method: None,
        patient_registration_location_id: None,
        transactions: vec![NewTransaction {
            package_label: label.into(),
            quantity: 1.0,
            unit_of_measure: if label == EACH_LABEL { "Each" } else { "Grams" }.into(),
            total_amount: 12.5,
            ..Default::default()
        }],
    }
}

fn stored(control: &Control, number: &str) -> bool {
    control
        .receipts(DEMO_LICENSE)
        .iter()
        .any(|r| r.external_receipt_number.as_deref() == Some(number))
}

/// No key, auth header or URL in an error's Display or Debug.
fn assert_clean(e: &MetrcError) {
    let shown = format!("{e} {e:?}");
    for bad in [
        DEMO_VENDOR_KEY,
        DEMO_MANAGER_KEY,
        DEMO_BUDTENDER_KEY,
        "Authorization",
        "http://",
        "127.0.0.1",
    ] {
        assert!(!shown.contains(bad), "error leaks {bad:?}: {shown}");
    }
}

fn expect_err<T: std::fmt::Debug>(r: Result<T, MetrcError>, class: ErrorClass) -> MetrcError {
    let e = r.expect_err("expected an error");
    assert_eq!(e.class(), class, "{e:?}");
    assert_clean(&e);
    e
}

#[tokio::test]
async fn reads_every_lookup() {
    let env = start().await;
    let key = manager();
    let c = &env.client;

    let facilities = c.facilities(&key).await.unwrap();
    let f = facilities
        .iter()
        .find(|f| f.license.number == DEMO_LICENSE)
        .expect("demo licence listed");
    assert!(f.facility_type.can_sell_to_consumers);
    assert!(!f.facility_type.can_grow_plants);

    let employees = c.employees(&key, DEMO_LICENSE).await.unwrap();
    assert_eq!(employees.len(), 2);
    let emp = employees
        .iter()
        .find_map(|e| e.license.as_ref()?.employee_license_number.clone())
        .expect("employee licence number");
    let perms = c
        .employee_permissions(&key, DEMO_LICENSE, &emp)
        .await
        .unwrap();
    assert!(!perms.is_empty());

    let units = c.units_of_measure(&key).await.unwrap();
    assert!(
        units
            .iter()
            .any(|u| u.name == "Grams" && u.abbreviation == "g")
    );
    let types = c.customer_types(&key).await.unwrap();
    assert!(types.iter().any(|t| t == "Consumer"));

    let items = c.active_items(&key, DEMO_LICENSE).await.unwrap();
    assert_eq!(items.len(), 8);
    let gummies = items
        .iter()
        .find(|i| i.name == "Watermelon Gummies 100mg")
        .expect("gummies");
    assert_eq!(gummies.product_category_name.as_deref(), Some("Edible"));
    assert_eq!(
        gummies.product_category_type.as_deref(),
        Some("InfusedEdible")
    );
    assert_eq!(gummies.unit_thc_content, Some(100.0));
    assert_eq!(
        gummies.unit_thc_content_unit_of_measure_name.as_deref(),
        Some("Milligrams")
    );
    assert_eq!(gummies.unit_weight, None);

    let reasons = c.adjust_reasons(&key, DEMO_LICENSE).await.unwrap();
    assert!(reasons.iter().any(|r| r.name == "Theft" && r.requires_note));

    let transfers = c
        .incoming_transfers(&key, DEMO_LICENSE, wide_window())
        .await
        .unwrap();
    assert_eq!(transfers.len(), 1);
    let deliveries = c.transfer_deliveries(&key, transfers[0].id).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    let packages = c.delivery_packages(&key, deliveries[0].id).await.unwrap();
    assert_eq!(packages.len(), 3);
    assert!(packages.iter().all(|p| !p.package_label.is_empty()));
}

#[tokio::test]
async fn lists_follow_every_page() {
    let env = start().await;
    env.control.clear_request_log();
    let packages = env
        .client
        .active_packages(&manager(), DEMO_LICENSE, None)
        .await
        .unwrap();
    assert_eq!(packages.len(), 24, "all 24 demo packages across pages of 5");
    let mut labels: Vec<&str> = packages.iter().map(|p| p.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), 24, "no page read twice");
    let pages: Vec<String> = env
        .control
        .request_log()
        .iter()
        .filter(|r| r.path == "/packages/v2/active")
        .filter_map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "pageNumber")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(pages, ["1", "2", "3", "4", "5"]);
    let log = env.control.request_log();
    assert!(
        log.iter()
            .filter(|r| r.path == "/packages/v2/active")
            .all(|r| r.query.iter().any(|(k, v)| k == "pageSize" && v == "5"))
    );

    let windowed = env
        .client
        .active_packages(&manager(), DEMO_LICENSE, Some(wide_window()))
        .await
        .unwrap();
    assert_eq!(windowed.len(), 24);
    let q = env.control.request_log().last().unwrap().query.clone();
    let start = q.iter().find(|(k, _)| k == "lastModifiedStart").unwrap();
    assert_eq!(start.1, "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn package_lookup_by_label() {
    let env = start().await;
    let p = env
        .client
        .package_by_label(&manager(), DEMO_LICENSE, LABEL)
        .await
        .unwrap()
        .expect("demo package");
    assert_eq!(p.label, LABEL);
    assert_eq!(p.quantity, 448.0);
    assert_eq!(p.unit_of_measure_name.as_deref(), Some("Grams"));
    let item = p.item.expect("the package's item");
    assert_eq!(item.product_category_type.as_deref(), Some("Buds"));
    assert_eq!(item.unit_weight, None);
    let pre_roll = env
        .client
        .package_by_label(&manager(), DEMO_LICENSE, EACH_LABEL)
        .await
        .unwrap()
        .and_then(|p| p.item)
        .expect("the pre-roll's item");
    assert_eq!(pre_roll.product_category_type.as_deref(), Some("Buds"));
    assert_eq!(pre_roll.unit_weight, Some(1.0));
    assert_eq!(
        pre_roll.unit_weight_unit_of_measure_name.as_deref(),
        Some("Grams")
    );
    // Metrc documents 401 for a label not valid at the licence; the emulator follows it, so an
    // unknown label is indistinguishable from a permission problem.
    expect_err(
        env.client
            .package_by_label(&manager(), DEMO_LICENSE, "1A4FF0100000022000099999")
            .await,
        ErrorClass::Unauthorized,
    );
}

#[tokio::test]
async fn sale_lifecycle_create_find_list_correct_void() {
    let env = start().await;
    let c = &env.client;
    let key = budtender();
    let mgr = manager();
    let out = c
        .create_receipts(
            &key,
            DEMO_LICENSE,
            &[sale("SL-1", LABEL), sale("SL-2", EACH_LABEL)],
        )
        .await
        .unwrap();
    assert_eq!(out.ids.len(), 2);
    assert!(stored(&env.control, "SL-1") && stored(&env.control, "SL-2"));

    let found = c
        .receipt_by_external_number(&key, DEMO_LICENSE, "SL-1")
        .await
        .unwrap()
        .expect("found by external number");
    assert_eq!(found.id, out.ids[0]);
    let sent = found.sales_date_time.as_deref().unwrap();
    assert_eq!(sent.len(), "2026-11-22T14:02:11.000".len(), "{sent}");
    assert!(
        !sent.contains('Z') && !sent.contains('+'),
        "no offset: {sent}"
    );
    assert!(found.sales_date_time_local().is_some());
    let one = c
        .receipt(&key, DEMO_LICENSE, out.ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.transactions.len(), 1);
    assert_eq!(
        one.transactions[0].package_label.as_deref(),
        Some(EACH_LABEL)
    );

    let active = c
        .active_receipts(&key, DEMO_LICENSE, wide_window())
        .await
        .unwrap();
    assert!(active.iter().any(|r| r.id == out.ids[0]));

    let mut corrected = sale("SL-1", LABEL);
    corrected.transactions[0].total_amount = 11.0;
    c.update_receipts(
        &mgr,
        DEMO_LICENSE,
        &[ReceiptUpdate {
            id: out.ids[0],
            receipt: corrected,
        }],
    )
    .await
    .unwrap();
    let after = c
        .receipt(&mgr, DEMO_LICENSE, out.ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.total_price, Some(11.0));

    c.void_receipt(&mgr, DEMO_LICENSE, out.ids[1])
        .await
        .unwrap();
    let inactive = c
        .inactive_receipts(&mgr, DEMO_LICENSE, wide_window())
        .await
        .unwrap();
    assert!(inactive.iter().any(|r| r.id == out.ids[1]));
}

#[tokio::test]
async fn unknown_external_number_is_none() {
    let env = start().await;
    let none = env
        .client
        .receipt_by_external_number(&manager(), DEMO_LICENSE, "NOPE-1")
        .await
        .unwrap();
    assert!(none.is_none());
    // Metrc documents 401 for this case too; the emulator can be told to answer so.
    env.control.set_options(Options {
        external_lookup_unknown_status: 401,
        ..Options::default()
    });
    expect_err(
        env.client
            .receipt_by_external_number(&manager(), DEMO_LICENSE, "NOPE-1")
            .await,
        ErrorClass::Unauthorized,
    );
}

#[tokio::test]
async fn adjust_and_create_packages() {
    let env = start().await;
    let c = &env.client;
    let key = manager();
    let adj = PackageAdjustment {
        label: LABEL.into(),
        quantity: -2.0,
        unit_of_measure: "Grams".into(),
        adjustment_reason: "Drying".into(),
        adjustment_date: jiff::Zoned::now().date(),
        reason_note: Some("SL-ADJ-1".into()),
    };
    let out = c.adjust_packages(&key, DEMO_LICENSE, &[adj]).await.unwrap();
    assert_eq!(out.ids.len(), 1);
    assert_eq!(
        env.control.package(DEMO_LICENSE, LABEL).unwrap().quantity,
        446.0
    );
    let history = c.package_adjustments(&key, DEMO_LICENSE).await.unwrap();
    assert!(
        history
            .iter()
            .any(|a| a.package_label == LABEL && a.adjustment_quantity == -2.0)
    );

    let new_tag = "1A4FF0100000022000077777";
    let split = NewPackage {
        tag: new_tag.into(),
        location: None,
        sublocation: None,
        item: None,
        quantity: 3.5,
        unit_of_measure: "Grams".into(),
        patient_license_number: None,
        note: None,
        is_production_batch: false,
        production_batch_number: None,
        is_donation: false,
        is_trade_sample: false,
        is_finished_good: false,
        product_requires_remediation: false,
        use_same_item: true,
        actual_date: jiff::Zoned::now().date(),
        expiration_date: None,
        sell_by_date: None,
        use_by_date: None,
        ingredients: vec![PackageIngredient {
            package: LABEL.into(),
            quantity: 3.5,
            unit_of_measure: "Grams".into(),
        }],
    };
    let out = c
        .create_packages(&key, DEMO_LICENSE, &[split])
        .await
        .unwrap();
    assert_eq!(out.ids.len(), 1);
    let made = c
        .package_by_label(&key, DEMO_LICENSE, new_tag)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(made.quantity, 3.5);
    assert_eq!(
        env.control.package(DEMO_LICENSE, LABEL).unwrap().quantity,
        442.5
    );
}

#[tokio::test]
async fn probes_per_area() {
    let env = start().await;
    let c = &env.client;
    for area in [
        Area::Sales,
        Area::Packages,
        Area::PackageAdjustReasons,
        Area::Transfers,
        Area::Items,
        Area::Employees,
    ] {
        c.probe(&manager(), DEMO_LICENSE, area)
            .await
            .unwrap_or_else(|e| panic!("{area:?}: {e}"));
    }
    // A dispensary cannot grow: plants and harvests are refused like a missing permission.
    for area in [Area::Plants, Area::Harvests] {
        expect_err(
            c.probe(&manager(), DEMO_LICENSE, area).await,
            ErrorClass::Unauthorized,
        );
    }
    // The budtender has sales permissions only.
    c.probe(&budtender(), DEMO_LICENSE, Area::Sales)
        .await
        .unwrap();
    expect_err(
        c.probe(&budtender(), DEMO_LICENSE, Area::Employees).await,
        ErrorClass::Unauthorized,
    );
    let log = env.control.request_log();
    let probe = log
        .iter()
        .find(|r| r.path == "/sales/v2/receipts/active")
        .unwrap();
    for name in [
        "lastModifiedStart",
        "lastModifiedEnd",
        "pageNumber",
        "pageSize",
    ] {
        assert!(probe.query.iter().any(|(k, _)| k == name), "{name}");
    }
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    let env = start().await;
    env.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections {
            heal_after_ms: None,
        }),
        ..Faults::default()
    });
    let mut last = None;
    for _ in 0..100 {
        let r = env.client.customer_types(&manager()).await;
        match r {
            Err(e) if e.class() == ErrorClass::NotSent => {
                last = Some(e);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let e = last.expect("the emulator stopped listening");
    assert_clean(&e);
    let e = expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[sale("SL-REFUSED", LABEL)])
            .await,
        ErrorClass::NotSent,
    );
    assert!(!e.might_have_landed());
    assert!(!stored(&env.control, "SL-REFUSED"));
    env.control.clear_faults();
}

#[tokio::test]
async fn outage_503_is_ambiguous() {
    let env = start().await;
    env.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let e = expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[sale("SL-503", LABEL)])
            .await,
        ErrorClass::Ambiguous,
    );
    assert_eq!(e.status(), Some(503));
    expect_err(
        env.client.facilities(&manager()).await,
        ErrorClass::Ambiguous,
    );
}

async fn write_fault(kind: WriteFaultKind, number: &str) -> (Env, MetrcError) {
    let env = start().await;
    env.control.set_faults(Faults {
        write_faults: vec![WriteFault {
            kind,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let e = expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[sale(number, LABEL)])
            .await,
        ErrorClass::Ambiguous,
    );
    assert!(e.might_have_landed());
    (env, e)
}

#[tokio::test]
async fn reply_lost_after_commit_is_ambiguous_and_the_sale_exists() {
    let (env, _) = write_fault(WriteFaultKind::LostReplyReset, "SL-LOST").await;
    assert!(stored(&env.control, "SL-LOST"));
    let found = env
        .client
        .receipt_by_external_number(&budtender(), DEMO_LICENSE, "SL-LOST")
        .await
        .unwrap();
    assert!(found.is_some(), "the lookup finds the sale");
}

#[tokio::test]
async fn reply_hang_after_commit_times_out_as_ambiguous() {
    let (env, e) = write_fault(WriteFaultKind::LostReplyHang, "SL-HANG").await;
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(stored(&env.control, "SL-HANG"));
}

#[tokio::test]
async fn commit_then_500_is_ambiguous() {
    let (env, e) = write_fault(WriteFaultKind::CommitThen500, "SL-500").await;
    assert_eq!(e.status(), Some(500));
    assert!(stored(&env.control, "SL-500"));
}

#[tokio::test]
async fn late_write_is_ambiguous_then_lands() {
    let (env, e) = write_fault(
        WriteFaultKind::LateWrite {
            delay_ms: 100,
            reply: LateReply::Status503,
        },
        "SL-LATE",
    )
    .await;
    assert_eq!(e.status(), Some(503));
    for _ in 0..50 {
        if stored(&env.control, "SL-LATE") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the late write never landed");
}

#[tokio::test]
async fn revoked_key_is_unauthorized() {
    let env = start().await;
    assert!(env.control.revoke_user_key(DEMO_BUDTENDER));
    expect_err(
        env.client.facilities(&budtender()).await,
        ErrorClass::Unauthorized,
    );
    expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[sale("SL-REVOKED", LABEL)])
            .await,
        ErrorClass::Unauthorized,
    );
    assert!(!stored(&env.control, "SL-REVOKED"));
    env.client.facilities(&manager()).await.unwrap();
}

#[tokio::test]
async fn removed_permission_is_unauthorized_for_that_area_only() {
    let env = start().await;
    env.control
        .remove_permission(DEMO_BUDTENDER, DEMO_LICENSE, Permission::SalesWrite);
    expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[sale("SL-NOPERM", LABEL)])
            .await,
        ErrorClass::Unauthorized,
    );
    env.client
        .probe(&budtender(), DEMO_LICENSE, Area::Sales)
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_rows_are_validation_errors_with_row_numbers() {
    let env = start().await;
    let e = expect_err(
        env.client
            .create_receipts(
                &budtender(),
                DEMO_LICENSE,
                &[
                    sale("SL-OK", LABEL),
                    sale("SL-BAD", "1A4FF0100000022000099999"),
                ],
            )
            .await,
        ErrorClass::Validation,
    );
    let MetrcError::Validation { rows, status, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, 400);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.row == 1), "{rows:?}");
    assert!(!stored(&env.control, "SL-OK"), "all-or-nothing batch");
}

#[tokio::test]
async fn too_many_objects_is_too_large() {
    let env = start().await;
    let sales: Vec<NewReceipt> = (0..11)
        .map(|i| sale(&format!("SL-BIG-{i}"), EACH_LABEL))
        .collect();
    let e = expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &sales)
            .await,
        ErrorClass::TooLarge,
    );
    let MetrcError::TooLarge { message } = &e else {
        panic!()
    };
    assert!(message.is_some(), "Metrc's message kept");
    assert!(!stored(&env.control, "SL-BIG-0"));
}

async fn rate_limited(form: metrc_emulator::RetryAfter) -> MetrcError {
    let env = start_with(Options {
        retry_after: form,
        retry_after_seconds: 3,
        ..Options::default()
    })
    .await;
    env.control.set_faults(Faults {
        rate_limit_storm: Some(RateLimitStorm {
            gets_only: false,
            trigger: Trigger::next(1),
        }),
        ..Faults::default()
    });
    let e = expect_err(
        env.client.facilities(&manager()).await,
        ErrorClass::RateLimited,
    );
    env.client.facilities(&manager()).await.unwrap();
    drop(env.emu);
    e
}

#[tokio::test]
async fn rate_limit_with_retry_after_seconds() {
    let e = rate_limited(metrc_emulator::RetryAfter::Seconds).await;
    let MetrcError::RateLimited { retry_after } = e else {
        panic!()
    };
    assert_eq!(
        retry_after,
        Some(metrc::RetryAfter::Delay(Duration::from_secs(3)))
    );
}

#[tokio::test]
async fn rate_limit_with_retry_after_date() {
    let before = jiff::Timestamp::now();
    let e = rate_limited(metrc_emulator::RetryAfter::HttpDate).await;
    let MetrcError::RateLimited {
        retry_after: Some(metrc::RetryAfter::At(at)),
    } = e
    else {
        panic!("{e:?}")
    };
    let wait = before.duration_until(at).as_secs();
    assert!((1..=5).contains(&wait), "{wait}");
}

#[tokio::test]
async fn rate_limit_without_retry_after() {
    let e = rate_limited(metrc_emulator::RetryAfter::Absent).await;
    assert!(
        matches!(e, MetrcError::RateLimited { retry_after: None }),
        "{e:?}"
    );
}

#[tokio::test]
async fn unknown_receipt_id_is_refused_as_metrc_documents() {
    let env = start().await;
    // Metrc (and the emulator) answer 401 for an id not valid at the licence.
    let r = env.client.receipt(&manager(), DEMO_LICENSE, 999_999).await;
    match r {
        Ok(None) => {}
        Err(e) => assert_eq!(e.class(), ErrorClass::Unauthorized),
        Ok(Some(r)) => panic!("unexpected receipt {r:?}"),
    }
}

/// The demo licence requires how an external patient was identified (as Metrc's
/// `SalesRequireExternalPatientIdentificationMethod` says): without it the receipt is refused by
/// row and nothing is stored; with it the receipt keeps it.
#[tokio::test]
async fn an_external_patient_without_the_identification_method_is_refused() {
    let env = start().await;
    let facilities = env.client.facilities(&manager()).await.unwrap();
    let demo = facilities
        .iter()
        .find(|f| f.license.number == DEMO_LICENSE)
        .unwrap();
    assert!(
        demo.facility_type
            .sales_require_external_patient_identification_method
    );
    let external = |number: &str, method: Option<&str>| NewReceipt {
        sales_customer_type: "ExternalPatient".into(),
        patient_license_number: Some("OUT-1234".into()),
        identification_method: method.map(str::to_owned),
        ..sale(number, LABEL)
    };
    let e = expect_err(
        env.client
            .create_receipts(&budtender(), DEMO_LICENSE, &[external("SL-EXT-1", None)])
            .await,
        ErrorClass::Validation,
    );
    assert!(format!("{e:?}").contains("IdentificationMethod"), "{e:?}");
    assert!(!stored(&env.control, "SL-EXT-1"));
    env.client
        .create_receipts(
            &budtender(),
            DEMO_LICENSE,
            &[external("SL-EXT-2", Some("Driver's License"))],
        )
        .await
        .unwrap();
    let kept = env.control.receipts(DEMO_LICENSE);
    let kept = kept
        .iter()
        .find(|r| r.external_receipt_number.as_deref() == Some("SL-EXT-2"))
        .unwrap();
    assert_eq!(
        kept.identification_method.as_deref(),
        Some("Driver's License")
    );
}
