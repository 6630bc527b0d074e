//! Oracle of the `ipc_requests` target: the JSON the desktop shell hands each IPC command
//! (`src-tauri/src/commands.rs`), deserialised into the command's request type and given to the
//! command's handler on a real app in demo mode.
//!
//! Input: a first line naming a command (see [`COMMANDS`]), then the request's JSON; a first line
//! that names none picks a command from its bytes. Checks: deserialising the JSON into every
//! request type never panics; the chosen command's handler, given what deserialised, answers
//! within a bound and either succeeds or refuses with a coded `ApiError` — never `internal`, the
//! code of a bug. Handlers that leave demo mode, change who is logged in or reach beyond the
//! machine (the store server, another environment, the emulator's faults, the local API's
//! listeners) are deserialised only.
//! The app (its data folder, the embedded emulator, Max logged in) lives as long as the thread;
//! a handler that logged Max out or locked the register is followed by a fresh login, and an app
//! is made afresh when Max cannot log in again or after [`FRESH_AFTER`] inputs.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use serde::de::DeserializeOwned;
use stateline_api::dto::*;
use stateline_api::{ApiError, App};

/// The most a handler may take on loopback before it counts as hanging.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

struct Fixture {
    app: App,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    inputs: u32,
}

/// Inputs an app takes before it is made afresh (its records and audit log only grow).
const FRESH_AFTER: u32 = 20_000;

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = runtime.block_on(async {
        let app = crate::app::open(dir.path()).await;
        crate::app::login(&app, "Max", "2468").await;
        app
    });
    Fixture {
        runtime,
        app,
        _dir: dir,
        inputs: 0,
    }
}

/// Every command that takes a request, with its request type and whether its handler is called.
macro_rules! commands {
    ($( $name:ident($req:ty) $call:ident; )*) => {
        /// The commands that take a request, by name.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        fn deserialise_all(json: &[u8]) {
            $( let _ = serde_json::from_slice::<$req>(json); )*
        }

        async fn handle(app: &App, command: &str, json: &[u8]) -> Option<Result<(), ApiError>> {
            match command {
                $( stringify!($name) => commands!(@$call app, $name, $req, json), )*
                _ => None,
            }
        }
    };
    (@call $app:ident, $name:ident, $req:ty, $json:ident) => {{
        let req = serde_json::from_slice::<$req>($json).ok()?;
        Some($app.$name(req).await.map(drop))
    }};
    (@parse $app:ident, $name:ident, $req:ty, $json:ident) => {{
        let _ = $app;
        None
    }};
}

commands! {
    create_first_manager(CreateManagerRequest) parse;
    choose_environment(EnvironmentRequest) parse;
    set_vendor_key(VendorKeyRequest) parse;
    discover_licences(DiscoverRequest) parse;
    bind_licences(BindLicencesRequest) parse;
    login(LoginRequest) parse;
    search_packages(SearchRequest) call;
    customer_types(LicenceRequest) call;
    complete_sale(SaleRequest) call;
    limit_preview(LimitPreviewRequest) call;
    look_up_patient(PatientLookupRequest) call;
    limit_items(LicenceRequest) call;
    map_item(MapItemRequest) call;
    set_limit_override(LimitOverrideRequest) call;
    clear_limit_override(ClearLimitOverrideRequest) call;
    list_packages(LicenceRequest) call;
    refresh_inventory(LicenceRequest) call;
    adjust_reasons(LicenceRequest) call;
    adjust_package(AdjustRequest) call;
    new_packages(NewPackagesRequest) call;
    incoming_manifests(LicenceRequest) call;
    list_entries(EntryQuery) call;
    entry_history(EntryIdRequest) call;
    retry_entry(EntryIdRequest) call;
    edit_and_resend(EditRejectedRequest) call;
    void_entry(VoidRequest) call;
    backlog_series(BacklogRequest) call;
    add_user(AddUserRequest) call;
    reset_pin(ResetPinRequest) call;
    update_settings(SettingsUpdate) call;
    list_audit(AuditQueryRequest) call;
    export_outage_csv(OutageRequest) call;
    outage_report_page(OutageRequest) call;
    reconcile_day(ReconcileRequest) call;
    reconciliation_overview(LicenceRequest) call;
    reconciliation_run(RunIdRequest) call;
    resolve_difference(ResolveDifferenceRequest) call;
    set_state_deadline(StateDeadlineRequest) call;
    set_backup_settings(BackupSettingsView) call;
    set_key(SetKeyRequest) call;
    validate_key(KeyOwnerRequest) call;
    clear_key(KeyOwnerRequest) call;
    set_key_mode(KeyModeRequest) parse;
    send_under_facility_key(FacilityOverrideRequest) call;
    store_join(StoreJoinRequest) parse;
    store_leave(StoreLeaveRequest) parse;
    list_store_entries(StoreEntryQuery) call;
    list_store_audit(StoreAuditRequest) call;
    set_demo_fault(DemoFaultRequest) parse;
    set_api_settings(ApiSettings) parse;
    create_integration(CreateIntegrationRequest) call;
    revoke_integration(IntegrationIdRequest) call;
    map_integration_clerk(MapClerkRequest) call;
    integration_calls(IntegrationCallsRequest) call;
}

fn split(data: &[u8]) -> (&'static str, &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let name = String::from_utf8_lossy(head);
    let named = COMMANDS.iter().find(|c| **c == name.trim()).copied();
    let sum = head
        .iter()
        .fold(0usize, |a, &b| a.wrapping_mul(31).wrapping_add(b.into()));
    (named.unwrap_or(COMMANDS[sum % COMMANDS.len()]), body)
}

/// Deserialises `json` as `T` (the shell's first step) without panicking; exposed for the
/// property tests of single types.
pub fn deserialises<T: DeserializeOwned>(json: &[u8]) -> bool {
    serde_json::from_slice::<T>(json).is_ok()
}

async fn bounded<F: Future<Output = Option<Result<(), ApiError>>>>(
    command: &str,
    f: F,
) -> Option<Result<(), ApiError>> {
    match tokio::time::timeout(ANSWER_WITHIN, f).await {
        Ok(r) => r,
        Err(_) => panic!("`{command}` did not answer within {ANSWER_WITHIN:?}"),
    }
}

/// What the chosen command's handler made of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The JSON is not the command's request, or the command is only deserialised.
    NotHandled,
    /// The handler succeeded.
    Handled,
    /// The handler refused, with this code.
    Refused(&'static str),
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    outcome(data);
}

/// [`check`], saying what the handler did.
pub fn outcome(data: &[u8]) -> Outcome {
    let (command, json) = split(data);
    deserialise_all(json);
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let f = slot.get_or_insert_with(fixture);
        f.inputs += 1;
        let spent = f.inputs >= FRESH_AFTER;
        let app = &f.app;
        let (outcome, logged_in) = f.runtime.block_on(async {
            let outcome = match bounded(command, handle(app, command, json)).await {
                None => Outcome::NotHandled,
                Some(Ok(())) => Outcome::Handled,
                Some(Err(e)) => {
                    let code = e.code();
                    assert!(
                        !code.is_empty() && code != "internal",
                        "`{command}` refused without a proper code: {e:?}"
                    );
                    Outcome::Refused(code)
                }
            };
            let state = app.app_state().await.expect("app state");
            let logged_in = state.phase == Phase::Ready
                || app
                    .login(LoginRequest {
                        name: "Max".into(),
                        pin: "2468".into(),
                    })
                    .await
                    .is_ok();
            (outcome, logged_in)
        });
        if spent || !logged_in {
            // Max's PIN was changed, he was locked out or the app is spent: the next input gets
            // a fresh one.
            if let Some(Fixture { runtime, app, .. }) = slot.take() {
                let entered = runtime.enter();
                drop(app);
                drop(entered);
            }
        }
        outcome
    })
}
