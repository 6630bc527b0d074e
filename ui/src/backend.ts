/**
 * The one door between the UI and the Rust side: the only module that imports `@tauri-apps/*`
 * (a test enforces it). It implements {@link Backend} with one `invoke` per command of
 * `docs/ipc.md` (each taking its single `req`) and one `listen` per event, and normalises every
 * failure to `{code, message}` so screens branch on `code`, never on English text.
 */
import { getVersion } from "@tauri-apps/api/app";
import { invoke, isTauri } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { toAppError } from "./api";
import type { Backend, BackendEvents, EventName, Unsubscribe } from "./api";

/** True when the page runs inside the Stateline window, false in a plain browser or a test. */
export function inDesktopApp(): boolean {
  return isTauri();
}

/** The app's version from the Rust side, or `null` outside the desktop app. */
export async function appVersion(): Promise<string | null> {
  return inDesktopApp() ? getVersion() : null;
}

/** The function that actually crosses into Rust; replaceable so the wrapper can be tested. */
export type Invoker = (command: string, args?: Record<string, unknown>) => Promise<unknown>;
/** Subscribes to a Tauri event; resolves to the function that unsubscribes. */
export type Listener = (event: string, handler: (payload: unknown) => void) => Promise<() => void>;

const tauriInvoke: Invoker = (command, args) => invoke(command, args);
const tauriListen: Listener = (event, handler) => listen(event, (e) => handler(e.payload));

/**
 * Builds the backend over an invoker and a listener (Tauri's by default). Every command rejects
 * only with `{code, message}`.
 */
export function createBackend(call: Invoker = tauriInvoke, subscribe: Listener = tauriListen): Backend {
  async function run<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return (await call(command, args)) as T;
    } catch (error) {
      throw toAppError(error);
    }
  }
  const req = <T>(command: string) => (request: unknown) => run<T>(command, { req: request });
  const none = <T>(command: string) => () => run<T>(command);

  function on<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe {
    let stopped = false;
    let stop: (() => void) | null = null;
    subscribe(event, (payload) => {
      if (!stopped) handler(payload as BackendEvents[E]);
    }).then(
      (unlisten) => {
        if (stopped) unlisten();
        else stop = unlisten;
      },
      () => undefined,
    );
    return () => {
      if (stopped) return;
      stopped = true;
      stop?.();
    };
  }

  return {
    on,
    appState: none("app_state"),
    createFirstManager: req("create_first_manager"),
    chooseEnvironment: req("choose_environment"),
    setVendorKey: req("set_vendor_key"),
    vendorKeyStatus: none("vendor_key_status"),
    discoverLicences: req("discover_licences"),
    bindLicences: req("bind_licences"),
    listLoginUsers: none("list_login_users"),
    login: req("login"),
    logout: none("logout"),
    lock: none("lock"),
    touch: none("touch"),
    searchPackages: req("search_packages"),
    customerTypes: req("customer_types"),
    completeSale: req("complete_sale"),
    listPackages: req("list_packages"),
    refreshInventory: req("refresh_inventory"),
    adjustReasons: req("adjust_reasons"),
    adjustPackage: req("adjust_package"),
    newPackages: req("new_packages"),
    incomingManifests: req("incoming_manifests"),
    syncStatus: none("sync_status"),
    listEntries: req("list_entries"),
    entryHistory: req("entry_history"),
    syncNow: none("sync_now"),
    retryEntry: req("retry_entry"),
    editAndResend: req("edit_and_resend"),
    voidEntry: req("void_entry"),
    backlogSeries: req("backlog_series"),
    listUsers: none("list_users"),
    addUser: req("add_user"),
    resetPin: req("reset_pin"),
    getSettings: none("get_settings"),
    updateSettings: req("update_settings"),
    listAudit: req("list_audit"),
    verifyAudit: none("verify_audit"),
    exportOutageCsv: req("export_outage_csv"),
    outageReportPage: req("outage_report_page"),
    reconcileDay: req("reconcile_day"),
    reconciliationOverview: req("reconciliation_overview"),
    reconciliationRun: req("reconciliation_run"),
    resolveDifference: req("resolve_difference"),
    stateDeadlines: none("state_deadlines"),
    setStateDeadline: req("set_state_deadline"),
    backupOverview: none("backup_overview"),
    setBackupSettings: req("set_backup_settings"),
    backupNow: none("backup_now"),
    keyOverview: none("key_overview"),
    setKey: req("set_key"),
    validateKey: req("validate_key"),
    clearKey: req("clear_key"),
    setKeyMode: req("set_key_mode"),
    sendUnderFacilityKey: req("send_under_facility_key"),
    storeLink: none("store_link"),
    keyWhereabouts: none("key_whereabouts"),
    storeOverview: none("store_overview"),
    storeJoin: req("store_join"),
    storeLeave: req("store_leave"),
    storeRegisters: none("store_registers"),
    listStoreEntries: req("list_store_entries"),
    storeDeadlines: none("store_deadlines"),
    listStoreAudit: req("list_store_audit"),
    verifyStoreAudits: none("verify_store_audits"),
    limitPreview: req("limit_preview"),
    lookUpPatient: req("look_up_patient"),
    limitItems: req("limit_items"),
    mapItem: req("map_item"),
    limitRules: none("limit_rules"),
    setLimitOverride: req("set_limit_override"),
    clearLimitOverride: req("clear_limit_override"),
    apiSettings: none("api_settings"),
    setApiSettings: req("set_api_settings"),
    listIntegrations: none("list_integrations"),
    createIntegration: req("create_integration"),
    revokeIntegration: req("revoke_integration"),
    mapIntegrationClerk: req("map_integration_clerk"),
    integrationCalls: req("integration_calls"),
    demoFaults: none("demo_faults"),
    setDemoFault: req("set_demo_fault"),
    quit: (force: boolean) => run<boolean>("quit", { force }),
  };
}

/** Start at login (Tauri's autostart plugin): whether it is on, and turning it on or off. */
export interface Autostart {
  enabled(): Promise<boolean>;
  set(on: boolean): Promise<void>;
}

/**
 * The desktop app's start at login, through the autostart plugin's own commands, or `null`
 * outside the desktop app (a browser, a test). Rejects only with `{code, message}`.
 */
export function desktopAutostart(call: Invoker = tauriInvoke): Autostart | null {
  if (!inDesktopApp()) return null;
  const run = async (command: string) => {
    try {
      return await call(command);
    } catch (error) {
      throw toAppError(error);
    }
  };
  return {
    enabled: async () => (await run("plugin:autostart|is_enabled")) === true,
    set: async (on) => {
      await run(on ? "plugin:autostart|enable" : "plugin:autostart|disable");
    },
  };
}
