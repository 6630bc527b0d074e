//! `GET /patients/v2/statuses/{patientLicenseNumber}`: known, unknown and inactive patients, the
//! Lookup Patients permission, purchases counted by the items' facts inside the purchase period,
//! Metrc's one-minute cache on the emulator's clock, faults, and the control API for patients.
use crate::common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use metrc_emulator::*;
use serde_json::{Value, json};
use stateline_clock::{Clock, ManualClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Metrc's field names, in the order of the reference's example.
const FIELDS: &[&str] = &[
    "PatientLicenseNumber",
    "IdentificationMethod",
    "RegistrationNumber",
    "Active",
    "FlowerOuncesAllowed",
    "ThcOuncesAllowed",
    "ConcentrateOuncesAllowed",
    "InfusedOuncesAllowed",
    "FlowerOuncesPurchased",
    "ThcOuncesPurchased",
    "ConcentrateOuncesPurchased",
    "InfusedOuncesPurchased",
    "FlowerOuncesAvailable",
    "ThcOuncesAvailable",
    "ConcentrateOuncesAvailable",
    "InfusedOuncesAvailable",
    "PurchaseAmountDays",
    "PatientLicenseExpirationDate",
    "PatientRegistrationStartDate",
];

const START: &str = "2026-11-23T18:00:00Z";
const PRE_ROLL: &str = "1A4FF0100000022000000013";
const GUMMIES: &str = "1A4FF0100000022000000016";
const VAPE: &str = "1A4FF0100000022000000019";

fn status_path(patient: &str) -> String {
    lic(&format!("/patients/v2/statuses/{patient}"))
}

async fn on_manual_clock(seed: impl FnOnce(Timestamp) -> Seed) -> (Emulator, Arc<ManualClock>) {
    let start: Timestamp = START.parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let emu = Emulator::start_with_clock(
        "127.0.0.1:0".parse().unwrap(),
        seed(start),
        Options::default(),
        clock.clone(),
    )
    .await
    .unwrap();
    (emu, clock)
}

/// A patient sale dated `when` (facility time) with `lines` of (label, quantity, unit).
fn patient_sale(ext: &str, patient: &str, when: Timestamp, lines: &[(&str, f64, &str)]) -> Value {
    let local = when
        .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S.000")
        .to_string();
    let lines: Vec<Value> = lines
        .iter()
        .map(|(label, q, unit)| {
            json!({"PackageLabel": label, "Quantity": q, "UnitOfMeasure": unit, "TotalAmount": 10.0})
        })
        .collect();
    json!({
        "SalesDateTime": local,
        "ExternalReceiptNumber": ext,
        "SalesCustomerType": "Patient",
        "PatientLicenseNumber": patient,
        "CaregiverLicenseNumber": null,
        "IdentificationMethod": null,
        "Transactions": lines,
    })
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

#[tokio::test]
async fn a_known_patient_has_metrc_fields_and_dates_from_the_clock() {
    let (emu, _clock) = on_manual_clock(Seed::demo).await;
    let (status, body) = Api::manager(&emu)
        .get(&status_path(DEMO_PATIENT_WITH_ROOM))
        .await;
    assert_eq!(status, 200, "{body}");
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    let p = list[0].as_object().unwrap();
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    let mut expected = FIELDS.to_vec();
    expected.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(p["PatientLicenseNumber"], DEMO_PATIENT_WITH_ROOM);
    assert_eq!(p["RegistrationNumber"], "REG-0001");
    assert_eq!(p["Active"], true);
    assert!(close(&p["FlowerOuncesAllowed"], 2.0));
    assert!(close(&p["FlowerOuncesPurchased"], 0.0));
    assert!(close(&p["FlowerOuncesAvailable"], 2.0));
    assert!(close(&p["ThcOuncesAvailable"], 0.1));
    assert!(close(&p["PurchaseAmountDays"], 30.0));
    // 11:00 in Denver on 2026-11-23: registered 165 days before, expiring 200 days after.
    assert_eq!(p["PatientRegistrationStartDate"], "2026-06-11");
    assert_eq!(p["PatientLicenseExpirationDate"], "2027-06-11");

    let (_, nearly) = Api::manager(&emu)
        .get(&status_path(DEMO_PATIENT_NEARLY_USED))
        .await;
    let nearly = &nearly[0];
    assert!(close(&nearly["FlowerOuncesPurchased"], 1.9));
    assert!(close(&nearly["FlowerOuncesAvailable"], 0.1));
    assert!(close(&nearly["ConcentrateOuncesAvailable"], 0.05));
    assert!(close(&nearly["ThcOuncesAvailable"], 0.01));
    assert!(close(&nearly["InfusedOuncesAvailable"], 2.0));
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_patient_is_an_empty_list() {
    let emu = start().await;
    let (status, body) = Api::manager(&emu).get(&status_path("PAT-9999")).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!([]));
    emu.shutdown().await;
}

#[tokio::test]
async fn an_inactive_patient_is_listed_inactive() {
    let (emu, _clock) = on_manual_clock(Seed::demo).await;
    let (status, body) = Api::manager(&emu)
        .get(&status_path(DEMO_PATIENT_INACTIVE))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["Active"], false);
    assert_eq!(body[0]["PatientLicenseExpirationDate"], "2026-11-13");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_lookup_needs_lookup_patients_at_the_licence() {
    let emu = start().await;
    let budtender = Api::new(&emu, DEMO_BUDTENDER_KEY);
    assert_eq!(
        budtender.get(&status_path(DEMO_PATIENT_WITH_ROOM)).await.0,
        200
    );
    assert!(emu.control().remove_permission(
        DEMO_BUDTENDER,
        DEMO_LICENSE,
        Permission::LookupPatients
    ));
    let r = budtender
        .req(reqwest::Method::GET, &status_path(DEMO_PATIENT_WITH_ROOM))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.bytes().await.unwrap().is_empty());
    assert!(emu.control().grant_permission(
        DEMO_BUDTENDER,
        DEMO_LICENSE,
        "lookup patients".parse().unwrap()
    ));
    assert_eq!(
        budtender.get(&status_path(DEMO_PATIENT_WITH_ROOM)).await.0,
        200
    );
    let (status, _) = Api::manager(&emu)
        .get(&format!("/patients/v2/statuses/{DEMO_PATIENT_WITH_ROOM}"))
        .await;
    assert_eq!(status, 400, "licenseNumber is required");
    assert_eq!(
        Api::new(&emu, "not-a-key")
            .get(&status_path(DEMO_PATIENT_WITH_ROOM))
            .await
            .0,
        401
    );
    emu.shutdown().await;
}

/// A sale counts by its items' facts, but Metrc's cache serves the answer made before it until a
/// minute has passed on the emulator's clock; a void is seen the same way.
#[tokio::test]
async fn a_sale_counts_after_the_cache_minute() {
    let (emu, clock) = on_manual_clock(Seed::demo_two_licences).await;
    let api = Api::manager(&emu);
    let patient = DEMO_PATIENT_WITH_ROOM;
    let (_, before) = api.get(&status_path(patient)).await;
    assert!(close(&before[0]["FlowerOuncesAvailable"], 2.0));

    clock.advance(SignedDuration::from_secs(5));
    let sale = patient_sale(
        "P-1",
        patient,
        clock.now(),
        &[
            (GRAMS_LABEL, 3.5, "Grams"),
            (PRE_ROLL, 2.0, "Each"),
            (GUMMIES, 2.0, "Each"),
            (VAPE, 1.0, "Each"),
        ],
    );
    let (status, body) = api.post(&lic("/sales/v2/receipts"), &json!([sale])).await;
    assert_eq!(status, 200, "{body}");
    let receipt = body["Ids"][0].as_u64().unwrap();

    clock.advance(SignedDuration::from_secs(50));
    let (_, cached) = api.get(&status_path(patient)).await;
    assert_eq!(cached, before, "55 s after the first read: the kept answer");
    // Another facility's first read is its own, fresh answer.
    let (_, elsewhere) = api
        .get(&format!(
            "/patients/v2/statuses/{patient}?licenseNumber={DEMO_LICENSE_2}"
        ))
        .await;
    assert!(close(&elsewhere[0]["FlowerOuncesPurchased"], 5.5 / 28.0));

    clock.advance(SignedDuration::from_secs(5));
    let (_, fresh) = api.get(&status_path(patient)).await;
    let p = &fresh[0];
    // 3.5 g of flower and two 1 g pre-rolls; one 0.5 g cartridge; two 100 mg gummies.
    assert!(close(&p["FlowerOuncesPurchased"], 5.5 / 28.0), "{p}");
    assert!(close(&p["FlowerOuncesAvailable"], 2.0 - 5.5 / 28.0), "{p}");
    assert!(close(&p["ConcentrateOuncesPurchased"], 0.5 / 28.0), "{p}");
    assert!(
        close(&p["ConcentrateOuncesAvailable"], 0.5 - 0.5 / 28.0),
        "{p}"
    );
    assert!(close(&p["ThcOuncesPurchased"], 0.2 / 28.0), "{p}");
    assert!(close(&p["ThcOuncesAvailable"], 0.1 - 0.2 / 28.0), "{p}");
    assert!(close(&p["InfusedOuncesPurchased"], 0.0), "{p}");

    let (status, _) = api
        .send(
            reqwest::Method::DELETE,
            &lic(&format!("/sales/v2/receipts/{receipt}")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    clock.advance(SignedDuration::from_secs(59));
    assert_eq!(api.get(&status_path(patient)).await.1, fresh);
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(api.get(&status_path(patient)).await.1, before);

    // A cleared cache answers afresh at once.
    emu.control().set_patient_active(patient, false);
    assert_eq!(api.get(&status_path(patient)).await.1[0]["Active"], true);
    emu.control().clear_patient_cache();
    assert_eq!(api.get(&status_path(patient)).await.1[0]["Active"], false);
    emu.shutdown().await;
}

#[tokio::test]
async fn only_purchases_inside_the_period_count() {
    let (emu, clock) = on_manual_clock(|now| {
        let mut seed = Seed::demo(now);
        let before = |days: i64| now - SignedDuration::from_hours(24 * days);
        seed.add_patient(
            Patient::new("PAT-0100", "REG-0100")
                .allowing(Ounces::new(1.0, 0.0, 0.0, 0.0))
                .per_days(7)
                .bought_elsewhere(before(6), Ounces::new(0.25, 0.0, 0.0, 0.0))
                .bought_elsewhere(before(8), Ounces::new(0.5, 0.0, 0.0, 0.0)),
        );
        seed
    })
    .await;
    let api = Api::manager(&emu);
    let old = clock.now() - SignedDuration::from_hours(24 * 8);
    let sale = patient_sale("P-OLD", "PAT-0100", old, &[(GRAMS_LABEL, 7.0, "Grams")]);
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &json!([sale])).await.0,
        200
    );
    let (_, body) = api.get(&status_path("PAT-0100")).await;
    assert!(close(&body[0]["FlowerOuncesPurchased"], 0.25), "{body}");
    assert!(close(&body[0]["FlowerOuncesAvailable"], 0.75), "{body}");
    // A day and an hour later the purchase made six days before is outside the period too.
    clock.advance(SignedDuration::from_hours(25));
    let (_, body) = api.get(&status_path("PAT-0100")).await;
    assert!(close(&body[0]["FlowerOuncesPurchased"], 0.0), "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_apply_to_the_patient_route() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let ctl = emu.control();
    let path = status_path(DEMO_PATIENT_WITH_ROOM);

    ctl.set_faults(Faults {
        outage_503: Some(Trigger::always().on_path("/patients/")),
        ..Faults::default()
    });
    assert_eq!(api.get(&path).await.0, 503);
    assert_eq!(api.get(&lic("/packages/v2/active")).await.0, 200);

    ctl.set_faults(Faults {
        rate_limit_storm: Some(RateLimitStorm {
            gets_only: true,
            trigger: Trigger::next(1).on_path("/patients/"),
        }),
        ..Faults::default()
    });
    assert_eq!(api.get(&path).await.0, 429);
    assert_eq!(api.get(&path).await.0, 200);

    ctl.set_faults(Faults {
        latency: Some(Latency {
            fixed_ms: 300,
            jitter_ms: 0,
            path_prefix: Some("/patients/".into()),
        }),
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(api.get(&path).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    ctl.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    let refused = api.req(reqwest::Method::GET, &path).send().await;
    assert!(refused.is_err(), "answered while refusing: {refused:?}");
    ctl.clear_faults();
    let mut back = false;
    for _ in 0..100 {
        if api
            .req(reqwest::Method::GET, &path)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(back, "the route answers again once healed");
    let log = ctl.request_log();
    assert!(
        log.iter()
            .any(|r| r.path.starts_with("/patients/v2/statuses/") && r.status == Some(503))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn patients_are_seeded_and_changed_over_the_control_api() {
    let emu = start().await;
    let base = emu.base_url();
    let http = common::client();
    let put = http
        .put(format!("{base}/__emulator/patients"))
        .json(&json!({
            "patient_license_number": "PAT-0200",
            "registration_number": "REG-0200",
            "allowed": {"flower": 2.5, "concentrate": 0.25},
            "purchase_amount_days": 14,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(
        put.json::<Value>().await.unwrap(),
        json!({"ok": true, "added": true})
    );
    let bad = http
        .put(format!("{base}/__emulator/patients"))
        .json(&json!({"patient_license_number": "", "registration_number": "R"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let list: Value = http
        .get(format!("{base}/__emulator/patients"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["patient_license_number"] == "PAT-0200" && p["active"] == true)
    );

    let api = Api::manager(&emu);
    let (_, body) = api.get(&status_path("PAT-0200")).await;
    assert!(close(&body[0]["FlowerOuncesAvailable"], 2.5));
    assert!(close(&body[0]["PurchaseAmountDays"], 14.0));

    let off = http
        .post(format!("{base}/__emulator/patients/PAT-0200/active"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
    let unknown = http
        .post(format!("{base}/__emulator/patients/PAT-4040/active"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        api.get(&status_path("PAT-0200")).await.1[0]["Active"],
        true,
        "still the cached answer"
    );
    let cleared = http
        .delete(format!("{base}/__emulator/patients/cache"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert_eq!(
        api.get(&status_path("PAT-0200")).await.1[0]["Active"],
        false
    );
    emu.shutdown().await;
}

#[test]
fn malformed_patients_are_refused_in_seeds() {
    let now = Timestamp::now();
    let mut seed = Seed::demo(now);
    seed.add_patient(Patient::new("PAT-0001", "REG-0001"));
    assert!(matches!(
        seed.validate(),
        Err(EmulatorError::InvalidSeed(_))
    ));
    let mut seed = Seed::demo(now);
    seed.add_patient(Patient::new("PAT-0300", "REG-0300").per_days(0));
    assert!(seed.validate().is_err());
    let mut seed = Seed::demo(now);
    seed.add_patient(
        Patient::new("PAT-0300", "REG-0300").allowing(Ounces::new(-1.0, 0.0, 0.0, 0.0)),
    );
    assert!(seed.validate().is_err());
    assert_eq!(Seed::demo(now).patients.len(), 3);
}
