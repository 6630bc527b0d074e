//! An app serving the local API on a free loopback port, with a manager (Max), the demo
//! budtender (Bea) and a token of every scope.

use metrc_emulator::DEMO_BUDTENDER_KEY;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use stateline_api::App;
use stateline_api::dto::{ApiSettings, KeyOwnerRef, SearchRequest, SetKeyRequest};
use stateline_pos::tokens::{self, Scope};
use stateline_store::{Actor, Pin};
use stateline_testkit::app::{login, open};

pub struct Api {
    pub app: App,
    pub base: String,
    pub http: reqwest::Client,
    /// A token with every scope.
    pub token: String,
    _dir: tempfile::TempDir,
}

pub fn manager(app: &App) -> Actor {
    manager_named(app, "Max", "2468")
}

/// The actor of a user, by PIN.
pub fn manager_named(app: &App, name: &str, pin: &str) -> Actor {
    app.database()
        .verify_pin(name, &Pin::new(pin))
        .expect("the manager's PIN")
        .actor
}

impl Api {
    pub async fn start() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let app = open(dir.path()).await;
        login(&app, "Max", "2468").await;
        // Demo mode gave Max a budtender, Bea (PIN 1234); she pastes her own Metrc key.
        app.set_key(SetKeyRequest {
            owner: KeyOwnerRef::User { user: "Bea".into() },
            key: DEMO_BUDTENDER_KEY.into(),
        })
        .await
        .expect("Bea's key");
        let view = app
            .serve_pos_api(&ApiSettings {
                enabled: true,
                port: 0,
                lan: false,
                door_enabled: false,
                door_port: 0,
            })
            .await;
        assert_eq!(view.problem, None);
        let base = view.api_url.expect("the API runs");
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        let created = tokens::create(app.database(), &manager(&app), "Front POS", &Scope::ALL)
            .expect("a token");
        Api {
            token: created.token.expose_secret().to_owned(),
            app,
            base,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// A token with only `scopes`.
    pub fn token_with(&self, name: &str, scopes: &[Scope]) -> String {
        let created = tokens::create(self.app.database(), &manager(&self.app), name, scopes)
            .expect("a token");
        created.token.expose_secret().to_owned()
    }

    /// The first package with something on hand: (label, on hand).
    pub async fn package(&self) -> (String, String) {
        let found = self
            .app
            .search_packages(SearchRequest {
                query: String::new(),
                licence: None,
                limit: Some(1),
            })
            .await
            .unwrap()
            .remove(0);
        (found.label, found.on_hand)
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("the API answers")).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("the API answers")).await
    }

    /// Rows of `table` in the register's database.
    pub fn count(&self, table: &str) -> i64 {
        let conn = rusqlite::Connection::open(self._dir.path().join("stateline.sqlite")).unwrap();
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A one-line sale of `quantity` of `label` by `budtender` for ticket `ticket`.
pub fn sale(ticket: &str, budtender: &str, label: &str, quantity: &str) -> Value {
    json!({
        "ticket_id": ticket,
        "budtender": budtender,
        "lines": [{"label": label, "quantity": quantity, "price": "12.50"}],
    })
}

/// Polls `done` every 50 ms for up to 15 s.
pub async fn eventually(mut done: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}
