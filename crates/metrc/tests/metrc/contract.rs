//! Contract tests against Metrc's reference (`shared/metrc/reference/endpoints/**/*.bru`):
//! (a) every emulator route is a Metrc endpoint; (b) every request the client makes fits a Metrc
//! endpoint (method, path, query names, body field names); (c) Metrc's example responses decode
//! into the client's models.

use crate::bru;

use std::time::Duration;

use metrc::{
    AdjustReason, AdjustmentRecord, Area, ClientConfig, DeliveryPackage, Employee, Facility, Item,
    LastModifiedWindow, MetrcClient, NewPackage, NewReceipt, NewTransaction, Package,
    PackageAdjustment, PackageIngredient, PatientStatus, Receipt, ReceiptUpdate, Transfer,
    TransferDelivery, UnitOfMeasure, UserKey, VendorKey, WriteOutcome,
};
use metrc_emulator::{
    DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_PATIENT_WITH_ROOM, DEMO_VENDOR_KEY, Emulator, Options,
    Seed,
};
use serde::de::DeserializeOwned;

fn endpoints() -> Vec<bru::Endpoint> {
    let all = bru::load_all(&bru::endpoints_dir());
    assert!(all.len() >= 250, "only {} .bru endpoints parsed", all.len());
    all
}

#[test]
fn the_parser_reads_the_reference() {
    let all = endpoints();
    let create = all
        .iter()
        .find(|e| e.file == "Sales/CreateReceipts.bru")
        .expect("Sales/CreateReceipts.bru");
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/sales/v2/receipts");
    assert!(create.query.contains("licenseNumber"));
    for f in [
        "SalesDateTime",
        "ExternalReceiptNumber",
        "Transactions.PackageLabel",
        "Transactions.QrCodes",
    ] {
        assert!(create.body_fields.contains(f), "{f}");
    }
    let by_label = all
        .iter()
        .find(|e| e.file == "Packages/GetPackagesByLabel.bru")
        .unwrap();
    assert!(by_label.matches_path("/packages/v2/1A4FF0100000022000000001"));
    assert!(!by_label.matches_path("/packages/v2/a/b"));
    assert!(by_label.example_response.is_some());

    let sale = ["licenseNumber"];
    assert!(
        bru::find_match(
            &all,
            "POST",
            "/sales/v2/receipts",
            &sale,
            &["SalesDateTime"]
        )
        .is_ok()
    );
    let e = bru::find_match(&all, "POST", "/sales/v2/receipts", &sale, &["Bogus"]).unwrap_err();
    assert!(e.contains("Bogus"), "{e}");
    let e = bru::find_match(&all, "POST", "/sales/v2/receipts", &["pageSize"], &[]).unwrap_err();
    assert!(e.contains("pageSize"), "{e}");
    assert!(bru::find_match(&all, "PATCH", "/sales/v2/receipts", &sale, &[]).is_err());
    assert!(bru::find_match(&all, "GET", "/sales/v9/receipts", &sale, &[]).is_err());
}

#[test]
fn every_emulator_route_is_a_metrc_endpoint() {
    let all = endpoints();
    let mut missing = Vec::new();
    for (method, path) in metrc_emulator::ROUTES {
        let ok = all
            .iter()
            .any(|e| e.method.eq_ignore_ascii_case(method) && e.matches_path(path));
        if !ok {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "emulator routes not in the reference: {missing:?}"
    );
}

fn example<T: DeserializeOwned>(all: &[bru::Endpoint], file: &str) -> T {
    let e = all
        .iter()
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("{file} missing"));
    let v = e
        .example_response
        .clone()
        .unwrap_or_else(|| panic!("{file}: no example response"));
    let v = match v {
        serde_json::Value::Object(ref m) if m.contains_key("Data") => m["Data"].clone(),
        other => other,
    };
    serde_json::from_value(v).unwrap_or_else(|err| panic!("{file}: example does not decode: {err}"))
}

#[test]
fn metrc_example_responses_decode_into_the_models() {
    let all = endpoints();
    let f: Vec<Facility> = example(&all, "Facilities/GetFacilities.bru");
    assert_eq!(f[1].license.number, "402-X0002");
    assert!(f[0].facility_type.is_retail);
    let e: Vec<Employee> = example(&all, "Employees/GetEmployees.bru");
    assert_eq!(e[0].full_name, "John Smith");
    let p: Vec<String> = example(&all, "Employees/GetPermissions.bru");
    assert_eq!(p.len(), 3);
    let u: Vec<UnitOfMeasure> = example(&all, "UnitsOfMeasure/GetActiveUnitsOfMeasure.bru");
    assert_eq!(u[0].name, "Each");
    let t: Vec<String> = example(&all, "Sales/GetCustomerTypes.bru");
    assert!(t.contains(&"Consumer".to_owned()));
    let w: WriteOutcome = example(&all, "Sales/CreateReceipts.bru");
    assert_eq!(w.ids, vec![1]);
    let r: Receipt = example(&all, "Sales/GetReceiptsExternalByExternalNumber.bru");
    assert_eq!(r.external_receipt_number.as_deref(), Some("ABC-123"));
    let _: Receipt = example(&all, "Sales/GetReceiptById.bru");
    let r: Vec<Receipt> = example(&all, "Sales/GetActiveReceipts.bru");
    assert_eq!(r.len(), 2);
    let _: Vec<Receipt> = example(&all, "Sales/GetInactiveReceipts.bru");
    let p: Vec<Package> = example(&all, "Packages/GetActivePackages.bru");
    assert_eq!(p[0].label, "ABCDEF012345670000010042");
    let p: Package = example(&all, "Packages/GetPackagesByLabel.bru");
    assert_eq!(p.item.and_then(|i| i.name).as_deref(), Some("Buds"));
    let t: Vec<String> = example(&all, "Packages/GetPackagesTypes.bru");
    assert!(t.contains(&"Product".to_owned()));
    let a: Vec<AdjustReason> = example(&all, "Packages/GetAdjustReasons.bru");
    assert_eq!(a[0].name, "Drying");
    let w: WriteOutcome = example(&all, "Packages/CreateAdjustPackages.bru");
    assert_eq!(w.ids, vec![1, 2]);
    let h: Vec<AdjustmentRecord> = example(&all, "Packages/GetAdjustments.bru");
    assert_eq!(h[0].adjustment_quantity, -0.5);
    let _: WriteOutcome = example(&all, "Packages/CreatePackagesPackages.bru");
    let t: Vec<Transfer> = example(&all, "Transfers/GetIncomingTransfers.bru");
    assert_eq!(t[0].delivery_id, Some(1));
    let d: Vec<TransferDelivery> = example(&all, "Transfers/GetTransfersDeliveryById.bru");
    assert_eq!(d[0].id, 1);
    let d: Vec<DeliveryPackage> = example(&all, "Transfers/GetDeliveryPackageById.bru");
    assert_eq!(d[0].package_label, "ABCDEF012345670000010026");
    let i: Vec<Item> = example(&all, "Items/GetActiveItems.bru");
    assert_eq!(i[0].quantity_type.as_deref(), Some("WeightBased"));
    assert_eq!(i[1].product_category_type.as_deref(), Some("InfusedEdible"));
    assert_eq!(i[1].unit_thc_content, Some(2.0));
    let s: Vec<PatientStatus> = example(
        &all,
        "PatientsStatus/GetPatientsStatusesByPatientLicenseNumber.bru",
    );
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].patient_license_number, "PTN-123-456");
    assert_eq!(s[1].registration_number.as_deref(), Some("REG-123-678"));
    assert!(s[1].active);
    assert_eq!(s[1].flower_ounces_available, Some(120.0));
    assert_eq!(s[1].purchase_amount_days, Some(31.0));
    assert_eq!(
        s[1].patient_registration_start_date.as_deref(),
        Some("2023-01-01")
    );
}

const LABEL: &str = "1A4FF0100000022000000001";

fn sale(number: &str) -> NewReceipt {
    NewReceipt {
        sales_date_time: "2026-11-22T14:02:11".parse().unwrap(),
        external_receipt_number: number.into(),
        sales_customer_type: "Consumer".into(),
        patient_license_number: None,
        caregiver_license_number: None,
        identification_method: None,
        patient_registration_location_id: Some(1),
        transactions: vec![NewTransaction {
            package_label: LABEL.into(),
            quantity: 1.0,
            unit_of_measure: "Grams".into(),
            total_amount: 10.0,
            price: Some(10.0),
            sales_tax: Some(0.8),
            qr_codes: Some(vec!["https://1a4.com/x".into()]),
            ..Default::default()
        }],
    }
}

/// Runs every client call once, so the emulator's request log holds one request of each kind.
async fn run_every_call(c: &MetrcClient) {
    let key = UserKey::new(DEMO_MANAGER_KEY).unwrap();
    let l = DEMO_LICENSE;
    let window = LastModifiedWindow {
        start: "2026-01-01T00:00:00Z".parse().unwrap(),
        end: jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap(),
    };
    let today: jiff::civil::Date = "2026-11-22".parse().unwrap();
    c.facilities(&key).await.unwrap();
    c.employees(&key, l).await.unwrap();
    c.employee_permissions(&key, l, "EMP-0001").await.unwrap();
    c.units_of_measure(&key).await.unwrap();
    c.customer_types(&key).await.unwrap();
    let ids = c
        .create_receipts(&key, l, &[sale("C-1")])
        .await
        .unwrap()
        .ids;
    c.receipt_by_external_number(&key, l, "C-1").await.unwrap();
    c.active_receipts(&key, l, window).await.unwrap();
    c.receipt(&key, l, ids[0]).await.unwrap();
    c.update_receipts(
        &key,
        l,
        &[ReceiptUpdate {
            id: ids[0],
            receipt: sale("C-1"),
        }],
    )
    .await
    .unwrap();
    c.void_receipt(&key, l, ids[0]).await.unwrap();
    c.inactive_receipts(&key, l, window).await.unwrap();
    c.active_packages(&key, l, Some(window)).await.unwrap();
    c.active_packages(&key, l, None).await.unwrap();
    c.package_by_label(&key, l, LABEL).await.unwrap();
    c.adjust_reasons(&key, l).await.unwrap();
    assert!(
        c.package_types(&key)
            .await
            .unwrap()
            .iter()
            .any(|t| t == "Product")
    );
    c.adjust_packages(
        &key,
        l,
        &[PackageAdjustment {
            label: LABEL.into(),
            quantity: -1.0,
            unit_of_measure: "Grams".into(),
            adjustment_reason: "Drying".into(),
            adjustment_date: today,
            reason_note: Some("note".into()),
        }],
    )
    .await
    .unwrap();
    c.package_adjustments(&key, l).await.unwrap();
    c.create_packages(
        &key,
        l,
        &[NewPackage {
            tag: "1A4FF0100000022000055555".into(),
            location: Some("Vault".into()),
            sublocation: None,
            item: None,
            quantity: 2.0,
            unit_of_measure: "Grams".into(),
            patient_license_number: None,
            note: Some("split".into()),
            is_production_batch: false,
            production_batch_number: None,
            is_donation: false,
            is_trade_sample: false,
            is_finished_good: false,
            product_requires_remediation: false,
            use_same_item: true,
            actual_date: today,
            expiration_date: Some(today),
            sell_by_date: None,
            use_by_date: None,
            ingredients: vec![PackageIngredient {
                package: LABEL.into(),
                quantity: 2.0,
                unit_of_measure: "Grams".into(),
            }],
        }],
    )
    .await
    .map(|_| ())
    .or_else(|e| {
        if e.class() == metrc::ErrorClass::Validation {
            Ok(())
        } else {
            Err(e)
        }
    })
    .unwrap();
    let transfers = c.incoming_transfers(&key, l, window).await.unwrap();
    let deliveries = c.transfer_deliveries(&key, transfers[0].id).await.unwrap();
    c.delivery_packages(&key, deliveries[0].id).await.unwrap();
    c.active_items(&key, l).await.unwrap();
    c.patient_statuses(&key, l, DEMO_PATIENT_WITH_ROOM)
        .await
        .unwrap();
    for area in Area::ALL {
        let _ = c.probe(&key, l, area).await;
    }
}

#[tokio::test]
async fn every_client_request_fits_a_metrc_endpoint() {
    let all = endpoints();
    let emu = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Seed::demo(jiff::Timestamp::now()),
        Options::default(),
    )
    .await
    .unwrap();
    let mut config = ClientConfig::new(
        emu.base_url().parse().unwrap(),
        VendorKey::new(DEMO_VENDOR_KEY).unwrap(),
    );
    config.request_timeout = Duration::from_secs(5);
    config.page_size = 20;
    let client = MetrcClient::new(config).unwrap();
    run_every_call(&client).await;

    let log = emu.control().request_log();
    assert!(log.len() >= 30, "only {} requests logged", log.len());
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in &log {
        let query: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
        let body: Vec<&str> = r.body_fields.iter().map(String::as_str).collect();
        match bru::find_match(&all, &r.method, &r.path, &query, &body) {
            Ok(e) => {
                seen.insert(e.file.clone());
            }
            Err(why) => problems.push(why),
        }
    }
    assert!(
        problems.is_empty(),
        "requests outside Metrc's reference:\n{}",
        problems.join("\n")
    );
    for file in [
        "Sales/CreateReceipts.bru",
        "Sales/UpdateReceipts.bru",
        "Sales/DeleteReceiptById.bru",
        "Packages/CreateAdjustPackages.bru",
        "Packages/CreatePackagesPackages.bru",
        "Plants/GetVegetativePlants.bru",
        "PatientsStatus/GetPatientsStatusesByPatientLicenseNumber.bru",
    ] {
        assert!(seen.contains(file), "{file} never exercised");
    }
}
