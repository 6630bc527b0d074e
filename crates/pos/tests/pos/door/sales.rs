//! Receipts posted through the door: recorded while Metrc is down and delivered once, the same
//! number twice is one sale, other contents under a number are refused, a bad row refuses the
//! batch.

use metrc::{LastModifiedWindow, MetrcError};
use metrc_emulator::{Faults, Trigger};

use super::fixture::{DEMO_MANAGER_KEY, Door, eventually, key};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sale_made_while_metrc_is_down_is_delivered_exactly_once() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let pos = door.pos("Max");
    let control = door.control();
    control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let receipt = door.receipt("POS-1001", &label, &unit, 1.0);
    let outcome = pos
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            std::slice::from_ref(&receipt),
        )
        .await
        .expect("the door records while Metrc is down");
    assert_eq!(outcome.ids.len(), 1);
    assert_eq!(outcome.warnings, None);
    let id = outcome.ids[0];
    let entry = door
        .app
        .database()
        .entry(id)
        .expect("the id is the local entry");
    assert_eq!(entry.acting_user, "Max");
    assert!(
        control
            .receipts(door.licence())
            .iter()
            .all(|r| r.external_receipt_number.as_deref() != Some(entry.client_id.as_str()))
    );

    // Metrc is down: the read answers from the register, queued sale included.
    let now = door.app.database().now();
    let window = LastModifiedWindow {
        start: now - jiff::SignedDuration::from_hours(1),
        end: now + jiff::SignedDuration::from_mins(1),
    };
    let listed = pos
        .active_receipts(&key(DEMO_MANAGER_KEY), door.licence(), window)
        .await
        .expect("reads answer while Metrc is down");
    let ours: Vec<_> = listed.iter().filter(|r| r.id == id).collect();
    assert_eq!(ours.len(), 1, "{listed:?}");
    assert_eq!(ours[0].external_receipt_number.as_deref(), Some("POS-1001"));
    assert_eq!(
        ours[0].sales_date_time.as_deref(),
        Some(
            serde_json::to_value(&receipt).unwrap()["SalesDateTime"]
                .as_str()
                .unwrap()
        )
    );

    control.clear_faults();
    let client_id = entry.client_id.clone();
    eventually(
        async || {
            door.app.database().entry(id).unwrap().state == stateline_store::EntryState::Confirmed
        },
        "the app delivered the sale",
    )
    .await;
    // The POS retries the same receipt: the same id, nothing new anywhere.
    let again = pos
        .create_receipts(&key(DEMO_MANAGER_KEY), door.licence(), &[receipt])
        .await
        .unwrap();
    assert_eq!(again.ids, vec![id]);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let in_metrc = control
        .receipts(door.licence())
        .into_iter()
        .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
        .count();
    assert_eq!(in_metrc, 1, "delivered exactly once");
    assert_eq!(door.sales(), 1);

    // Metrc is up: its copy of our sale is shown once, as ours.
    let listed = pos
        .active_receipts(&key(DEMO_MANAGER_KEY), door.licence(), window)
        .await
        .unwrap();
    let ours: Vec<_> = listed
        .iter()
        .filter(|r| {
            r.id == id
                || r.external_receipt_number.as_deref() == Some(client_id.as_str())
                || r.external_receipt_number.as_deref() == Some("POS-1001")
        })
        .collect();
    assert_eq!(ours.len(), 1, "{listed:?}");
    assert_eq!(ours[0].id, id);
    let one = pos
        .receipt_by_external_number(&key(DEMO_MANAGER_KEY), door.licence(), "POS-1001")
        .await
        .unwrap()
        .expect("found by the POS's number");
    assert_eq!(one.id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_number_twice_is_one_sale_and_other_contents_are_refused() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let pos = door.pos("Max");
    let manager = key(DEMO_MANAGER_KEY);
    let receipt = door.receipt("POS-2001", &label, &unit, 1.0);
    let first = pos
        .create_receipts(&manager, door.licence(), std::slice::from_ref(&receipt))
        .await
        .unwrap();
    let second = pos
        .create_receipts(&manager, door.licence(), std::slice::from_ref(&receipt))
        .await
        .unwrap();
    assert_eq!(first.ids, second.ids);
    assert_eq!(door.sales(), 1);

    let mut other = receipt;
    other.transactions[0].quantity = 2.0;
    let err = pos
        .create_receipts(&manager, door.licence(), &[other.clone()])
        .await
        .unwrap_err();
    match err {
        MetrcError::Validation { rows, status, .. } => {
            assert_eq!(status, 400);
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].row, 0);
            assert!(rows[0].message.contains("POS-2001"), "{}", rows[0].message);
            assert!(
                rows[0].message.contains("other contents"),
                "{}",
                rows[0].message
            );
        }
        other => panic!("expected Metrc's 400, got {other:?}"),
    }
    // Metrc's exact 400 shape: an array of lower-case {row, message}.
    let (status, body) = door
        .raw(
            reqwest::Method::POST,
            &format!("/sales/v2/receipts?licenseNumber={}", door.licence()),
            Some(("Max", DEMO_MANAGER_KEY)),
            Some(&serde_json::to_value([other]).unwrap()),
        )
        .await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rows = body.as_array().expect("an array");
    assert_eq!(rows[0]["row"], 0);
    assert!(rows[0]["message"].is_string());
    assert_eq!(door.sales(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_with_a_bad_row_records_nothing() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let pos = door.pos("Max");
    let good = door.receipt("POS-3001", &label, &unit, 1.0);
    let bad = door.receipt("POS-3002", "1A4NOTAPACKAGE0000000000", &unit, 1.0);
    let err = pos
        .create_receipts(&key(DEMO_MANAGER_KEY), door.licence(), &[good.clone(), bad])
        .await
        .unwrap_err();
    let MetrcError::Validation { rows, .. } = err else {
        panic!("expected a 400, got {err:?}");
    };
    assert!(rows.iter().all(|r| r.row == 1), "{rows:?}");
    assert!(rows[0].message.contains("not known"), "{}", rows[0].message);
    assert_eq!(door.sales(), 0, "nothing of the batch was written");

    // The batch as a whole asks for more than is on hand: refused, nothing written.
    let on_hand: f64 = door.app.database().on_hand(&label).unwrap().to_f64();
    let mut big = door.receipt("POS-3003", &label, &unit, on_hand);
    big.transactions[0].quantity = on_hand;
    let err = pos
        .create_receipts(&key(DEMO_MANAGER_KEY), door.licence(), &[good, big])
        .await
        .unwrap_err();
    let MetrcError::Validation { rows, .. } = err else {
        panic!("expected a 400, got {err:?}");
    };
    assert_eq!(rows[0].row, 1, "{rows:?}");
    assert!(rows[0].message.contains("on hand"), "{}", rows[0].message);
    assert_eq!(door.sales(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_row_refused_only_when_recorded_stops_the_batch_and_says_what_was_kept() {
    let door = Door::start().await;
    let db = door.app.database();
    let flower = db
        .packages(door.licence())
        .unwrap()
        .into_iter()
        .find(|p| p.unit_of_measure == "Grams" && p.on_hand.to_f64() >= 200.0)
        .expect("a large flower package");
    let pos = door.pos("Max");
    let small = door.receipt("POS-L-1", &flower.label, "Grams", 1.0);
    // 150 g of flower to one consumer: on hand allows it, Colorado's purchase limit does not —
    // only the recording (the store's limit check) finds that.
    let over = door.receipt("POS-L-2", &flower.label, "Grams", 150.0);
    let err = pos
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            &[small.clone(), over],
        )
        .await
        .unwrap_err();
    let MetrcError::Validation { rows, .. } = err else {
        panic!("expected a 400, got {err:?}");
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].row, 1);
    assert!(
        rows[0]
            .message
            .contains("rows 0 to 0 of this batch were recorded"),
        "{}",
        rows[0].message
    );
    assert_eq!(door.sales(), 1, "the row before the refused one is kept");

    // Fixed and sent again: the kept row is not recorded twice.
    let fixed = door.receipt("POS-L-2", &flower.label, "Grams", 2.0);
    let outcome = pos
        .create_receipts(&key(DEMO_MANAGER_KEY), door.licence(), &[small, fixed])
        .await
        .expect("the fixed batch is taken");
    assert_eq!(outcome.ids.len(), 2);
    assert_eq!(door.sales(), 2);
}

/// The demo licence requires how an external patient was identified: a receipt without
/// `IdentificationMethod` is Metrc's 400 naming it and records nothing; with it the sale keeps
/// the method and Metrc's receipt carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_external_patients_receipt_needs_and_carries_the_identification_method() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let pos = door.pos("Max");
    let external = |number: &str, method: Option<&str>| metrc::NewReceipt {
        sales_customer_type: "ExternalPatient".into(),
        patient_license_number: Some(metrc_emulator::DEMO_PATIENT_WITH_ROOM.into()),
        identification_method: method.map(str::to_owned),
        ..door.receipt(number, &label, &unit, 1.0)
    };
    let err = pos
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            &[external("POS-5001", None)],
        )
        .await
        .unwrap_err();
    let MetrcError::Validation { rows, .. } = err else {
        panic!("expected a 400, got {err:?}");
    };
    assert!(
        rows[0].message.contains("identification method"),
        "{}",
        rows[0].message
    );
    assert_eq!(door.sales(), 0);

    let outcome = pos
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            &[external("POS-5002", Some("Driver's License"))],
        )
        .await
        .expect("recorded with the method");
    let db = door.app.database();
    let entry = db.entry(outcome.ids[0]).unwrap();
    let sale = db.sale_by_client_id(&entry.client_id).unwrap();
    assert_eq!(
        sale.identification_method.as_deref(),
        Some("Driver's License")
    );
    let control = door.control();
    eventually(
        async || {
            control.receipts(door.licence()).iter().any(|r| {
                r.external_receipt_number.as_deref() == Some(entry.client_id.as_str())
                    && r.identification_method.as_deref() == Some("Driver's License")
            })
        },
        "Metrc's receipt carries the identification method",
    )
    .await;
}
