//! The Integrations screen's commands through the facade: only a manager lists, creates, revokes
//! and maps; the token is in the create answer only (and works on the API it was made for); a
//! revoked token is refused; clerk mappings are listed; the call log names each call; the API's
//! settings start and stop the listener and say why one could not start.
#![cfg(feature = "demo")]

use std::time::Duration;

use stateline_api::App;
use stateline_api::dto::{
    ApiSettings, CreateIntegrationRequest, IntegrationCallsRequest, IntegrationIdRequest,
    IntegrationScope, MapClerkRequest,
};
use stateline_testkit::app::{eventually, login, open};

fn settings(port: u16) -> ApiSettings {
    ApiSettings {
        enabled: true,
        port,
        lan: false,
        door_enabled: false,
        door_port: port.wrapping_add(1).max(1024),
    }
}

/// A free port on loopback (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn create(app: &App, name: &str) -> (i64, String) {
    let made = app
        .create_integration(CreateIntegrationRequest {
            name: name.into(),
            scopes: vec![IntegrationScope::Record, IntegrationScope::Status],
        })
        .await
        .expect("a manager creates an integration");
    (made.integration.id, made.token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_runs_the_api_and_its_integrations_and_a_budtender_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    login(&app, "Max", "2468").await;
    let port = free_port();
    let view = app.set_api_settings(settings(port)).await.unwrap();
    assert_eq!(view.api_url, Some(format!("http://127.0.0.1:{port}")));
    assert_eq!(app.api_settings().await.unwrap().settings.port, port);

    let (id, token) = create(&app, "Front POS").await;
    assert!(token.starts_with("slk_") && token.len() > 40);
    let listed = app.list_integrations().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].token_prefix, &token[..8]);
    let listed_json = serde_json::to_string(&listed).unwrap();
    assert!(
        !listed_json.contains(&token),
        "the list never carries the token"
    );

    app.map_integration_clerk(MapClerkRequest {
        id,
        clerk: "clerk-07".into(),
        user: Some("Bea".into()),
    })
    .await
    .unwrap();
    let clerks = &app.list_integrations().await.unwrap()[0].clerks;
    assert_eq!(
        (clerks[0].clerk.as_str(), clerks[0].user.as_str()),
        ("clerk-07", "Bea")
    );

    let http = reqwest::Client::new();
    let status = |token: String| {
        let http = http.clone();
        async move {
            http.get(format!("http://127.0.0.1:{port}/v1/status"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(token.clone()).await, 200);
    let revoked = app
        .revoke_integration(IntegrationIdRequest { id })
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.clerks.len(), 1);
    assert_eq!(status(token.clone()).await, 401);
    eventually(
        async || {
            let calls = app
                .integration_calls(IntegrationCallsRequest {
                    integration: Some(id),
                    limit: None,
                })
                .await
                .unwrap();
            calls
                .iter()
                .any(|c| c.code.as_deref() == Some("token_revoked"))
                && calls.iter().any(|c| c.status == 200)
        },
        "both calls are in the call log",
    )
    .await;

    // A port another program holds: the settings say why, the register goes on.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let view = app.set_api_settings(settings(taken)).await.unwrap();
    assert_eq!(view.api_url, None);
    assert_eq!(view.problem.unwrap().code, "api_listen_failed");
    let err = app
        .set_api_settings(ApiSettings {
            port: 80,
            ..settings(port)
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    // Off: nothing listens.
    let off = app
        .set_api_settings(ApiSettings {
            enabled: false,
            ..settings(port)
        })
        .await
        .unwrap();
    assert_eq!(off.api_url, None);
    assert_eq!(app.pos_api_address().await, None);

    // A budtender may do none of it.
    app.logout().await.unwrap();
    login(&app, "Bea", "1234").await;
    assert_eq!(
        app.list_integrations().await.unwrap_err().code(),
        "not_allowed"
    );
    assert_eq!(app.api_settings().await.unwrap_err().code(), "not_allowed");
    let err = app
        .create_integration(CreateIntegrationRequest {
            name: "Sneaky".into(),
            scopes: vec![IntegrationScope::Record],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_comes_back_with_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    {
        let app = open(dir.path()).await;
        login(&app, "Max", "2468").await;
        app.set_api_settings(settings(port)).await.unwrap();
        app.shutdown(Duration::from_secs(5)).await.unwrap();
    }
    let config = stateline_api::AppConfig::new(
        dir.path(),
        std::sync::Arc::new(stateline_api::MemoryStore::new()),
    );
    let app = App::open(config).await.unwrap();
    assert_eq!(
        app.pos_api_address().await.map(|a| a.port()),
        Some(port),
        "the saved settings start the API at open"
    );
    app.shutdown(Duration::from_secs(5)).await.unwrap();
}
