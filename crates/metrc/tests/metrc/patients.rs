//! `MetrcClient::patient_statuses` against the emulator: a known, an unknown and an inactive
//! patient, a sale seen once Metrc's cache minute is over, refusals, faults, and patient numbers
//! that must be percent-encoded or refused before anything is sent.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use metrc::{
    ClientConfig, ErrorClass, MetrcClient, NewReceipt, NewTransaction, UserKey, VendorKey,
};
use metrc_emulator::{
    DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_PATIENT_INACTIVE,
    DEMO_PATIENT_NEARLY_USED, DEMO_PATIENT_WITH_ROOM, DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Emulator,
    Faults, Options, Ounces, Patient, Permission, Seed, Trigger,
};
use stateline_clock::{Clock, ManualClock};

/// Blue Dream Flower, 448 g.
const FLOWER: &str = "1A4FF0100000022000000001";

struct Env {
    emu: Emulator,
    client: MetrcClient,
    clock: Arc<ManualClock>,
}

async fn start() -> Env {
    let clock = Arc::new(ManualClock::new(
        "2026-11-23T18:00:00Z".parse().expect("time"),
    ));
    let emu = Emulator::start_with_clock(
        "127.0.0.1:0".parse().expect("address"),
        Seed::demo(clock.now()),
        Options::default(),
        clock.clone(),
    )
    .await
    .expect("emulator");
    let mut config = ClientConfig::new(
        emu.base_url().parse().expect("url"),
        VendorKey::new(DEMO_VENDOR_KEY).expect("vendor key"),
    );
    config.request_timeout = Duration::from_secs(5);
    config.clock = clock.clone();
    let client = MetrcClient::new(config).expect("client");
    Env { emu, client, clock }
}

fn manager() -> UserKey {
    UserKey::new(DEMO_MANAGER_KEY).expect("key")
}

fn budtender() -> UserKey {
    UserKey::new(DEMO_BUDTENDER_KEY).expect("key")
}

fn close(v: Option<f64>, expected: f64) -> bool {
    v.is_some_and(|x| (x - expected).abs() < 1e-6)
}

fn patient_sale(number: &str, patient: &str, now: Timestamp, grams: f64) -> NewReceipt {
    NewReceipt {
        sales_date_time: now
            .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).expect("zone"))
            .datetime(),
        external_receipt_number: number.into(),
        sales_customer_type: "Patient".into(),
        patient_license_number: Some(patient.into()),
        caregiver_license_number: None,
        identification_method: None,
        patient_registration_location_id: None,
        transactions: vec![NewTransaction {
            package_label: FLOWER.into(),
            quantity: grams,
            unit_of_measure: "Grams".into(),
            total_amount: 30.0,
            ..Default::default()
        }],
    }
}

#[tokio::test]
async fn known_unknown_and_inactive_patients() {
    let env = start().await;
    let c = &env.client;
    let known = c
        .patient_statuses(&budtender(), DEMO_LICENSE, DEMO_PATIENT_WITH_ROOM)
        .await
        .expect("known patient");
    assert_eq!(known.len(), 1);
    let p = &known[0];
    assert_eq!(p.patient_license_number, DEMO_PATIENT_WITH_ROOM);
    assert_eq!(p.registration_number.as_deref(), Some("REG-0001"));
    assert!(p.active);
    assert_eq!(p.identification_method, None);
    assert!(close(p.flower_ounces_allowed, 2.0));
    assert!(close(p.thc_ounces_allowed, 0.1));
    assert!(close(p.concentrate_ounces_allowed, 0.5));
    assert!(close(p.infused_ounces_allowed, 2.0));
    assert!(close(p.flower_ounces_purchased, 0.0));
    assert!(close(p.flower_ounces_available, 2.0));
    assert!(close(p.purchase_amount_days, 30.0));
    assert_eq!(
        p.patient_registration_start_date.as_deref(),
        Some("2026-06-11")
    );
    assert_eq!(
        p.patient_license_expiration_date.as_deref(),
        Some("2027-06-11")
    );

    let nearly = c
        .patient_statuses(&budtender(), DEMO_LICENSE, DEMO_PATIENT_NEARLY_USED)
        .await
        .expect("nearly used up");
    assert!(close(nearly[0].flower_ounces_available, 0.1));
    assert!(close(nearly[0].thc_ounces_purchased, 0.09));

    let unknown = c
        .patient_statuses(&budtender(), DEMO_LICENSE, "PAT-9999")
        .await
        .expect("unknown patient");
    assert!(unknown.is_empty());

    let inactive = c
        .patient_statuses(&budtender(), DEMO_LICENSE, DEMO_PATIENT_INACTIVE)
        .await
        .expect("inactive patient");
    assert_eq!(inactive.len(), 1);
    assert!(!inactive[0].active);
}

#[tokio::test]
async fn a_sale_shows_once_the_cache_minute_is_over() {
    let env = start().await;
    let c = &env.client;
    let patient = DEMO_PATIENT_WITH_ROOM;
    let first = c
        .patient_statuses(&budtender(), DEMO_LICENSE, patient)
        .await
        .expect("status");
    c.create_receipts(
        &budtender(),
        DEMO_LICENSE,
        &[patient_sale("PS-1", patient, env.clock.now(), 14.0)],
    )
    .await
    .expect("sale");
    env.clock.advance(SignedDuration::from_secs(30));
    let cached = c
        .patient_statuses(&budtender(), DEMO_LICENSE, patient)
        .await
        .expect("status");
    assert_eq!(cached, first);
    env.clock.advance(SignedDuration::from_secs(31));
    let fresh = c
        .patient_statuses(&budtender(), DEMO_LICENSE, patient)
        .await
        .expect("status");
    assert!(close(fresh[0].flower_ounces_purchased, 0.5));
    assert!(close(fresh[0].flower_ounces_available, 1.5));
}

#[tokio::test]
async fn refusals_and_faults_are_classified_as_every_call() {
    let env = start().await;
    let c = &env.client;
    let control = env.emu.control();
    control.remove_permission(DEMO_BUDTENDER, DEMO_LICENSE, Permission::LookupPatients);
    let e = c
        .patient_statuses(&budtender(), DEMO_LICENSE, DEMO_PATIENT_WITH_ROOM)
        .await
        .expect_err("no Lookup Patients");
    assert_eq!(e.class(), ErrorClass::Unauthorized);
    c.patient_statuses(&manager(), DEMO_LICENSE, DEMO_PATIENT_WITH_ROOM)
        .await
        .expect("the manager may");

    control.set_faults(Faults {
        outage_503: Some(Trigger::next(1).on_path("/patients/")),
        ..Faults::default()
    });
    let e = c
        .patient_statuses(&manager(), DEMO_LICENSE, DEMO_PATIENT_WITH_ROOM)
        .await
        .expect_err("outage");
    assert_eq!(e.class(), ErrorClass::Ambiguous);
    assert_eq!(e.status(), Some(503));
    let e = c
        .patient_statuses(&manager(), "", DEMO_PATIENT_WITH_ROOM)
        .await
        .expect_err("no licence");
    assert_eq!(e.class(), ErrorClass::InvalidInput);
}

#[tokio::test]
async fn odd_patient_numbers_are_encoded_and_impossible_ones_refused() {
    let env = start().await;
    let c = &env.client;
    let control = env.emu.control();
    let odd = "PTN 12/3?x=1#y%z+ü.";
    control
        .upsert_patient(Patient::new(odd, "REG-ODD").allowing(Ounces::new(1.0, 0.0, 0.0, 0.0)))
        .expect("patient");
    control.clear_request_log();
    let found = c
        .patient_statuses(&manager(), DEMO_LICENSE, odd)
        .await
        .expect("odd number");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].patient_license_number, odd);
    let log = control.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].path,
        "/patients/v2/statuses/PTN%2012%2F3%3Fx=1%23y%25z+%C3%BC."
    );
    assert_eq!(
        log[0].query,
        vec![("licenseNumber".to_owned(), DEMO_LICENSE.to_owned())]
    );

    control.clear_request_log();
    for bad in ["", "   ", ".", "..", "PAT\n1", &"9".repeat(129)] {
        let e = c
            .patient_statuses(&manager(), DEMO_LICENSE, bad)
            .await
            .expect_err("refused");
        assert_eq!(e.class(), ErrorClass::InvalidInput, "{bad:?}");
    }
    assert!(control.request_log().is_empty(), "nothing was sent");
}
