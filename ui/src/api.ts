/**
 * The shape of the backend as the screens see it: one method per command of `docs/ipc.md` (same
 * name in camelCase, same single `req` argument, same result) and a typed subscription per event.
 * All data types are the ones generated from Rust into `./bindings` (re-exported here, never
 * redeclared). `backend.ts` implements this over Tauri; `testing/fakeBackend.ts` implements it in
 * memory for tests; screens get one through `BackendProvider` and never know which.
 *
 * Errors: every method rejects only with an {@link AppError} (`{code, message}`); screens branch on
 * `code` and show `message`.
 */
import type { AddUserRequest } from "./bindings/AddUserRequest";
import type { AdjustReasonView } from "./bindings/AdjustReasonView";
import type { AdjustRequest } from "./bindings/AdjustRequest";
import type { AppState } from "./bindings/AppState";
import type { AreaOutcome } from "./bindings/AreaOutcome";
import type { AreaView } from "./bindings/AreaView";
import type { AttemptView } from "./bindings/AttemptView";
import type { AuditAppended } from "./bindings/AuditAppended";
import type { AuditEntryView } from "./bindings/AuditEntryView";
import type { AuditQueryRequest } from "./bindings/AuditQueryRequest";
import type { BacklogPoint } from "./bindings/BacklogPoint";
import type { BacklogRequest } from "./bindings/BacklogRequest";
import type { BindLicencesRequest } from "./bindings/BindLicencesRequest";
import type { CartLine } from "./bindings/CartLine";
import type { CreateManagerRequest } from "./bindings/CreateManagerRequest";
import type { Ask } from "./bindings/Ask";
import type { CustomerTypeAsks } from "./bindings/CustomerTypeAsks";
import type { CustomerTypesView } from "./bindings/CustomerTypesView";
import type { DemoFault } from "./bindings/DemoFault";
import type { DemoFaultRequest } from "./bindings/DemoFaultRequest";
import type { DemoFaultView } from "./bindings/DemoFaultView";
import type { DiscoverRequest } from "./bindings/DiscoverRequest";
import type { DiscoveredLicence } from "./bindings/DiscoveredLicence";
import type { DrainProgress } from "./bindings/DrainProgress";
import type { EditRejectedRequest } from "./bindings/EditRejectedRequest";
import type { EntryHistoryView } from "./bindings/EntryHistoryView";
import type { EntryIdRequest } from "./bindings/EntryIdRequest";
import type { EntryKind } from "./bindings/EntryKind";
import type { EntryQuery } from "./bindings/EntryQuery";
import type { EntryState } from "./bindings/EntryState";
import type { EntryView } from "./bindings/EntryView";
import type { Environment } from "./bindings/Environment";
import type { EnvironmentRequest } from "./bindings/EnvironmentRequest";
import type { FacilityOverrideRequest } from "./bindings/FacilityOverrideRequest";
import type { Health } from "./bindings/Health";
import type { IngredientRequest } from "./bindings/IngredientRequest";
import type { InventoryChanged } from "./bindings/InventoryChanged";
import type { IpcError } from "./bindings/IpcError";
import type { KeyInfoView } from "./bindings/KeyInfoView";
import type { KeyMode } from "./bindings/KeyMode";
import type { KeyModeRequest } from "./bindings/KeyModeRequest";
import type { KeyOwnerRef } from "./bindings/KeyOwnerRef";
import type { KeyOwnerRequest } from "./bindings/KeyOwnerRequest";
import type { KeySavedView } from "./bindings/KeySavedView";
import type { KeyValidationView } from "./bindings/KeyValidationView";
import type { KeysChanged } from "./bindings/KeysChanged";
import type { LicenceBinding } from "./bindings/LicenceBinding";
import type { LicenceMatrixView } from "./bindings/LicenceMatrixView";
import type { LicenceRequest } from "./bindings/LicenceRequest";
import type { LicenceSync } from "./bindings/LicenceSync";
import type { LicenceUpdate } from "./bindings/LicenceUpdate";
import type { LicenceView } from "./bindings/LicenceView";
import type { LoginRequest } from "./bindings/LoginRequest";
import type { LoginUser } from "./bindings/LoginUser";
import type { ManifestPackage } from "./bindings/ManifestPackage";
import type { ManifestView } from "./bindings/ManifestView";
import type { NewPackageRequest } from "./bindings/NewPackageRequest";
import type { NewPackagesRequest } from "./bindings/NewPackagesRequest";
import type { PackageView } from "./bindings/PackageView";
import type { Permission } from "./bindings/Permission";
import type { Phase } from "./bindings/Phase";
import type { QuitRequested } from "./bindings/QuitRequested";
import type { Receipt } from "./bindings/Receipt";
import type { ReceiptLine } from "./bindings/ReceiptLine";
import type { RecordContent } from "./bindings/RecordContent";
import type { RecordedView } from "./bindings/RecordedView";
import type { RecordsChanged } from "./bindings/RecordsChanged";
import type { RefreshSummary } from "./bindings/RefreshSummary";
import type { RejectedEditView } from "./bindings/RejectedEditView";
import type { ResetPinRequest } from "./bindings/ResetPinRequest";
import type { Role } from "./bindings/Role";
import type { SaleRequest } from "./bindings/SaleRequest";
import type { SearchRequest } from "./bindings/SearchRequest";
import type { SessionView } from "./bindings/SessionView";
import type { SetKeyRequest } from "./bindings/SetKeyRequest";
import type { SettingsUpdate } from "./bindings/SettingsUpdate";
import type { SettingsView } from "./bindings/SettingsView";
import type { SetupProgress } from "./bindings/SetupProgress";
import type { StateCounts } from "./bindings/StateCounts";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TransitionView } from "./bindings/TransitionView";
import type { UserSync } from "./bindings/UserSync";
import type { UserView } from "./bindings/UserView";
import type { VendorKeyRequest } from "./bindings/VendorKeyRequest";
import type { VendorKeyStatus } from "./bindings/VendorKeyStatus";
import type { VerdictView } from "./bindings/VerdictView";
import type { VoidRequest } from "./bindings/VoidRequest";
import type { AuditVerificationView } from "./bindings/AuditVerificationView";
import type { BackupOverview } from "./bindings/BackupOverview";
import type { BackupSettingsView } from "./bindings/BackupSettingsView";
import type { BackupView } from "./bindings/BackupView";
import type { DailyReconciliationView } from "./bindings/DailyReconciliationView";
import type { DifferenceKind } from "./bindings/DifferenceKind";
import type { DifferenceView } from "./bindings/DifferenceView";
import type { FixCode } from "./bindings/FixCode";
import type { OutageCsvView } from "./bindings/OutageCsvView";
import type { OutagePageView } from "./bindings/OutagePageView";
import type { OutageRequest } from "./bindings/OutageRequest";
import type { ReconcileRequest } from "./bindings/ReconcileRequest";
import type { ReconciliationOverview } from "./bindings/ReconciliationOverview";
import type { ReconciliationRunView } from "./bindings/ReconciliationRunView";
import type { ReconciliationView } from "./bindings/ReconciliationView";
import type { ResolveDifferenceRequest } from "./bindings/ResolveDifferenceRequest";
import type { RunIdRequest } from "./bindings/RunIdRequest";
import type { StateDeadlineRequest } from "./bindings/StateDeadlineRequest";
import type { StateDeadlineView } from "./bindings/StateDeadlineView";
import type { StoreBacklogView } from "./bindings/StoreBacklogView";
import type { KeyWhereaboutsView } from "./bindings/KeyWhereaboutsView";
import type { StoreJoinRequest } from "./bindings/StoreJoinRequest";
import type { StoreKeyView } from "./bindings/StoreKeyView";
import type { StoreLeaveRequest } from "./bindings/StoreLeaveRequest";
import type { StoreLinkView } from "./bindings/StoreLinkView";
import type { StoreMembershipView } from "./bindings/StoreMembershipView";
import type { StoreOverviewView } from "./bindings/StoreOverviewView";
import type { StoreRegisterView } from "./bindings/StoreRegisterView";
import type { StoreServerView } from "./bindings/StoreServerView";
import type { KnownRegisterView } from "./bindings/KnownRegisterView";
import type { RegisterChainView } from "./bindings/RegisterChainView";
import type { RegisterDeadlinesView } from "./bindings/RegisterDeadlinesView";
import type { StoreAuditChainsView } from "./bindings/StoreAuditChainsView";
import type { StoreAuditRequest } from "./bindings/StoreAuditRequest";
import type { StoreAuditView } from "./bindings/StoreAuditView";
import type { ApiSettings } from "./bindings/ApiSettings";
import type { ApiSettingsView } from "./bindings/ApiSettingsView";
import type { CreateIntegrationRequest } from "./bindings/CreateIntegrationRequest";
import type { CreatedIntegrationView } from "./bindings/CreatedIntegrationView";
import type { IntegrationCallView } from "./bindings/IntegrationCallView";
import type { IntegrationCallsRequest } from "./bindings/IntegrationCallsRequest";
import type { IntegrationIdRequest } from "./bindings/IntegrationIdRequest";
import type { IntegrationScope } from "./bindings/IntegrationScope";
import type { IntegrationView } from "./bindings/IntegrationView";
import type { MapClerkRequest } from "./bindings/MapClerkRequest";
import type { StoreDeadlineView } from "./bindings/StoreDeadlineView";
import type { StoreDeadlinesView } from "./bindings/StoreDeadlinesView";
import type { StoreEntriesView } from "./bindings/StoreEntriesView";
import type { StoreEntryQuery } from "./bindings/StoreEntryQuery";
import type { StoreEntryView } from "./bindings/StoreEntryView";
import type { StoreRegistersView } from "./bindings/StoreRegistersView";
import type { StoreScope } from "./bindings/StoreScope";
import type { ApprovalRequest } from "./bindings/ApprovalRequest";
import type { CategoryAmount } from "./bindings/CategoryAmount";
import type { CategoryAmountInput } from "./bindings/CategoryAmountInput";
import type { ClearLimitOverrideRequest } from "./bindings/ClearLimitOverrideRequest";
import type { HistoryScopeKind } from "./bindings/HistoryScopeKind";
import type { ItemMapView } from "./bindings/ItemMapView";
import type { LimitBasis } from "./bindings/LimitBasis";
import type { LimitBlockView } from "./bindings/LimitBlockView";
import type { LimitCategoryView } from "./bindings/LimitCategoryView";
import type { LimitCheckView } from "./bindings/LimitCheckView";
import type { LimitItemsView } from "./bindings/LimitItemsView";
import type { LimitOverrideRequest } from "./bindings/LimitOverrideRequest";
import type { LimitOverrideView } from "./bindings/LimitOverrideView";
import type { LimitPreviewRequest } from "./bindings/LimitPreviewRequest";
import type { LimitRuleView } from "./bindings/LimitRuleView";
import type { LimitRulesView } from "./bindings/LimitRulesView";
import type { LimitTotalView } from "./bindings/LimitTotalView";
import type { MapItemRequest } from "./bindings/MapItemRequest";
import type { OverLimitView } from "./bindings/OverLimitView";
import type { PatientLookupRequest } from "./bindings/PatientLookupRequest";
import type { PatientReadingView } from "./bindings/PatientReadingView";
import type { RegistrationView } from "./bindings/RegistrationView";
import type { UnmappedItemView } from "./bindings/UnmappedItemView";

export type {
  AddUserRequest,
  AdjustReasonView,
  AdjustRequest,
  AppState,
  AreaOutcome,
  AreaView,
  Ask,
  AttemptView,
  AuditAppended,
  AuditEntryView,
  AuditQueryRequest,
  BacklogPoint,
  BacklogRequest,
  BindLicencesRequest,
  CartLine,
  CreateManagerRequest,
  CustomerTypeAsks,
  CustomerTypesView,
  DemoFault,
  DemoFaultRequest,
  DemoFaultView,
  DiscoverRequest,
  DiscoveredLicence,
  DrainProgress,
  EditRejectedRequest,
  EntryHistoryView,
  EntryIdRequest,
  EntryKind,
  EntryQuery,
  EntryState,
  EntryView,
  Environment,
  EnvironmentRequest,
  FacilityOverrideRequest,
  Health,
  IngredientRequest,
  InventoryChanged,
  IpcError,
  KeyInfoView,
  KeyMode,
  KeyModeRequest,
  KeyOwnerRef,
  KeyOwnerRequest,
  KeySavedView,
  KeyValidationView,
  KeysChanged,
  LicenceBinding,
  LicenceMatrixView,
  LicenceRequest,
  LicenceSync,
  LicenceUpdate,
  LicenceView,
  LoginRequest,
  LoginUser,
  ManifestPackage,
  ManifestView,
  NewPackageRequest,
  NewPackagesRequest,
  PackageView,
  Permission,
  Phase,
  QuitRequested,
  Receipt,
  ReceiptLine,
  RecordContent,
  RecordedView,
  RecordsChanged,
  RefreshSummary,
  RejectedEditView,
  ResetPinRequest,
  Role,
  SaleRequest,
  SearchRequest,
  SessionView,
  SetKeyRequest,
  SettingsUpdate,
  SettingsView,
  SetupProgress,
  StateCounts,
  SyncStatus,
  TransitionView,
  UserSync,
  UserView,
  VendorKeyRequest,
  VendorKeyStatus,
  VerdictView,
  VoidRequest,
  AuditVerificationView,
  BackupOverview,
  BackupSettingsView,
  BackupView,
  DailyReconciliationView,
  DifferenceKind,
  DifferenceView,
  FixCode,
  OutageCsvView,
  OutagePageView,
  OutageRequest,
  ReconcileRequest,
  ReconciliationOverview,
  ReconciliationRunView,
  ReconciliationView,
  ResolveDifferenceRequest,
  RunIdRequest,
  StateDeadlineRequest,
  StateDeadlineView,
  StoreBacklogView,
  KeyWhereaboutsView,
  StoreJoinRequest,
  StoreKeyView,
  StoreLeaveRequest,
  StoreLinkView,
  StoreMembershipView,
  StoreOverviewView,
  StoreRegisterView,
  StoreServerView,
  KnownRegisterView,
  RegisterChainView,
  RegisterDeadlinesView,
  StoreAuditChainsView,
  StoreAuditRequest,
  StoreAuditView,
  StoreDeadlineView,
  StoreDeadlinesView,
  StoreEntriesView,
  StoreEntryQuery,
  StoreEntryView,
  StoreRegistersView,
  StoreScope,
  ApprovalRequest,
  CategoryAmount,
  CategoryAmountInput,
  ClearLimitOverrideRequest,
  HistoryScopeKind,
  ItemMapView,
  LimitBasis,
  LimitBlockView,
  LimitCategoryView,
  LimitCheckView,
  LimitItemsView,
  LimitOverrideRequest,
  LimitOverrideView,
  LimitPreviewRequest,
  LimitRuleView,
  LimitRulesView,
  LimitTotalView,
  MapItemRequest,
  OverLimitView,
  PatientLookupRequest,
  PatientReadingView,
  RegistrationView,
  UnmappedItemView,
  ApiSettings,
  ApiSettingsView,
  CreateIntegrationRequest,
  CreatedIntegrationView,
  IntegrationCallView,
  IntegrationCallsRequest,
  IntegrationIdRequest,
  IntegrationScope,
  IntegrationView,
  MapClerkRequest,
};

/** An error as the backend reports it: a stable snake_case code and a message for people. */
export type AppError = IpcError;

/** Events the backend pushes, by their Tauri event name; screens refetch on them, never poll. */
export interface BackendEvents {
  status_changed: SyncStatus;
  records_changed: RecordsChanged;
  inventory_changed: InventoryChanged;
  session_changed: AppState;
  keys_changed: KeysChanged;
  audit_appended: AuditAppended;
  store_changed: StoreLinkView;
  quit_requested: QuitRequested;
}

export type EventName = keyof BackendEvents;
export type Unsubscribe = () => void;

export interface Backend {
  /** Subscribes to an event; the returned function unsubscribes (safe to call more than once). */
  on<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe;

  appState(): Promise<AppState>;
  createFirstManager(req: CreateManagerRequest): Promise<AppState>;
  chooseEnvironment(req: EnvironmentRequest): Promise<AppState>;
  setVendorKey(req: VendorKeyRequest): Promise<VendorKeyStatus>;
  vendorKeyStatus(): Promise<VendorKeyStatus>;
  discoverLicences(req: DiscoverRequest): Promise<DiscoveredLicence[]>;
  bindLicences(req: BindLicencesRequest): Promise<AppState>;
  listLoginUsers(): Promise<LoginUser[]>;
  login(req: LoginRequest): Promise<AppState>;
  logout(): Promise<AppState>;
  lock(): Promise<AppState>;
  touch(): Promise<void>;

  searchPackages(req: SearchRequest): Promise<PackageView[]>;
  customerTypes(req: LicenceRequest): Promise<CustomerTypesView>;
  completeSale(req: SaleRequest): Promise<Receipt>;

  listPackages(req: LicenceRequest): Promise<PackageView[]>;
  refreshInventory(req: LicenceRequest): Promise<RefreshSummary>;
  adjustReasons(req: LicenceRequest): Promise<AdjustReasonView[]>;
  adjustPackage(req: AdjustRequest): Promise<RecordedView>;
  newPackages(req: NewPackagesRequest): Promise<RecordedView[]>;
  incomingManifests(req: LicenceRequest): Promise<ManifestView[]>;

  syncStatus(): Promise<SyncStatus>;
  listEntries(req: EntryQuery): Promise<EntryView[]>;
  entryHistory(req: EntryIdRequest): Promise<EntryHistoryView>;
  syncNow(): Promise<void>;
  retryEntry(req: EntryIdRequest): Promise<EntryView>;
  editAndResend(req: EditRejectedRequest): Promise<EntryView>;
  voidEntry(req: VoidRequest): Promise<EntryView>;
  backlogSeries(req: BacklogRequest): Promise<BacklogPoint[]>;

  listUsers(): Promise<UserView[]>;
  addUser(req: AddUserRequest): Promise<UserView>;
  resetPin(req: ResetPinRequest): Promise<UserView>;
  getSettings(): Promise<SettingsView>;
  updateSettings(req: SettingsUpdate): Promise<SettingsView>;
  listAudit(req: AuditQueryRequest): Promise<AuditEntryView[]>;

  verifyAudit(): Promise<AuditVerificationView>;
  exportOutageCsv(req: OutageRequest): Promise<OutageCsvView>;
  outageReportPage(req: OutageRequest): Promise<OutagePageView>;
  reconcileDay(req: ReconcileRequest): Promise<ReconciliationView>;
  reconciliationOverview(req: LicenceRequest): Promise<ReconciliationOverview>;
  reconciliationRun(req: RunIdRequest): Promise<ReconciliationView>;
  resolveDifference(req: ResolveDifferenceRequest): Promise<DifferenceView>;
  stateDeadlines(): Promise<StateDeadlineView[]>;
  setStateDeadline(req: StateDeadlineRequest): Promise<StateDeadlineView>;
  backupOverview(): Promise<BackupOverview>;
  setBackupSettings(req: BackupSettingsView): Promise<BackupOverview>;
  backupNow(): Promise<BackupView>;

  keyOverview(): Promise<KeyInfoView[]>;
  setKey(req: SetKeyRequest): Promise<KeySavedView>;
  validateKey(req: KeyOwnerRequest): Promise<KeyValidationView>;
  clearKey(req: KeyOwnerRequest): Promise<void>;
  setKeyMode(req: KeyModeRequest): Promise<AppState>;
  sendUnderFacilityKey(req: FacilityOverrideRequest): Promise<number>;

  storeLink(): Promise<StoreLinkView>;
  keyWhereabouts(): Promise<KeyWhereaboutsView[]>;
  storeOverview(): Promise<StoreOverviewView>;
  storeJoin(req: StoreJoinRequest): Promise<StoreOverviewView>;
  storeLeave(req: StoreLeaveRequest): Promise<StoreOverviewView>;
  storeRegisters(): Promise<StoreRegistersView>;
  listStoreEntries(req: StoreEntryQuery): Promise<StoreEntriesView>;
  storeDeadlines(): Promise<StoreDeadlinesView>;
  listStoreAudit(req: StoreAuditRequest): Promise<StoreAuditView>;
  verifyStoreAudits(): Promise<StoreAuditChainsView>;

  limitPreview(req: LimitPreviewRequest): Promise<LimitCheckView>;
  lookUpPatient(req: PatientLookupRequest): Promise<PatientReadingView>;
  limitItems(req: LicenceRequest): Promise<LimitItemsView>;
  mapItem(req: MapItemRequest): Promise<LimitItemsView>;
  limitRules(): Promise<LimitRulesView>;
  setLimitOverride(req: LimitOverrideRequest): Promise<LimitRulesView>;
  clearLimitOverride(req: ClearLimitOverrideRequest): Promise<LimitRulesView>;

  apiSettings(): Promise<ApiSettingsView>;
  setApiSettings(req: ApiSettings): Promise<ApiSettingsView>;
  listIntegrations(): Promise<IntegrationView[]>;
  /** The token in the answer is shown once: no command returns it again. */
  createIntegration(req: CreateIntegrationRequest): Promise<CreatedIntegrationView>;
  revokeIntegration(req: IntegrationIdRequest): Promise<IntegrationView>;
  mapIntegrationClerk(req: MapClerkRequest): Promise<void>;
  integrationCalls(req: IntegrationCallsRequest): Promise<IntegrationCallView[]>;

  demoFaults(): Promise<DemoFaultView[]>;
  setDemoFault(req: DemoFaultRequest): Promise<DemoFaultView[]>;

  /** Resolves to whether the app quits (false: records wait and `quit_requested` was emitted). */
  quit(force: boolean): Promise<boolean>;
}

/** True when `value` already has the `{code, message}` shape. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

const UNKNOWN_FAILURE = "Something went wrong. Try again; if it keeps happening, restart Stateline.";

/**
 * Turns anything a command threw into an {@link AppError}: the backend's own `{code, message}`
 * passes through (extra fields dropped); a JSON string of one is parsed; a bare string or an
 * `Error` becomes `internal` with its text as the message; anything else `internal` with a
 * generic message.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return { code: error.code, message: error.message };
  if (typeof error === "string") {
    try {
      const parsed: unknown = JSON.parse(error);
      if (isAppError(parsed)) return { code: parsed.code, message: parsed.message };
    } catch {
      return { code: "internal", message: error === "" ? UNKNOWN_FAILURE : error };
    }
    return { code: "internal", message: error === "" ? UNKNOWN_FAILURE : error };
  }
  if (error instanceof Error) return { code: "internal", message: error.message || UNKNOWN_FAILURE };
  return { code: "internal", message: UNKNOWN_FAILURE };
}
