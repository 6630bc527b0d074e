//! The IPC commands: one-line adapters from Tauri into `stateline_api::App` (see
//! `docs/ipc.md`). Each takes no argument or one `req`, and fails with `IpcError {code, message}`.

use stateline_api::dto::*;
use stateline_api::{App, IpcError};
use tauri::State;

/// Generates `#[tauri::command]` adapters that call the `App` method of the same name.
macro_rules! adapters {
    ($( $name:ident $(($req:ty))? -> $out:ty; )*) => {
        $(
            #[tauri::command]
            pub async fn $name(app: State<'_, App>, $(req: $req)?) -> Result<$out, IpcError> {
                app.$name($(adapters!(@arg req $req))?).await.map_err(Into::into)
            }
        )*
    };
    (@arg $req:ident $ty:ty) => { $req };
}

adapters! {
    app_state -> AppState;
    create_first_manager(CreateManagerRequest) -> AppState;
    choose_environment(EnvironmentRequest) -> AppState;
    set_vendor_key(VendorKeyRequest) -> VendorKeyStatus;
    vendor_key_status -> VendorKeyStatus;
    discover_licences(DiscoverRequest) -> Vec<DiscoveredLicence>;
    bind_licences(BindLicencesRequest) -> AppState;
    list_login_users -> Vec<LoginUser>;
    login(LoginRequest) -> AppState;
    logout -> AppState;
    lock -> AppState;
    touch -> ();
    search_packages(SearchRequest) -> Vec<PackageView>;
    customer_types(LicenceRequest) -> CustomerTypesView;
    complete_sale(SaleRequest) -> Receipt;
    limit_preview(LimitPreviewRequest) -> LimitCheckView;
    look_up_patient(PatientLookupRequest) -> PatientReadingView;
    limit_items(LicenceRequest) -> LimitItemsView;
    map_item(MapItemRequest) -> LimitItemsView;
    limit_rules -> LimitRulesView;
    set_limit_override(LimitOverrideRequest) -> LimitRulesView;
    clear_limit_override(ClearLimitOverrideRequest) -> LimitRulesView;
    list_packages(LicenceRequest) -> Vec<PackageView>;
    refresh_inventory(LicenceRequest) -> RefreshSummary;
    adjust_reasons(LicenceRequest) -> Vec<AdjustReasonView>;
    adjust_package(AdjustRequest) -> RecordedView;
    new_packages(NewPackagesRequest) -> Vec<RecordedView>;
    incoming_manifests(LicenceRequest) -> Vec<ManifestView>;
    sync_status -> SyncStatus;
    list_entries(EntryQuery) -> Vec<EntryView>;
    entry_history(EntryIdRequest) -> EntryHistoryView;
    sync_now -> ();
    retry_entry(EntryIdRequest) -> EntryView;
    edit_and_resend(EditRejectedRequest) -> EntryView;
    void_entry(VoidRequest) -> EntryView;
    backlog_series(BacklogRequest) -> Vec<BacklogPoint>;
    list_users -> Vec<UserView>;
    add_user(AddUserRequest) -> UserView;
    reset_pin(ResetPinRequest) -> UserView;
    get_settings -> SettingsView;
    update_settings(SettingsUpdate) -> SettingsView;
    list_audit(AuditQueryRequest) -> Vec<AuditEntryView>;
    verify_audit -> AuditVerificationView;
    export_outage_csv(OutageRequest) -> OutageCsvView;
    outage_report_page(OutageRequest) -> OutagePageView;
    reconcile_day(ReconcileRequest) -> ReconciliationView;
    reconciliation_overview(LicenceRequest) -> ReconciliationOverview;
    reconciliation_run(RunIdRequest) -> ReconciliationView;
    resolve_difference(ResolveDifferenceRequest) -> DifferenceView;
    state_deadlines -> Vec<StateDeadlineView>;
    set_state_deadline(StateDeadlineRequest) -> StateDeadlineView;
    backup_overview -> BackupOverview;
    set_backup_settings(BackupSettingsView) -> BackupOverview;
    backup_now -> BackupView;
    key_overview -> Vec<KeyInfoView>;
    set_key(SetKeyRequest) -> KeySavedView;
    validate_key(KeyOwnerRequest) -> KeyValidationView;
    clear_key(KeyOwnerRequest) -> ();
    set_key_mode(KeyModeRequest) -> AppState;
    send_under_facility_key(FacilityOverrideRequest) -> u64;
    store_link -> StoreLinkView;
    key_whereabouts -> Vec<KeyWhereaboutsView>;
    store_overview -> StoreOverviewView;
    store_join(StoreJoinRequest) -> StoreOverviewView;
    store_leave(StoreLeaveRequest) -> StoreOverviewView;
    store_registers -> StoreRegistersView;
    list_store_entries(StoreEntryQuery) -> StoreEntriesView;
    store_deadlines -> StoreDeadlinesView;
    list_store_audit(StoreAuditRequest) -> StoreAuditView;
    verify_store_audits -> StoreAuditChainsView;
    api_settings -> ApiSettingsView;
    set_api_settings(ApiSettings) -> ApiSettingsView;
    list_integrations -> Vec<IntegrationView>;
    create_integration(CreateIntegrationRequest) -> CreatedIntegrationView;
    revoke_integration(IntegrationIdRequest) -> IntegrationView;
    map_integration_clerk(MapClerkRequest) -> ();
    integration_calls(IntegrationCallsRequest) -> Vec<IntegrationCallView>;
    demo_faults -> Vec<DemoFaultView>;
    set_demo_fault(DemoFaultRequest) -> Vec<DemoFaultView>;
}
