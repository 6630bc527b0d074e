//! Reads through the door merge what is still queued at the register with Metrc's answer.

use metrc::LastModifiedWindow;
use stateline_store::EntryState;

use super::fixture::{DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY, Door, eventually, key};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_merge_queued_sales_with_metrcs_answer() {
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let control = door.control();
    let bea = door.pos("Bea");
    bea.facilities(&key(DEMO_BUDTENDER_KEY))
        .await
        .expect("Bea's key is taken");

    // Bea's sale reaches Metrc.
    let bea_sale = bea
        .create_receipts(
            &key(DEMO_BUDTENDER_KEY),
            door.licence(),
            &[door.receipt("POS-R-1", &label, &unit, 1.0)],
        )
        .await
        .unwrap()
        .ids[0];
    eventually(
        async || door.app.database().entry(bea_sale).unwrap().state == EntryState::Confirmed,
        "Bea's sale is confirmed",
    )
    .await;
    // Max's key stops working in Metrc: his sale stays queued at the register.
    assert!(control.revoke_user_key("manager"));
    let max_sale = door
        .pos("Max")
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            &[door.receipt("POS-R-2", &label, &unit, 1.0)],
        )
        .await
        .unwrap()
        .ids[0];
    assert_ne!(
        door.app.database().entry(max_sale).unwrap().state,
        EntryState::Confirmed
    );

    let now = door.app.database().now();
    let window = LastModifiedWindow {
        start: now - jiff::SignedDuration::from_hours(1),
        end: now + jiff::SignedDuration::from_mins(1),
    };
    let listed = bea
        .active_receipts(&key(DEMO_BUDTENDER_KEY), door.licence(), window)
        .await
        .expect("Metrc answers Bea");
    let numbers: Vec<_> = listed
        .iter()
        .filter_map(|r| r.external_receipt_number.clone())
        .collect();
    assert_eq!(
        numbers.iter().filter(|n| *n == "POS-R-1").count(),
        1,
        "Bea's confirmed sale once: {numbers:?}"
    );
    assert_eq!(
        numbers.iter().filter(|n| *n == "POS-R-2").count(),
        1,
        "Max's queued sale merged in: {numbers:?}"
    );
    let bea_client_id = door.app.database().entry(bea_sale).unwrap().client_id;
    assert!(
        !numbers.contains(&bea_client_id),
        "Metrc's copy is replaced by the register's"
    );
    let queued = listed.iter().find(|r| r.id == max_sale).expect("by its id");
    assert_eq!(queued.transactions.len(), 1);
    assert_eq!(
        queued.transactions[0].package_label.as_deref(),
        Some(label.as_str())
    );

    // Packages: the local on hand counts Max's queued sale, which Metrc has not seen.
    let in_metrc = control.package(door.licence(), &label).unwrap().quantity;
    let local = door.app.database().on_hand(&label).unwrap().to_f64();
    assert!(
        (in_metrc - local - 1.0).abs() < 1e-9,
        "{in_metrc} vs {local}"
    );
    let packages = bea
        .active_packages(&key(DEMO_BUDTENDER_KEY), door.licence(), None)
        .await
        .unwrap();
    let shown = packages.iter().find(|p| p.label == label).expect("listed");
    assert!(
        (shown.quantity - local).abs() < 1e-9,
        "{} vs {local}",
        shown.quantity
    );
    assert!(
        shown.id > 0,
        "Metrc's own record of the package, with local on hand"
    );
    let one = bea
        .package_by_label(&key(DEMO_BUDTENDER_KEY), door.licence(), &label)
        .await
        .unwrap()
        .expect("found");
    assert!((one.quantity - local).abs() < 1e-9);
}

/// While Metrc is down the door's small lookups answer from the register, in Metrc's shapes:
/// the facilities are the register's licences, the units those of the packages it holds, the
/// customer types the list its sales are checked against; once Metrc is back they are Metrc's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn facilities_units_and_customer_types_answer_while_metrc_is_down() {
    let door = Door::start().await;
    let (_, unit) = door.package().await;
    let pos = door.pos("Max");
    let max = key(DEMO_MANAGER_KEY);
    let control = door.control();
    control.set_faults(metrc_emulator::Faults {
        outage_503: Some(metrc_emulator::Trigger::always()),
        ..metrc_emulator::Faults::default()
    });

    let facilities = pos
        .facilities(&max)
        .await
        .expect("facilities answer while Metrc is down");
    let numbers: Vec<&str> = facilities
        .iter()
        .map(|f| f.license.number.as_str())
        .collect();
    assert_eq!(numbers, vec![door.licence()]);
    assert!(facilities[0].name.is_some());
    let units = pos
        .units_of_measure(&max)
        .await
        .expect("units answer while Metrc is down");
    assert!(units.iter().any(|u| u.name == unit), "{units:?}");
    let types = pos
        .customer_types(&max)
        .await
        .expect("customer types answer while Metrc is down");
    assert!(types.iter().any(|t| t == "Consumer"), "{types:?}");
    assert!(types.iter().any(|t| t == "ExternalPatient"), "{types:?}");

    control.clear_faults();
    let units_from_metrc = pos.units_of_measure(&max).await.unwrap();
    assert!(
        units_from_metrc.len() >= units.len(),
        "Metrc's own list: {units_from_metrc:?}"
    );
    let facilities = pos.facilities(&max).await.unwrap();
    assert!(
        facilities.iter().any(|f| f
            .facility_type
            .sales_require_external_patient_identification_method),
        "Metrc's answer carries the facility type: {facilities:?}"
    );
}
