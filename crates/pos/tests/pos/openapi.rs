//! The OpenAPI document: generated from the handlers, served at `/openapi.json`, and committed as
//! `docs/openapi.json` (this test fails when the committed copy is stale; run it with
//! `STATELINE_WRITE_OPENAPI=1` to write it).

use crate::fixture::Api;

fn committed() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_committed_openapi_document_is_fresh() {
    let generated = stateline_pos::openapi_json();
    if std::env::var_os("STATELINE_WRITE_OPENAPI").is_some() {
        std::fs::write(committed(), format!("{generated}\n")).unwrap();
    }
    let on_disk = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        on_disk.trim_end() == generated.trim_end(),
        "docs/openapi.json is stale: run STATELINE_WRITE_OPENAPI=1 cargo test -p stateline-pos \
         --test pos openapi"
    );
    let document: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/sales",
        "/v1/adjustments",
        "/v1/records/{ticket_id}",
        "/v1/events",
        "/v1/packages",
        "/v1/status",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_the_same_document() {
    let api = Api::start().await;
    let (status, served) = api.get(None, "/openapi.json").await;
    assert_eq!(status, 200);
    let generated: serde_json::Value =
        serde_json::from_str(&stateline_pos::openapi_json()).unwrap();
    assert_eq!(served, generated);
}
