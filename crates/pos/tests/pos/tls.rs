//! The local API on the store's network: TLS only, with this register's own certificate, the
//! same one (the same fingerprint a POS pinned) at every start.

use stateline_api::dto::ApiSettings;

use crate::fixture::Api;

fn lan() -> ApiSettings {
    ApiSettings {
        enabled: true,
        port: 0,
        lan: true,
        door_enabled: false,
        door_port: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_store_network_the_api_speaks_tls_with_a_pinned_certificate() {
    let api = Api::start().await;
    let view = api.app.serve_pos_api(&lan()).await;
    assert_eq!(view.problem, None);
    let fingerprint = view.certificate_fingerprint.clone().expect("a fingerprint");
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{fingerprint}");
    let address = api.app.pos_api_address().await.expect("listening");
    assert!(address.ip().is_unspecified(), "every interface: {address}");
    let pem = std::fs::read(api.dir().join("api-certificate.pem")).unwrap();
    let key = std::fs::read(api.dir().join("api-key.pem")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(api.dir().join("api-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is the owner's alone");
    }
    let pinned = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/status", address.port());
    let response = pinned
        .get(&url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // A client that does not trust the certificate cannot talk to it, nor can plain HTTP.
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
    let plain = format!("http://127.0.0.1:{}/v1/status", address.port());
    let refused = reqwest::Client::new().get(&plain).send().await;
    assert!(refused.is_err() || !refused.unwrap().status().is_success());

    // Restarted: the same certificate, the same fingerprint; the key file untouched.
    let again = api.app.serve_pos_api(&lan()).await;
    assert_eq!(again.certificate_fingerprint, Some(fingerprint));
    assert_eq!(std::fs::read(api.dir().join("api-key.pem")).unwrap(), key);
    // A damaged certificate is reported, not silently replaced (that would break the pin).
    std::fs::write(api.dir().join("api-certificate.pem"), "not a certificate").unwrap();
    let broken = api.app.serve_pos_api(&lan()).await;
    let problem = broken.problem.expect("a problem");
    assert_eq!(problem.code, "api_certificate_failed");
    assert!(
        problem.message.contains("api-certificate.pem"),
        "{}",
        problem.message
    );
    assert_eq!(broken.api_url, None);
}
