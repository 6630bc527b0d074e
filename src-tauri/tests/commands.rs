//! The command layer under Tauri's mock runtime: commands are reachable by name with one `req`
//! argument, results are the contract's JSON, and core errors arrive as `{code, message}`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use stateline_api::{App, AppConfig, MemoryStore};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindow, WebviewWindowBuilder};

struct Fixture {
    _dir: tempfile::TempDir,
    tauri_app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    core: App,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path(), Arc::new(MemoryStore::new()));
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_secs(2);
    let core = tauri::async_runtime::block_on(App::open(config)).expect("the core opens");
    let app = stateline_app_lib::shell::configure(mock_builder(), core.clone(), false)
        .build(mock_context(noop_assets()))
        .expect("the app builds");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a window");
    Fixture {
        _dir: dir,
        tauri_app: app,
        window,
        core,
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON result"))
}

#[test]
fn app_state_reports_the_first_run_of_the_demo() {
    let f = fixture();
    let state = invoke(&f.window, "app_state", json!({})).expect("app_state");
    assert_eq!(state["phase"], "first_run");
    assert_eq!(state["environment"], "demo");
    assert_eq!(state["demo"], true);
    assert_eq!(state["licences"][0]["number"], "403R-00001");
    tauri::async_runtime::block_on(f.core.shutdown(Duration::from_secs(5))).unwrap();
}

#[test]
fn core_errors_reach_the_ui_as_code_and_message() {
    let f = fixture();
    let err = invoke(&f.window, "sync_status", json!({})).expect_err("no session");
    assert_eq!(err["code"], "not_logged_in");
    assert!(err["message"].as_str().unwrap().contains("log in"), "{err}");

    let err = invoke(
        &f.window,
        "login",
        json!({"req": {"name": "Nobody", "pin": "1234"}}),
    )
    .expect_err("unknown user");
    assert_eq!(err["code"], "unknown_user");
    assert_eq!(
        err.as_object().unwrap().len(),
        2,
        "exactly {{code, message}}: {err}"
    );
    tauri::async_runtime::block_on(f.core.shutdown(Duration::from_secs(5))).unwrap();
}

#[test]
fn a_manager_sells_through_the_commands_and_bad_input_is_refused() {
    let f = fixture();
    let state = invoke(
        &f.window,
        "create_first_manager",
        json!({"req": {"name": "Max", "pin": "2468"}}),
    )
    .expect("first manager");
    assert_eq!(state["phase"], "ready");
    assert_eq!(state["session"]["role"], "manager");

    let packages = invoke(
        &f.window,
        "search_packages",
        json!({"req": {"query": "", "licence": null, "limit": 1}}),
    )
    .expect("search");
    let label = packages[0]["label"].as_str().unwrap().to_owned();
    let sale = |quantity: &str| {
        json!({"req": {
            "licence": null,
            "lines": [{"label": label, "quantity": quantity, "price": "10.00"}],
            "customer_type": "Consumer",
            "patient_number": null,
            "caregiver_number": null
        }})
    };
    let err = invoke(&f.window, "complete_sale", sale("-1")).expect_err("negative");
    assert_eq!(err["code"], "invalid_quantity");
    let err = invoke(&f.window, "complete_sale", sale("99999")).expect_err("too much");
    assert_eq!(err["code"], "insufficient_quantity");

    let receipt = invoke(&f.window, "complete_sale", sale("1")).expect("a receipt");
    assert_eq!(receipt["sold_by"], "Max");
    assert_eq!(receipt["total"], "10.00");
    assert!(receipt["entry_id"].is_number());

    tauri::async_runtime::block_on(f.core.shutdown(Duration::from_secs(5))).unwrap();
}

#[test]
fn quitting_with_records_waiting_asks_the_ui_first() {
    let f = fixture();
    invoke(
        &f.window,
        "create_first_manager",
        json!({"req": {"name": "Max", "pin": "2468"}}),
    )
    .expect("first manager");
    invoke(
        &f.window,
        "set_demo_fault",
        json!({"req": {"fault": "network_down", "on": true, "user": null}}),
    )
    .expect("network down");
    let label = invoke(
        &f.window,
        "search_packages",
        json!({"req": {"query": "", "licence": null, "limit": 1}}),
    )
    .expect("search")[0]["label"]
        .clone();
    invoke(
        &f.window,
        "complete_sale",
        json!({"req": {
            "licence": null,
            "lines": [{"label": label, "quantity": "1", "price": "3.00"}],
            "customer_type": "Consumer",
            "patient_number": null,
            "caregiver_number": null
        }}),
    )
    .expect("selling goes on offline");
    let (tx, rx) = std::sync::mpsc::channel();
    f.tauri_app.listen_any("quit_requested", move |event| {
        let _ = tx.send(event.payload().to_owned());
    });
    let quits = invoke(&f.window, "quit", json!({"force": false})).expect("quit");
    assert_eq!(quits, json!(false), "it does not quit while a record waits");
    let payload: Value = serde_json::from_str(
        &rx.recv_timeout(Duration::from_secs(5))
            .expect("quit_requested"),
    )
    .unwrap();
    assert_eq!(payload["waiting"], 1);
    tauri::async_runtime::block_on(f.core.shutdown(Duration::from_secs(5))).unwrap();
}
