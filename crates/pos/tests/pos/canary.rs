//! The canary scan of the local API (SPEC guarantee 6): an app on the real OS keychain, with
//! unmistakable canary Metrc keys for its users and canary PINs, serves the API and the
//! Metrc-compatible door at trace logging; an integration records sales, reads records, packages,
//! status and the event stream, is refused, and is revoked; a POS at the door records a receipt
//! and reads through it with a canary key in its Basic auth (and is refused a wrong one); the
//! sales reach Metrc under the canary keys. Then
//! every log line, every HTTP answer (headers and body) and every file the app left in its data
//! folder is searched for the canaries, their Base64 forms and the Base64 Basic-auth pairs; the
//! tokens are searched for in the files too (only their hashes may be stored). Zero hits is the
//! only pass.
//!
//! Runs where a Secret Service is reachable; with `CI=true` and none reachable it fails.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use metrc_emulator::{DEMO_LICENSE, DEMO_VENDOR_KEY, Emulator, Options, Permission, Seed};
use secrecy::ExposeSecret;
use serde_json::json;
use stateline_api::dto::{
    AddUserRequest, ApiSettings, CreateManagerRequest, KeyOwnerRef, LicenceRequest, LoginRequest,
    Role, SearchRequest, SetKeyRequest,
};
use stateline_api::{App, AppConfig, KeychainStore, SecretStore};
use stateline_pos::tokens::{self, Scope};

use crate::fixture::{eventually, manager_named};

const MANAGER_KEY: &str = "CanaryPosManagerKey-r4Tq8Wn2Yx6Bv1Lz";
const BUDTENDER_KEY: &str = "CanaryPosBudtenderKey-k9Hs3Pd7Mf5Jc2Qa";
const MANAGER_PIN: &str = "80641397";
const BUDTENDER_PIN: &str = "57302864";

/// Every form of every secret that must never appear.
fn forbidden() -> Vec<(String, Vec<u8>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for secret in [MANAGER_KEY, BUDTENDER_KEY, MANAGER_PIN, BUDTENDER_PIN] {
        out.push((secret.to_owned(), secret.as_bytes().to_vec()));
        out.push((format!("base64({secret})"), b64.encode(secret).into_bytes()));
    }
    for user in [MANAGER_KEY, BUDTENDER_KEY] {
        let pair = format!("{DEMO_VENDOR_KEY}:{user}");
        out.push((format!("basic({user})"), b64.encode(&pair).into_bytes()));
        let middle = &user[user.len() - 16..user.len() - 4];
        out.push((format!("part of {user}"), middle.as_bytes().to_vec()));
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn keychain_usable() -> bool {
    match KeychainStore::new().probe() {
        Ok(()) => true,
        Err(e) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "CI=true but the keychain is not usable: {e}");
            eprintln!("SKIPPED: no usable Secret Service ({e})");
            false
        }
    }
}

/// Every log line of this test binary, at trace level.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The demo dispensary, whose users have canary keys.
fn canary_seed() -> Seed {
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.users.clear();
    seed.add_user("manager", MANAGER_KEY, &[(DEMO_LICENSE, Permission::all())]);
    seed.add_user(
        "budtender",
        BUDTENDER_KEY,
        &[(DEMO_LICENSE, Permission::all())],
    );
    seed
}

/// Keeps every answer's status line, headers and body for the scan.
struct Answers(Vec<(String, Vec<u8>)>);

impl Answers {
    async fn keep(&mut self, what: &str, response: reqwest::Response) -> serde_json::Value {
        let mut text = format!("{} {}\n", response.status(), what).into_bytes();
        for (name, value) in response.headers() {
            text.extend_from_slice(format!("{name}: ").as_bytes());
            text.extend_from_slice(value.as_bytes());
            text.push(b'\n');
        }
        let body = response.bytes().await.unwrap_or_default();
        text.extend_from_slice(&body);
        self.0.push((what.to_owned(), text));
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_key_or_pin_reaches_a_log_an_answer_or_a_file() {
    if !keychain_usable() {
        return;
    }
    let logs = logs();
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        canary_seed(),
        Options::default(),
    )
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let keychain: Arc<dyn SecretStore> = Arc::new(KeychainStore::new());
    let mut config = AppConfig::new(dir.path(), keychain);
    config.demo_metrc_url = Some(emulator.base_url());
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_millis(1500);
    let app = App::open(config).await.expect("the app opens");
    app.create_first_manager(CreateManagerRequest {
        name: "Max".into(),
        pin: MANAGER_PIN.into(),
    })
    .await
    .unwrap();
    app.login(LoginRequest {
        name: "Max".into(),
        pin: MANAGER_PIN.into(),
    })
    .await
    .unwrap();
    app.add_user(AddUserRequest {
        name: "Cora".into(),
        role: Role::Budtender,
        pin: BUDTENDER_PIN.into(),
    })
    .await
    .unwrap();
    for (user, key) in [("Max", MANAGER_KEY), ("Cora", BUDTENDER_KEY)] {
        app.set_key(SetKeyRequest {
            owner: KeyOwnerRef::User { user: user.into() },
            key: key.into(),
        })
        .await
        .expect("a canary key is saved");
    }
    let view = app
        .serve_pos_api(&ApiSettings {
            enabled: true,
            port: 0,
            lan: false,
            door_enabled: true,
            door_port: 0,
        })
        .await;
    let base = view.api_url.expect("the API runs");
    let door = view.door_url.expect("the door runs");
    let max = manager_named(&app, "Max", MANAGER_PIN);
    let token = tokens::create(app.database(), &max, "Front POS", &Scope::ALL)
        .unwrap()
        .token
        .expose_secret()
        .to_owned();
    // The demo set-up could not use its own demo key here: fetch the packages with Max's.
    app.refresh_inventory(LicenceRequest { licence: None })
        .await
        .expect("the packages are fetched with the canary key");
    let package = app
        .search_packages(SearchRequest {
            query: String::new(),
            licence: None,
            limit: Some(1),
        })
        .await
        .unwrap()
        .remove(0);
    let (label, unit) = (package.label, package.unit_of_measure);

    let http = reqwest::Client::new();
    let mut answers = Answers(Vec::new());
    for (ticket, who) in [("C-1", "Cora"), ("C-2", "Max"), ("C-1", "Cora")] {
        let response = http
            .post(format!("{base}/v1/sales"))
            .bearer_auth(&token)
            .json(&json!({"ticket_id": ticket, "budtender": who,
                          "lines": [{"label": label, "quantity": "1", "price": "9.99"}]}))
            .send()
            .await
            .unwrap();
        answers.keep(&format!("sale {ticket}"), response).await;
    }
    for path in [
        "/v1/status",
        "/v1/packages",
        "/v1/records/C-1",
        "/openapi.json",
    ] {
        let response = http
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        answers.keep(path, response).await;
    }
    // A POS that speaks Metrc, at the door, with Cora's canary key in its Basic auth.
    let now = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("America/Denver").unwrap())
        .datetime();
    let receipt = json!([{
        "SalesDateTime": now.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        "ExternalReceiptNumber": "DOOR-1",
        "SalesCustomerType": "Consumer",
        "Transactions": [{"PackageLabel": label, "Quantity": 1.0, "UnitOfMeasure": unit,
                          "TotalAmount": 5.0}],
    }]);
    let door_calls = [
        (
            "door receipts",
            http.post(format!(
                "{door}/sales/v2/receipts?licenseNumber={DEMO_LICENSE}"
            ))
            .json(&receipt),
        ),
        (
            "door packages",
            http.get(format!(
                "{door}/packages/v2/active?licenseNumber={DEMO_LICENSE}"
            )),
        ),
        ("door facilities", http.get(format!("{door}/facilities/v2"))),
    ];
    for (what, request) in door_calls {
        let response = request
            .basic_auth(DEMO_VENDOR_KEY, Some(BUDTENDER_KEY))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = answers.keep(what, response).await;
        assert!(status.is_success(), "{what}: {status} {body}");
    }
    let wrong_key = http
        .get(format!("{door}/facilities/v2"))
        .basic_auth(DEMO_VENDOR_KEY, Some(format!("{BUDTENDER_KEY}-not")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status().as_u16(), 401);
    answers.keep("door, a wrong key", wrong_key).await;
    let refused = http
        .get(format!("{base}/v1/status"))
        .bearer_auth("slk_wrong")
        .send()
        .await
        .unwrap();
    answers.keep("wrong token", refused).await;
    eventually(
        async || {
            let response = http
                .get(format!("{base}/v1/records/C-2"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            answers.keep("C-2 state", response).await["state"] == "confirmed"
        },
        "the sales reach Metrc under the canary keys",
    )
    .await;
    let mut events = http
        .get(format!("{base}/v1/events?since=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut stream = Vec::new();
    while let Ok(Ok(Some(chunk))) =
        tokio::time::timeout(Duration::from_millis(500), events.chunk()).await
    {
        stream.extend_from_slice(&chunk);
    }
    assert!(contains(&stream, b"event: record"), "the stream answered");
    answers.0.push(("event stream".into(), stream));
    tokens::revoke(app.database(), &max, 1).unwrap();
    app.shutdown(Duration::from_secs(10)).await.unwrap();
    drop(app);

    // The keys did go somewhere: the keychain (so the scan below is not vacuous).
    let used = emulator.control().receipts(DEMO_LICENSE);
    assert!(used.len() >= 2, "both sales reached Metrc");

    let mut hits = Vec::new();
    let log_bytes = logs.lock().unwrap().clone();
    assert!(!log_bytes.is_empty(), "trace logs were captured");
    let mut files = Vec::new();
    let mut folders = vec![dir.path().to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(files.iter().any(|(p, _)| p.ends_with("stateline.sqlite")));
    let mut scanned: Vec<(String, Vec<u8>)> = vec![("trace logs".into(), log_bytes)];
    scanned.extend(answers.0);
    scanned.extend(files.clone());
    for (place, bytes) in &scanned {
        for (name, needle) in forbidden() {
            if contains(bytes, &needle) {
                hits.push(format!("{name} in {place}"));
            }
        }
    }
    for (place, bytes) in &files {
        if contains(bytes, token.as_bytes()) {
            hits.push(format!("the token in {place}"));
        }
    }
    assert!(hits.is_empty(), "secrets found: {hits:#?}");
    // The scanner finds what it looks for (a planted canary is reported).
    let planted = format!("log line with {BUDTENDER_KEY}");
    assert!(
        forbidden()
            .iter()
            .any(|(_, n)| contains(planted.as_bytes(), n))
    );
}
