//! A medical sale through the API: the patient is read from Metrc with the budtender's key first,
//! as the Sell screen does, so the state's limits are checked against Metrc's allotment.

use metrc_emulator::{DEMO_LICENSE, DEMO_PATIENT_INACTIVE, DEMO_PATIENT_WITH_ROOM};
use serde_json::json;
use stateline_api::dto::SearchRequest;

use crate::fixture::Api;

fn medical(ticket: &str, patient: &str, label: &str, grams: &str) -> serde_json::Value {
    json!({
        "ticket_id": ticket,
        "budtender": "Bea",
        "customer_type": "Patient",
        "patient_number": patient,
        "lines": [{"label": label, "quantity": grams, "price": "10"}],
    })
}

/// The label of the demo's Blue Dream flower.
async fn flower_label(api: &Api) -> String {
    api.app
        .search_packages(SearchRequest {
            query: "Blue Dream Flower".into(),
            licence: None,
            limit: Some(1),
        })
        .await
        .unwrap()
        .remove(0)
        .label
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_medical_sale_reads_the_patient_first_and_keeps_to_the_allotment() {
    let api = Api::start().await;
    let label = flower_label(&api).await;
    let (status, made) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &medical("M-1", DEMO_PATIENT_WITH_ROOM, &label, "3.5"),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let reading = api
        .app
        .database()
        .latest_patient_reading(DEMO_LICENSE, DEMO_PATIENT_WITH_ROOM)
        .unwrap()
        .expect("the patient was read from Metrc");
    assert_eq!(reading.read_by, "Bea");
    let (status, refused) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &medical("M-2", DEMO_PATIENT_INACTIVE, &label, "1"),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("patient_not_eligible")),
        "{refused}"
    );
    // More than the patient's allotment (56 g of flower) is refused, nothing written.
    let (status, over) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &medical("M-3", DEMO_PATIENT_WITH_ROOM, &label, "60"),
        )
        .await;
    assert_eq!(status, 422, "{over}");
    assert!(
        ["over_limit", "insufficient_quantity"].contains(&over["code"].as_str().unwrap()),
        "{over}"
    );
    assert_eq!(api.count("sales"), 1);
}

/// An external patient's sale through the API: without `identification_method` it is 422
/// `invalid_input` naming the field (the demo licence requires it), with it the sale keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_patients_sale_needs_the_identification_method() {
    let api = Api::start().await;
    let label = flower_label(&api).await;
    let mut sale = medical("X-1", DEMO_PATIENT_WITH_ROOM, &label, "1");
    sale["customer_type"] = "ExternalPatient".into();
    let (status, refused) = api.post(Some(&api.token), "/v1/sales", &sale).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_input")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("identification method"),
        "{refused}"
    );
    assert_eq!(api.count("sales"), 0);
    sale["ticket_id"] = "X-2".into();
    sale["identification_method"] = "State ID".into();
    let (status, made) = api.post(Some(&api.token), "/v1/sales", &sale).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        api.count("sales WHERE identification_method = 'State ID'"),
        1
    );
}
