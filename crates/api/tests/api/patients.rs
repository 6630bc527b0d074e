//! Medical sales against the emulator's patient endpoint (issue #14): a patient looked up online,
//! the reading reused within Metrc's cache minute, the last reading used while Metrc is out of
//! reach, the sales since the reading counted, and a fresh reading that already holds them.
#![cfg(feature = "demo")]

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use metrc_emulator::{DEMO_LICENSE, DEMO_PATIENT_INACTIVE, DEMO_PATIENT_WITH_ROOM};
use stateline_api::dto::{
    Ask, CartLine, CreateManagerRequest, DemoFault, DemoFaultRequest, LimitBasis,
    LimitPreviewRequest, PatientLookupRequest, SaleRequest, SearchRequest,
};
use stateline_api::{App, AppConfig};
use stateline_secrets::MemoryStore;
use stateline_store::ManualClock;

fn flower(label: &str, grams: &str) -> Vec<CartLine> {
    vec![CartLine {
        label: label.into(),
        quantity: grams.into(),
        price: "10".into(),
    }]
}

fn preview(patient: &str, lines: Vec<CartLine>) -> LimitPreviewRequest {
    LimitPreviewRequest {
        licence: None,
        customer_type: "Patient".into(),
        patient_number: Some(patient.into()),
        lines,
    }
}

async fn look_up(app: &App, patient: &str) -> stateline_api::dto::PatientReadingView {
    app.look_up_patient(PatientLookupRequest {
        licence: None,
        patient_number: patient.into(),
    })
    .await
    .expect("a lookup answers, online or not")
}

/// A clock at the current second, moved only by the test.
fn clock_at_now() -> ManualClock {
    ManualClock::new(jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap())
}

/// A demo app on `dir` with `clock`, its first manager (Max) created, and the label of its Blue
/// Dream flower.
async fn demo_app(dir: &std::path::Path, clock: &ManualClock, seed: u64) -> (App, String) {
    let mut config = AppConfig::new(dir, Arc::new(MemoryStore::new()));
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_secs(2);
    config.rng_seed = Some(seed);
    config.clock = Arc::new(clock.clone());
    let app = App::open(config).await.unwrap();
    app.create_first_manager(CreateManagerRequest {
        name: "Max".into(),
        pin: "2468".into(),
    })
    .await
    .unwrap();
    let label = app
        .search_packages(SearchRequest {
            query: "Blue Dream Flower".into(),
            licence: None,
            limit: Some(1),
        })
        .await
        .unwrap()
        .remove(0)
        .label;
    (app, label)
}

/// Metrc's receipt of the sale `client_id` once the app delivered it (moving the clock past any
/// backoff), or `None` after a minute.
async fn delivered(
    app: &App,
    clock: &ManualClock,
    client_id: &str,
) -> Option<metrc_emulator::Receipt> {
    let control = app.demo_control().expect("demo emulator");
    let in_metrc = || {
        control
            .receipts(DEMO_LICENSE)
            .into_iter()
            .find(|r| r.external_receipt_number.as_deref() == Some(client_id))
    };
    let waiting_since = std::time::Instant::now();
    while in_metrc().is_none() && waiting_since.elapsed() < Duration::from_secs(60) {
        clock.advance(SignedDuration::from_secs(5));
        app.sync_now().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    in_metrc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_is_read_online_reused_within_the_minute_and_offline_and_sales_since_count() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at_now();
    let (app, label) = demo_app(dir.path(), &clock, 5).await;

    // Online: Metrc's reading, kept.
    let first = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(first.fresh && first.known, "{first:?}");
    assert_eq!(first.registrations[0].flower_g_available, 56.0);
    let inactive = look_up(&app, DEMO_PATIENT_INACTIVE).await;
    assert!(!inactive.registrations[0].active);
    let unknown = look_up(&app, "PAT-9999").await;
    assert!(unknown.unknown_to_metrc, "{unknown:?}");

    // A sale of 20 g against the reading.
    let check = app
        .limit_preview(preview(DEMO_PATIENT_WITH_ROOM, flower(&label, "20")))
        .await
        .unwrap();
    assert_eq!(check.basis, Some(LimitBasis::PatientReading));
    assert!(check.over.is_empty(), "{check:?}");
    app.complete_sale(SaleRequest {
        licence: None,
        lines: flower(&label, "20"),
        customer_type: "Patient".into(),
        patient_number: Some(DEMO_PATIENT_WITH_ROOM.into()),
        caregiver_number: None,
        identification_method: None,
        approval: None,
    })
    .await
    .expect("a patient's sale within the reading");

    // Within the minute: the kept reading, not Metrc's cached answer.
    let again = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(!again.fresh, "{again:?}");
    assert!(
        again.note.as_deref().unwrap_or_default().contains("cache"),
        "{again:?}"
    );

    // Offline after the minute: the last reading, minus the 20 g sold since.
    clock.advance(SignedDuration::from_secs(90));
    app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on: true,
        user: None,
    })
    .await
    .unwrap();
    let offline = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(!offline.fresh && offline.known, "{offline:?}");
    assert!(
        offline
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("could not be asked")
    );
    let over = app
        .limit_preview(preview(DEMO_PATIENT_WITH_ROOM, flower(&label, "40")))
        .await
        .unwrap();
    assert!(
        over.over
            .iter()
            .any(|o| o.rule.starts_with("metrc-allotment")),
        "{over:?}"
    );
    let within = app
        .limit_preview(preview(DEMO_PATIENT_WITH_ROOM, flower(&label, "36")))
        .await
        .unwrap();
    assert!(within.over.is_empty(), "{within:?}");

    // Back online, after Metrc took the sale: a fresh reading holds it, and it is not counted twice.
    app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on: false,
        user: None,
    })
    .await
    .unwrap();
    let db = app.database().clone();
    let all_confirmed = || {
        let entries = db
            .list_entries(&stateline_store::EntryFilter::default())
            .unwrap();
        !entries.is_empty()
            && entries
                .iter()
                .all(|e| e.state == stateline_store::EntryState::Confirmed)
    };
    let waiting_since = std::time::Instant::now();
    while !all_confirmed() && waiting_since.elapsed() < Duration::from_secs(120) {
        // A send tried while the network was down waits out its backoff on the injected clock.
        clock.advance(SignedDuration::from_secs(5));
        app.sync_now().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        all_confirmed(),
        "the sale reaches Metrc once the network is back: {:?}",
        db.list_entries(&stateline_store::EntryFilter::default())
            .unwrap()
    );
    clock.advance(SignedDuration::from_secs(90));
    let fresh = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(fresh.fresh, "{fresh:?}");
    assert!(
        (fresh.registrations[0].flower_g_available - 36.0).abs() < 0.01,
        "{fresh:?}"
    );
    let still_within = app
        .limit_preview(preview(DEMO_PATIENT_WITH_ROOM, flower(&label, "36")))
        .await
        .unwrap();
    assert!(
        still_within.over.is_empty(),
        "the confirmed sale is in Metrc's figure, not counted again: {still_within:?}"
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// An external patient at the demo licence (whose facility type requires the identification
/// method): without one the sale is refused by field and nothing is written; with one it is
/// recorded, and Metrc's receipt carries it and the patient's number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_patients_sale_carries_how_they_were_identified_to_metrc() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at_now();
    let (app, label) = demo_app(dir.path(), &clock, 6).await;
    let types = app
        .customer_types(stateline_api::dto::LicenceRequest { licence: None })
        .await
        .unwrap();
    let external = types
        .asks
        .iter()
        .find(|a| a.customer_type == "ExternalPatient")
        .expect("the demo licence sells to external patients");
    assert_eq!(external.identification_method, Ask::Required);
    assert_eq!(external.caregiver_number, Ask::No);
    let consumer = &types.asks[0];
    assert_eq!(
        (consumer.customer_type.as_str(), consumer.patient_number),
        ("Consumer", Ask::No)
    );
    let sale = |method: Option<&str>| SaleRequest {
        licence: None,
        lines: flower(&label, "1"),
        customer_type: "ExternalPatient".into(),
        patient_number: Some(DEMO_PATIENT_WITH_ROOM.into()),
        caregiver_number: None,
        identification_method: method.map(str::to_owned),
        approval: None,
    };
    let db = app.database().clone();
    let entries = || {
        db.list_entries(&stateline_store::EntryFilter::default())
            .unwrap()
    };

    let refused = app.complete_sale(sale(None)).await.unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "{refused:?}");
    assert!(
        refused.to_string().contains("identification method"),
        "{refused:?}"
    );
    assert!(entries().is_empty(), "a refused sale writes nothing");

    let receipt = app
        .complete_sale(sale(Some("Out-of-state medical card")))
        .await
        .expect("an external patient's sale with the identification method");
    let sent = delivered(&app, &clock, &receipt.client_id)
        .await
        .expect("the sale reaches Metrc");
    assert_eq!(
        sent.identification_method.as_deref(),
        Some("Out-of-state medical card")
    );
    assert_eq!(
        sent.patient_license_number.as_deref(),
        Some(DEMO_PATIENT_WITH_ROOM)
    );
    assert_eq!(sent.sales_customer_type, "ExternalPatient");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Metrc's patient endpoint alone fails (503) while its sales endpoints answer: the lookup says
/// Metrc could not be asked and uses the reading kept here, a medical sale checked against it is
/// recorded and reaches Metrc, and once the endpoint answers again a lookup is fresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_only_the_patient_endpoint_fails_the_kept_reading_is_used_and_sales_still_go_out() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at_now();
    let (app, label) = demo_app(dir.path(), &clock, 7).await;
    assert!(look_up(&app, DEMO_PATIENT_WITH_ROOM).await.fresh);
    clock.advance(SignedDuration::from_secs(90));

    let control = app.demo_control().expect("demo emulator");
    control.set_faults(metrc_emulator::Faults {
        outage_503: Some(metrc_emulator::Trigger::always().on_path("/patients/")),
        ..Default::default()
    });
    let kept = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(!kept.fresh && kept.known, "{kept:?}");
    assert!(
        kept.note
            .as_deref()
            .unwrap_or_default()
            .contains("could not be asked"),
        "{kept:?}"
    );
    let check = app
        .limit_preview(preview(DEMO_PATIENT_WITH_ROOM, flower(&label, "5")))
        .await
        .unwrap();
    assert_eq!(check.basis, Some(LimitBasis::PatientReading), "{check:?}");
    let receipt = app
        .complete_sale(SaleRequest {
            licence: None,
            lines: flower(&label, "5"),
            customer_type: "Patient".into(),
            patient_number: Some(DEMO_PATIENT_WITH_ROOM.into()),
            caregiver_number: None,
            identification_method: None,
            approval: None,
        })
        .await
        .expect("a sale against the kept reading");
    assert!(
        delivered(&app, &clock, &receipt.client_id).await.is_some(),
        "the sale reaches Metrc while only patients fail"
    );

    control.set_faults(metrc_emulator::Faults::default());
    clock.advance(SignedDuration::from_secs(90));
    let fresh = look_up(&app, DEMO_PATIENT_WITH_ROOM).await;
    assert!(fresh.fresh, "{fresh:?}");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}
