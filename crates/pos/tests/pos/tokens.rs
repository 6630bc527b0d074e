//! The token lifecycle: none or a wrong one is refused, each scope opens its routes only, a
//! revoked token is refused from the next call, every call is logged by integration, and the
//! database holds only the token's hash.

use stateline_pos::calls;
use stateline_pos::tokens::{self, Scope};

use crate::fixture::{Api, eventually, manager, sale};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_open_only_their_scopes_and_revoked_ones_stop_at_once() {
    let api = Api::start().await;
    let (label, _) = api.package().await;
    // No token, a made-up one, a malformed header.
    for token in [None, Some("slk_made-up"), Some("not-even-a-token")] {
        let (status, answer) = api.get(token, "/v1/status").await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (401, Some("unauthorized"))
        );
    }
    let response = api
        .http
        .get(format!("{}/v1/status", api.base))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    // The OpenAPI document needs no token.
    let (status, _) = api.get(None, "/openapi.json").await;
    assert_eq!(status, 200);

    let reader = api.token_with("Shelf screen", &[Scope::Inventory]);
    let (status, _) = api.get(Some(&reader), "/v1/packages").await;
    assert_eq!(status, 200);
    for (path, post) in [
        ("/v1/status", false),
        ("/v1/records/T-1", false),
        ("/v1/sales", true),
    ] {
        let (status, answer) = if post {
            api.post(Some(&reader), path, &sale("T-1", "Bea", &label, "1"))
                .await
        } else {
            api.get(Some(&reader), path).await
        };
        assert_eq!(
            (status, answer["code"].as_str()),
            (403, Some("scope_missing")),
            "{path}"
        );
    }
    let recorder = api.token_with("Till 2", &[Scope::Record]);
    let (status, _) = api
        .post(
            Some(&recorder),
            "/v1/sales",
            &sale("T-1", "Bea", &label, "1"),
        )
        .await;
    assert_eq!(status, 201);
    // Tickets are the integration's own: another integration's T-1 is unknown to this one.
    let (status, _) = api.get(Some(&recorder), "/v1/records/T-1").await;
    assert_eq!(status, 200);
    let (status, _) = api.get(Some(&api.token), "/v1/records/T-1").await;
    assert_eq!(status, 404);
    let (status, _) = api.get(Some(&recorder), "/v1/packages").await;
    assert_eq!(status, 403);

    let till = tokens::list(api.app.database())
        .unwrap()
        .into_iter()
        .find(|i| i.name == "Till 2")
        .unwrap();
    assert_eq!(till.scopes, vec![Scope::Record]);
    assert!(till.token_prefix.starts_with("slk_") && till.token_prefix.len() == 8);
    tokens::revoke(api.app.database(), &manager(&api.app), till.id).unwrap();
    let (status, answer) = api
        .post(
            Some(&recorder),
            "/v1/sales",
            &sale("T-2", "Bea", &label, "1"),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("token_revoked"))
    );
    assert_eq!(api.count("sales"), 1);

    // Every call of the till was logged under it, refusals with their code.
    eventually(
        async || {
            let logged = calls::recent(api.app.database(), Some(till.id), 50).unwrap();
            logged
                .iter()
                .any(|c| c.code.as_deref() == Some("token_revoked"))
        },
        "the till's calls are logged",
    )
    .await;
    let logged = calls::recent(api.app.database(), Some(till.id), 50).unwrap();
    assert!(
        logged
            .iter()
            .any(|c| c.route == "/v1/sales" && c.status == 201)
    );
    assert!(
        logged
            .iter()
            .any(|c| c.route == "/v1/packages" && c.code.as_deref() == Some("scope_missing"))
    );
    assert!(logged.iter().any(|c| c.route == "/v1/records/{ticket_id}"));
    let anonymous = calls::recent(api.app.database(), None, 500).unwrap();
    assert!(
        anonymous
            .iter()
            .any(|c| c.integration_id.is_none() && c.status == 401)
    );
    let after = tokens::list(api.app.database()).unwrap();
    let till = after.iter().find(|i| i.id == till.id).unwrap();
    assert!(till.revoked_at.is_some() && till.last_used_at.is_some());

    // Only hashes: no token is anywhere in the database files.
    api.app
        .shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    for entry in std::fs::read_dir(api.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            for token in [&api.token, &reader, &recorder] {
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "a token is in {}",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_manager_makes_tokens_and_names_are_checked() {
    let api = Api::start().await;
    let bea = api
        .app
        .database()
        .verify_pin("Bea", &stateline_store::Pin::new("1234"))
        .unwrap()
        .actor;
    let err = tokens::create(api.app.database(), &bea, "Sneaky", &Scope::ALL).unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    let max = manager(&api.app);
    for (name, scopes) in [
        ("", &Scope::ALL[..]),
        ("Front POS", &Scope::ALL[..]),
        ("X", &[][..]),
    ] {
        let err = tokens::create(api.app.database(), &max, name, scopes).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{name:?}");
    }
    // A clerk id maps to a user; the POS may then name its clerk.
    let front = tokens::list(api.app.database()).unwrap()[0].clone();
    tokens::map_clerk(api.app.database(), &max, front.id, "clerk-17", Some("Bea")).unwrap();
    let (label, _) = api.package().await;
    let (status, made) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &sale("T-C1", "clerk-17", &label, "1"),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["budtender"], "Bea");
    let err = tokens::map_clerk(
        api.app.database(),
        &max,
        front.id,
        "clerk-18",
        Some("Ghost"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "unknown_user");
}
