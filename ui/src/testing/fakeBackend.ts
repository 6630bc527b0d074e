/**
 * An in-memory backend for component tests: the same {@link Backend} interface as `backend.ts`,
 * holding users, keys, packages, sales, outbox entries, settings, audit and demo faults in plain
 * objects, and emitting the same events. It enforces what the screens rely on (PIN lockout after
 * five wrong PINs, permissions by role, over-on-hand refusal, a reason to void, keys never
 * returned) and fails with the same `{code, message}` errors as the real one.
 *
 * Tests steer it directly: `fake.status = …` then `fake.emit("status_changed", fake.status)`,
 * `fake.failNext("complete_sale", error)`, and read `fake.calls` to see what the UI asked for.
 */
import type {
  AppError,
  ApprovalRequest,
  Ask,
  CustomerTypeAsks,
  ClearLimitOverrideRequest,
  LimitOverrideRequest,
  LimitPreviewRequest,
  MapItemRequest,
  PatientLookupRequest,
  AppState,
  Backend,
  BackendEvents,
  DemoFault,
  DemoFaultView,
  EntryState,
  EntryView,
  EventName,
  KeyInfoView,
  KeyOwnerRef,
  KeyValidationView,
  LicenceView,
  PackageView,
  Permission,
  Receipt,
  Role,
  SettingsView,
  SyncStatus,
  Unsubscribe,
  UserView,
  AuditEntryView,
  AttemptView,
  TransitionView,
  RecordContent,
  BackupSettingsView,
  FixCode,
  OutageRequest,
  ReconcileRequest,
  ResolveDifferenceRequest,
  StateDeadlineRequest,
  StoreBacklogView,
  KeyWhereaboutsView,
  StoreJoinRequest,
  StoreKeyView,
  StoreLeaveRequest,
  StoreLinkView,
  StoreMembershipView,
  StoreOverviewView,
  StoreRegisterView,
  KnownRegisterView,
  RegisterChainView,
  StoreAuditRequest,
  StoreDeadlinesView,
  StoreEntryQuery,
  StoreEntryView,
  ApiSettings,
  CreateIntegrationRequest,
  IntegrationCallsRequest,
  IntegrationIdRequest,
  MapClerkRequest,
} from "../api";
import { FakeCompliance, isDay, manualRun } from "./fakeCompliance";
import { FakeIntegrations } from "./fakeIntegrations";
import { FakeLimits } from "./fakeLimits";
import { T0 } from "./testClock";

export { T0 };

const ALL_PERMISSIONS: Permission[] = [
  "sell",
  "set_own_key",
  "adjust",
  "merge_or_split",
  "void_or_correct_sale",
  "resolve_rejected",
  "set_other_keys",
  "validate_any_key",
  "choose_key_mode",
  "send_under_facility_key",
  "manage_users",
  "change_settings",
  "view_reports",
  "reconcile_with_metrc",
  "restore_backup",
  "manage_limits",
  "approve_sale_exceptions",
];

export function permissionsOf(role: Role): Permission[] {
  return role === "manager" ? [...ALL_PERMISSIONS] : ["sell", "set_own_key"];
}

interface FakeUser {
  name: string;
  role: Role;
  pin: string;
  failed: number;
  locked: boolean;
}

interface FakeKey {
  lastFour: string;
  verdict: string;
  checkedAt: string;
}

export const LICENCE = "403R-00001";

/**
 * What a sale to `customerType` asks for at `licence`, as the store's `LicenceRules::asks` says:
 * nothing of a consumer; the patient's number of a patient or caregiver, the caregiver's of a
 * caregiver, the identification method of an external patient, each required where the licence says.
 */
export function fakeAsks(licence: LicenceView, customerType: string): CustomerTypeAsks {
  const type = customerType.toLowerCase();
  const caregiver = type.includes("caregiver");
  const medical = caregiver || type.includes("patient");
  const only = (applies: boolean, required: boolean): Ask => (applies ? (required ? "required" : "optional") : "no");
  return {
    customer_type: customerType,
    patient_number: only(medical, licence.requires_patient_number),
    caregiver_number: only(caregiver, licence.requires_caregiver_number),
    identification_method: only(type.includes("external") && type.includes("patient"), licence.requires_identification_method),
  };
}

function fail(code: string, message: string): never {
  const error: AppError = { code, message };
  throw error;
}

export function emptyCounts() {
  return { pending: 0, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 0, waiting: 0 };
}

export function inStepStatus(): SyncStatus {
  return {
    at: T0,
    health: "in_step",
    licences: [],
    users: [],
    waiting: 0,
    oldest_waiting_at: null,
    deadline_at: null,
    deadline_warning: "ok",
    running: true,
    drain: null,
  };
}

export function samplePackages(): PackageView[] {
  return [
    { label: "1A4000000000000000000001", licence: LICENCE, item_name: "Blue Dream 3.5g", unit_of_measure: "Each", on_hand: "10", metrc_quantity: "10", local_only: false, last_modified: T0 },
    { label: "1A4000000000000000000002", licence: LICENCE, item_name: "Gummies 10pk", unit_of_measure: "Each", on_hand: "2", metrc_quantity: "2", local_only: false, last_modified: T0 },
    { label: "1A4000000000000000000003", licence: LICENCE, item_name: "Bulk Flower", unit_of_measure: "Grams", on_hand: "500", metrc_quantity: "500", local_only: false, last_modified: T0 },
  ];
}

/** The link of a register on its own. */
export function offLink(): StoreLinkView {
  return { joined: false, connected: false, last_success: null, unreachable_since: null, failures: 0, last_error: null, pushed_through: 0, pulled: 0 };
}

export interface FakeOptions {
  /** Start in first run (no users). */
  firstRun?: boolean;
  demo?: boolean;
}

export class FakeBackend implements Backend {
  users: FakeUser[] = [];
  keys = new Map<string, FakeKey>();
  packages: PackageView[] = samplePackages();
  entries: EntryView[] = [];
  contents = new Map<number, RecordContent>();
  transitions = new Map<number, TransitionView[]>();
  attempts = new Map<number, AttemptView[]>();
  receipts: Receipt[] = [];
  compliance = new FakeCompliance();
  limits = new FakeLimits();
  integrations = new FakeIntegrations();
  audit: AuditEntryView[] = [];
  status: SyncStatus = inStepStatus();
  session: { user: string; role: Role } | null = null;
  lastUser: string | null = null;
  keyMode: "individual" | "facility" = "individual";
  environment: "demo" | "sandbox" | "production";
  stateCode: string | null = null;
  vendorKeySet = false;
  licencesBound: boolean;
  settings: Omit<SettingsView, "environment" | "state_code" | "key_mode" | "vendor_key" | "licences"> = {
    object_limit: 10,
    idle_lock_minutes: 15,
    allow_facility_override: true,
  };
  licences: LicenceView[] = [
    {
      number: LICENCE,
      name: "Demo Dispensary",
      time_zone: "America/Denver",
      reporting_deadline_hours: 24,
      object_limit: null,
      requires_patient_number: false,
      requires_caregiver_number: false,
      requires_identification_method: false,
      sells_to_consumers: true,
    },
  ];
  faults: DemoFaultView[] = (
    [
      ["outage", "Metrc outage"],
      ["network_down", "Network down"],
      ["revoke_key", "Revoke a user's key"],
      ["rate_limit", "Rate limiting"],
      ["slow_responses", "Slow responses"],
      ["lost_responses", "Lost responses"],
    ] as [DemoFault, string][]
  ).map(([fault, label]) => ({ fault, on: false, label, description: `${label} in the demo emulator.`, users: [] }));

  /** The store server as the fake plays it: its password, whether it answers, what it shows. */
  storeServer = {
    password: "store-secret",
    reachable: true,
    registers: [] as StoreRegisterView[],
    backlog: [] as StoreBacklogView[],
    keys: [] as StoreKeyView[],
  };
  /** The store this register joined (`null`: on its own). */
  storeMembership: StoreMembershipView | null = null;
  /** This register's link, as `store_link` and `store_changed` report it. */
  storeLinkView: StoreLinkView = offLink();
  /** Records the store does not have yet. */
  storeNotPushed = 0;
  /** The registers this register knows from its copy, and when it last synced with the store. */
  knownRegisters: KnownRegisterView[] = [];
  storeAsOf: string | null = null;
  /** The other registers' records in this register's copy. */
  peerEntries: StoreEntryView[] = [];
  /** What `store_deadlines` answers (`null`: this register's own, nothing near its deadline). */
  storeDeadlinesView: StoreDeadlinesView | null = null;
  /** Each register's audit log as the store server holds it, by register id. */
  storeAudit = new Map<string, AuditEntryView[]>();
  /** Every register's chain as `verify_store_audits` reports it. */
  storeChains: RegisterChainView[] = [];

  /** Every command the UI sent, in order, with its argument. */
  calls: { command: string; req: unknown }[] = [];
  private failures = new Map<string, AppError>();
  private listeners = new Map<EventName, Set<(payload: never) => void>>();
  private nextId = 1;
  private nextSeq = 1;

  constructor(options: FakeOptions = {}) {
    this.environment = options.demo === false ? "production" : "demo";
    this.licencesBound = !options.firstRun;
    if (!options.firstRun) {
      this.users = [
        { name: "Mia", role: "manager", pin: "9999", failed: 0, locked: false },
        { name: "Bea", role: "budtender", pin: "1234", failed: 0, locked: false },
      ];
      this.keys.set("user:Mia", { lastFour: "MMMM", verdict: "all_good", checkedAt: T0 });
    }
  }

  // ---- test controls ----

  /** Makes the next call of `command` fail with `error`. */
  failNext(command: string, error: AppError): void {
    this.failures.set(command, error);
  }

  emit<E extends EventName>(event: E, payload: BackendEvents[E]): void {
    for (const handler of this.listeners.get(event) ?? []) (handler as (p: BackendEvents[E]) => void)(payload);
  }

  /** How many handlers are subscribed to `event` (to check screens unsubscribe). */
  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Logs the fake in as `name` without a PIN (for screens tested after login). */
  loginAs(name: string): AppState {
    const user = this.users.find((u) => u.name === name) ?? fail("unknown_user", `No user called ${name}.`);
    this.session = { user: user.name, role: user.role };
    this.lastUser = user.name;
    return this.state();
  }

  /** Adds an outbox entry directly (for Sync tests). */
  addEntry(state: EntryState, acting_user: string, content: RecordContent = { kind: "other", summary: "a record" }): EntryView {
    const id = this.nextId++;
    const entry: EntryView = {
      id,
      client_id: `SL-${id}`,
      kind: content.kind === "adjustment" ? "adjustment" : "sale",
      licence: LICENCE,
      acting_user,
      state,
      attempts: 0,
      next_attempt_at: T0,
      last_error: state === "rejected" ? "Package is not active." : null,
      occurred_at: T0,
      created_at: T0,
      state_changed_at: T0,
      metrc_id: null,
      void_reason: null,
      voided_by: null,
      depends_on: null,
    };
    this.entries.unshift(entry);
    this.contents.set(id, content);
    this.transitions.set(id, []);
    this.attempts.set(id, []);
    return entry;
  }

  // ---- helpers ----

  private async call<T>(command: string, req: unknown, body: () => T): Promise<T> {
    this.calls.push({ command, req });
    await Promise.resolve();
    const failure = this.failures.get(command);
    if (failure !== undefined) {
      this.failures.delete(command);
      throw failure;
    }
    return body();
  }

  private need(permission: Permission | "session"): { user: string; role: Role } {
    const session = this.session ?? fail("not_logged_in", "Log in first.");
    if (permission !== "session" && !permissionsOf(session.role).includes(permission)) {
      fail("not_allowed", "Only a manager may do that. Ask a manager.");
    }
    return session;
  }

  private ownerId(owner: KeyOwnerRef): string {
    return owner.kind === "facility" ? "facility" : `user:${owner.user}`;
  }

  private checkKeyPermission(owner: KeyOwnerRef, own: Permission, others: Permission) {
    const session = this.need("session");
    this.need(owner.kind === "user" && owner.user === session.user ? own : others);
  }

  private appendAudit(action: string, subject: string, detail: string) {
    this.audit.unshift({ seq: this.nextSeq++, at: T0, actor: this.session?.user ?? null, action, subject, detail });
    this.emit("audit_appended", { action });
  }

  private validation(owner: KeyOwnerRef): KeyValidationView {
    const key = this.keys.get(this.ownerId(owner)) ?? fail("no_key", "No key is saved for this owner. Paste one first.");
    const good = key.verdict !== "key_invalid";
    return {
      checked_at: T0,
      last_four: key.lastFour,
      licences: [
        {
          licence: LICENCE,
          name: "Demo Dispensary",
          reachable: good,
          detail: good ? null : "Metrc refused this key.",
          areas: good
            ? [
                { area: "Packages", label: "Packages", outcome: "allowed", detail: null },
                { area: "Sales", label: "Sales", outcome: key.verdict === "missing_permissions" ? "not_allowed" : "allowed", detail: null },
                { area: "Plants", label: "Plants", outcome: "not_applicable", detail: null },
              ]
            : [],
          permissions: null,
        },
      ],
      verdict: {
        code: key.verdict,
        message:
          key.verdict === "all_good"
            ? "All good: Metrc allowed every area it was asked about at every licence."
            : key.verdict === "key_invalid"
              ? "Metrc refused this key: generate a new key in Metrc and paste it"
              : "The key works but its Metrc user may not record sales. Ask the Metrc administrator.",
      },
    };
  }

  state(): AppState {
    const session = this.session;
    return {
      phase: this.users.length === 0 || !this.licencesBound ? "first_run" : session === null ? "locked" : "ready",
      environment: this.environment,
      state_code: this.stateCode,
      demo: this.environment === "demo",
      setup: {
        has_users: this.users.length > 0,
        environment_chosen: this.environment !== "demo" || this.stateCode !== null,
        vendor_key_set: this.vendorKeySet,
        licences_bound: this.licencesBound,
      },
      session:
        session === null
          ? null
          : {
              user: session.user,
              role: session.role,
              started_at: T0,
              permissions: permissionsOf(session.role),
              needs_key: this.keyMode === "individual" && (this.keys.get(`user:${session.user}`)?.verdict ?? "key_invalid") === "key_invalid",
            },
      last_user: this.lastUser,
      licences: this.licencesBound ? this.licences : [],
      key_mode: this.keyMode,
      idle_lock_minutes: this.settings.idle_lock_minutes,
    };
  }

  private userView(u: FakeUser): UserView {
    return { name: u.name, role: u.role, failed_attempts: u.failed, locked: u.locked, disabled: false, created_at: T0, pin_changed_at: T0 };
  }

  private validPin(pin: string) {
    if (!/^\d{4,8}$/.test(pin)) fail("invalid_pin", "A PIN is 4 to 8 digits.");
  }

  // ---- Backend ----

  on<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  appState = () => this.call("app_state", undefined, () => this.state());

  createFirstManager = (req: { name: string; pin: string }) =>
    this.call("create_first_manager", req, () => {
      if (this.users.length > 0) fail("already_set_up", "This register is already set up. Log in instead.");
      if (req.name.trim() === "") fail("invalid_input", "Enter a name.");
      this.validPin(req.pin);
      this.users.push({ name: req.name, role: "manager", pin: req.pin, failed: 0, locked: false });
      this.session = { user: req.name, role: "manager" };
      if (this.environment === "demo") {
        this.licencesBound = true;
        this.keys.set(`user:${req.name}`, { lastFour: "MMMM", verdict: "all_good", checkedAt: T0 });
        this.users.push({ name: "Bea", role: "budtender", pin: "1234", failed: 0, locked: false });
      }
      return this.state();
    });

  chooseEnvironment = (req: { environment: "demo" | "sandbox" | "production"; state_code: string | null }) =>
    this.call("choose_environment", req, () => {
      this.need("change_settings");
      if (req.environment !== "demo" && (req.state_code === null || !/^[A-Z]{2}$/.test(req.state_code))) {
        fail("invalid_input", "Choose the two-letter state code.");
      }
      if (req.environment !== "demo" && this.environment === "demo") {
        // Leaving demo: the demo keys and licence belong to the emulator, not to the real Metrc.
        this.keys.clear();
        this.licencesBound = false;
      }
      this.environment = req.environment;
      this.stateCode = req.state_code;
      return this.state();
    });

  setVendorKey = (req: { key: string }) =>
    this.call("set_vendor_key", req, () => {
      this.need("change_settings");
      if (req.key.trim().length < 8) fail("invalid_input", "That does not look like a vendor key. Paste the whole key.");
      this.vendorKeySet = true;
      return { set: true, source: "keychain" };
    });

  vendorKeyStatus = () => this.call("vendor_key_status", undefined, () => ({ set: this.vendorKeySet, source: this.vendorKeySet ? "keychain" : null }));

  discoverLicences = (req: { key: string | null }) =>
    this.call("discover_licences", req, () => {
      this.need("change_settings");
      return [
        { number: "402R-00042", name: "Main Street Dispensary", license_type: "Retail", can_sell: true, requires_patient_number: false, requires_caregiver_number: false, requires_identification_method: false, sells_to_consumers: true, bound: false },
        { number: "403-X0001", name: "Grow Site", license_type: "Cultivation", can_sell: false, requires_patient_number: false, requires_caregiver_number: false, requires_identification_method: false, sells_to_consumers: true, bound: false },
      ];
    });

  bindLicences = (req: { licences: AppState["licences"] }) =>
    this.call("bind_licences", req, () => {
      this.need("change_settings");
      if (req.licences.length === 0) fail("invalid_input", "Pick at least one licence.");
      this.licences = req.licences;
      this.licencesBound = true;
      return this.state();
    });

  listLoginUsers = () =>
    this.call("list_login_users", undefined, () => this.users.map((u) => ({ name: u.name, role: u.role, locked: u.locked, disabled: false })));

  login = (req: { name: string; pin: string }) =>
    this.call("login", req, () => {
      const user = this.users.find((u) => u.name === req.name) ?? fail("unknown_user", `No user called ${req.name}.`);
      if (user.locked) fail("user_locked", `${user.name} is locked after 5 wrong PINs. Ask a manager to reset the PIN.`);
      if (user.pin !== req.pin) {
        user.failed += 1;
        if (user.failed >= 5) {
          user.locked = true;
          fail("user_locked", `${user.name} is locked after 5 wrong PINs. Ask a manager to reset the PIN.`);
        }
        fail("wrong_pin", `Wrong PIN. ${5 - user.failed} tries left before the account locks.`);
      }
      user.failed = 0;
      this.session = { user: user.name, role: user.role };
      this.lastUser = user.name;
      const state = this.state();
      this.emit("session_changed", state);
      return state;
    });

  logout = () =>
    this.call("logout", undefined, () => {
      this.session = null;
      this.lastUser = null;
      return this.state();
    });

  lock = () =>
    this.call("lock", undefined, () => {
      this.session = null;
      return this.state();
    });

  touch = () => this.call("touch", undefined, () => undefined);

  searchPackages = (req: { query: string; licence: string | null; limit: number | null }) =>
    this.call("search_packages", req, () => {
      this.need("sell");
      const q = req.query.trim().toLowerCase();
      const exact = this.packages.filter((p) => p.label.toLowerCase() === q);
      const rest = this.packages.filter(
        (p) => p.label.toLowerCase() !== q && Number(p.on_hand) > 0 && (q === "" || p.label.toLowerCase().includes(q) || p.item_name.toLowerCase().includes(q)),
      );
      return [...exact, ...rest].slice(0, req.limit ?? 50);
    });

  customerTypes = (req: { licence: string | null }) =>
    this.call("customer_types", req, () => {
      this.need("sell");
      const licence = this.licences.find((l) => l.number === (req.licence ?? this.licences[0]?.number)) ?? this.licences[0]!;
      const types = ["Consumer", "Patient", "Caregiver", "ExternalPatient"].filter((t) => licence.sells_to_consumers || t !== "Consumer");
      return { licence: licence.number, types, asks: types.map((t) => fakeAsks(licence, t)) };
    });

  completeSale = (req: {
    licence: string | null;
    lines: { label: string; quantity: string; price: string }[];
    customer_type: string;
    patient_number: string | null;
    caregiver_number: string | null;
    identification_method?: string | null;
    approval?: ApprovalRequest;
  }) =>
    this.call("complete_sale", req, () => {
      const session = this.need("sell");
      if (req.lines.length === 0) fail("invalid_input", "Add at least one package to the sale.");
      this.checkCustomer(req);
      const lines = req.lines.map((l) => {
        const pkg = this.packages.find((p) => p.label === l.label) ?? fail("unknown_package", `No package ${l.label} here. Refresh the inventory.`);
        const q = Number(l.quantity);
        if (!(q > 0)) fail("invalid_quantity", `Enter a quantity above zero for ${pkg.item_name}.`);
        if (q > Number(pkg.on_hand)) {
          fail("insufficient_quantity", `Only ${pkg.on_hand} ${pkg.unit_of_measure} of ${pkg.item_name} on hand; sell less or refresh the inventory.`);
        }
        return { pkg, q, line: l };
      });
      if (req.approval !== undefined) this.checkApproval(req.approval);
      const refusal = this.limits.refusal(this.packages, req, req.approval);
      if (refusal !== null) fail(refusal.code, refusal.message);
      this.limits.record(this.packages, req);
      for (const { pkg, q } of lines) pkg.on_hand = String(Number(pkg.on_hand) - q);
      const content: RecordContent = { kind: "sale", lines: req.lines, customer_type: req.customer_type };
      const entry = this.addEntry("pending", session.user, content);
      const receipt: Receipt = {
        client_id: entry.client_id,
        entry_id: entry.id,
        licence: req.licence ?? LICENCE,
        sold_by: session.user,
        occurred_at: T0,
        customer_type: req.customer_type,
        patient_number: req.patient_number,
        caregiver_number: req.caregiver_number,
        lines: lines.map(({ pkg, line }) => ({ label: pkg.label, item_name: pkg.item_name, quantity: line.quantity, unit_of_measure: pkg.unit_of_measure, price: line.price })),
        total: req.lines.reduce((sum, l) => sum + Number(l.price), 0).toFixed(2),
        state: "pending",
      };
      this.receipts.push(receipt);
      this.emit("records_changed", { licence: receipt.licence });
      this.emit("inventory_changed", { licence: receipt.licence });
      return receipt;
    });

  /** The store's licence rules, as `record_sale` applies them (see `fakeAsks`). */
  private checkCustomer(req: { licence: string | null; customer_type: string; patient_number: string | null; caregiver_number: string | null; identification_method?: string | null }) {
    const licence = this.licences.find((l) => l.number === req.licence) ?? this.licences[0]!;
    const asks = fakeAsks(licence, req.customer_type);
    const missing = (ask: Ask, v: string | null | undefined) => ask === "required" && (v ?? "").trim() === "";
    if (asks.patient_number === "no" && !licence.sells_to_consumers) {
      fail("invalid_input", "customer type: this licence sells only to patients and caregivers; choose the patient's customer type");
    }
    if (missing(asks.patient_number, req.patient_number)) {
      fail("invalid_input", "patient number: this licence requires the patient's licence number; enter it");
    }
    if (missing(asks.caregiver_number, req.caregiver_number)) {
      fail("invalid_input", "caregiver number: this licence requires the caregiver's licence number; enter it");
    }
    if (missing(asks.identification_method, req.identification_method)) {
      fail("invalid_input", "identification method: this licence requires how an external patient was identified (for example the ID card's kind); enter it");
    }
  }

  listPackages = (req: { licence: string | null }) =>
    this.call("list_packages", req, () => {
      this.need("session");
      return [...this.packages];
    });

  refreshInventory = (req: { licence: string | null }) =>
    this.call("refresh_inventory", req, () => {
      this.need("session");
      return { licence: req.licence ?? LICENCE, packages: this.packages.length, items: 3, reasons: 2 };
    });

  adjustReasons = (req: { licence: string | null }) =>
    this.call("adjust_reasons", req, () => [
      { name: "Drying", requires_note: false },
      { name: "Theft", requires_note: true },
    ]);

  adjustPackage = (req: { label: string; quantity: string; reason: string; note: string | null }) =>
    this.call("adjust_package", req, () => {
      const session = this.need("adjust");
      if (req.reason === "Theft" && req.note === null) fail("note_required", "This reason needs a note.");
      const entry = this.addEntry("pending", session.user, { kind: "adjustment", label: req.label, quantity: req.quantity, reason: req.reason, note: req.note });
      return { entry_id: entry.id, client_id: entry.client_id };
    });

  newPackages = (req: { outputs: { tag: string; quantity: string }[] }) =>
    this.call("new_packages", req, () => {
      const session = this.need("merge_or_split");
      return req.outputs.map((o) => {
        if (this.packages.some((p) => p.label === o.tag)) fail("duplicate_tag", `Tag ${o.tag} is already used. Use an unused tag.`);
        const entry = this.addEntry("pending", session.user);
        return { entry_id: entry.id, client_id: o.tag };
      });
    });

  incomingManifests = (req: { licence: string | null }) =>
    this.call("incoming_manifests", req, () => [
      { id: 7, manifest_number: "0000007", shipper: "Grow Co", estimated_arrival: T0, received_at: null, packages: [{ label: "1A40000000000000000000NEW", item_name: "Pre-roll", quantity: "20", unit_of_measure: "Each", state: "Shipped" }] },
    ]);

  syncStatus = () => this.call("sync_status", undefined, () => this.status);

  listEntries = (req: { states: EntryState[] }) =>
    this.call("list_entries", req, () => {
      this.need("session");
      return this.entries.filter((e) => req.states.length === 0 || req.states.includes(e.state)).map((e) => ({ ...e }));
    });

  entryHistory = (req: { id: number }) =>
    this.call("entry_history", req, () => {
      const entry = this.entries.find((e) => e.id === req.id) ?? fail("unknown_entry", "That record is gone. Refresh the list.");
      return {
        entry: { ...entry },
        content: this.contents.get(entry.id) ?? { kind: "other", summary: "a record" },
        transitions: this.transitions.get(entry.id) ?? [],
        attempts: this.attempts.get(entry.id) ?? [],
      };
    });

  syncNow = () => this.call("sync_now", undefined, () => void this.need("session"));

  private transition(entry: EntryView, to: EntryState, detail: string | null) {
    this.transitions.get(entry.id)?.push({ at: T0, from: entry.state, to, detail });
    entry.state = to;
    this.emit("records_changed", { licence: entry.licence });
  }

  retryEntry = (req: { id: number }) =>
    this.call("retry_entry", req, () => {
      const entry = this.entries.find((e) => e.id === req.id) ?? fail("unknown_entry", "That record is gone. Refresh the list.");
      if (entry.state === "rejected") this.need("resolve_rejected");
      else if (entry.state === "waiting_for_key") this.need("session");
      else fail("illegal_transition", "Only refused records or records waiting for a key can be retried.");
      this.transition(entry, "pending", "retry");
      return { ...entry };
    });

  editAndResend = (req: { id: number; edit: unknown }) =>
    this.call("edit_and_resend", req, () => {
      this.need("resolve_rejected");
      const entry = this.entries.find((e) => e.id === req.id) ?? fail("unknown_entry", "That record is gone. Refresh the list.");
      if (entry.state !== "rejected") fail("illegal_transition", "Only a record Metrc refused can be edited.");
      this.transition(entry, "pending", "edited");
      return { ...entry };
    });

  voidEntry = (req: { id: number; reason: string }) =>
    this.call("void_entry", req, () => {
      const session = this.need("resolve_rejected");
      if (req.reason.trim() === "") fail("invalid_input", "Say why the record is voided.");
      const entry = this.entries.find((e) => e.id === req.id) ?? fail("unknown_entry", "That record is gone. Refresh the list.");
      if (entry.state === "confirmed" || entry.state === "voided") fail("illegal_transition", "This record can no longer be voided.");
      entry.void_reason = req.reason;
      entry.voided_by = session.user;
      this.transition(entry, "voided", req.reason);
      this.appendAudit("entry_voided", entry.client_id, req.reason);
      return { ...entry };
    });

  backlogSeries = (req: { hours: number | null }) =>
    this.call("backlog_series", req, () => [
      { at: "2026-11-23T12:00:00Z", waiting: 0 },
      { at: "2026-11-23T13:00:00Z", waiting: 5 },
      { at: T0, waiting: this.status.waiting },
    ]);

  listUsers = () =>
    this.call("list_users", undefined, () => {
      this.need("manage_users");
      return this.users.map((u) => this.userView(u));
    });

  addUser = (req: { name: string; role: Role; pin: string }) =>
    this.call("add_user", req, () => {
      this.need("manage_users");
      if (this.users.some((u) => u.name.toLowerCase() === req.name.toLowerCase())) fail("user_exists", `${req.name} already exists. Pick another name.`);
      this.validPin(req.pin);
      const user = { name: req.name, role: req.role, pin: req.pin, failed: 0, locked: false };
      this.users.push(user);
      return this.userView(user);
    });

  resetPin = (req: { name: string; pin: string }) =>
    this.call("reset_pin", req, () => {
      this.need("manage_users");
      this.validPin(req.pin);
      const user = this.users.find((u) => u.name === req.name) ?? fail("unknown_user", `No user called ${req.name}.`);
      user.pin = req.pin;
      user.failed = 0;
      user.locked = false;
      return this.userView(user);
    });

  getSettings = () =>
    this.call("get_settings", undefined, (): SettingsView => ({
      environment: this.environment,
      state_code: this.stateCode,
      key_mode: this.keyMode,
      vendor_key: { set: this.vendorKeySet, source: this.vendorKeySet ? "keychain" : null },
      licences: this.licences,
      ...this.settings,
    }));

  updateSettings = (req: { object_limit: number | null; idle_lock_minutes: number | null; allow_facility_override: boolean | null }) =>
    this.call("update_settings", req, () => {
      this.need("change_settings");
      if (req.object_limit !== null && req.object_limit < 1) fail("invalid_input", "Records per request must be at least 1.");
      this.settings = {
        object_limit: req.object_limit ?? this.settings.object_limit,
        idle_lock_minutes: req.idle_lock_minutes ?? this.settings.idle_lock_minutes,
        allow_facility_override: req.allow_facility_override ?? this.settings.allow_facility_override,
      };
      return { environment: this.environment, state_code: this.stateCode, key_mode: this.keyMode, vendor_key: { set: this.vendorKeySet, source: null }, licences: this.licences, ...this.settings };
    });

  listAudit = (req: { before_seq: number | null; action: string | null; limit: number | null }) =>
    this.call("list_audit", req, () => {
      this.need("view_reports");
      return this.audit.filter((a) => (req.action === null || a.action === req.action) && (req.before_seq === null || a.seq < req.before_seq)).slice(0, req.limit ?? 200);
    });

  // ---- compliance (data in `this.compliance`) ----

  verifyAudit = () =>
    this.call("verify_audit", undefined, () => {
      this.need("view_reports");
      return this.compliance.verification ?? { result: "intact" as const, entries: this.audit.length, head_hash: "ab".repeat(32) };
    });

  private outagePeriod(req: OutageRequest) {
    this.need("view_reports");
    if (!isDay(req.from) || !isDay(req.to)) fail("invalid_input", "Pick a first and a last day.");
    if (req.to < req.from) fail("invalid_input", `${req.to} is before ${req.from}; pick a last day on or after the first`);
  }

  exportOutageCsv = (req: OutageRequest) =>
    this.call("export_outage_csv", req, () => {
      this.outagePeriod(req);
      this.compliance.exports += 1;
      return { path: `/data/exports/outage-20261123T140000Z${this.compliance.exports > 1 ? `-${this.compliance.exports}` : ""}.csv`, rows: this.compliance.outageRows.length };
    });

  outageReportPage = (req: OutageRequest) =>
    this.call("outage_report_page", req, () => {
      this.outagePeriod(req);
      return { html: this.compliance.page(this.compliance.outageRows), rows: this.compliance.outageRows.length };
    });

  reconcileDay = (req: ReconcileRequest) =>
    this.call("reconcile_day", req, () => {
      this.need("reconcile_with_metrc");
      if (!isDay(req.day)) fail("invalid_input", `${JSON.stringify(req.day)} is not a date; pick a day like 2026-11-23`);
      const run = manualRun(this.compliance.nextRun++, req.licence ?? LICENCE, req.day, this.compliance.nextDifference++);
      this.compliance.runs.unshift(run);
      return run;
    });

  reconciliationOverview = (req: { licence: string | null }) =>
    this.call("reconciliation_overview", req, () => {
      this.need("reconcile_with_metrc");
      const licence = req.licence ?? LICENCE;
      const runs = this.compliance.runs.filter((r) => r.run.licence === licence);
      return {
        runs: runs.map((r) => r.run),
        last_daily: runs.find((r) => r.run.trigger === "daily") ?? null,
        daily_checks: this.compliance.dailyChecks.filter((c) => c.licence === licence),
      };
    });

  reconciliationRun = (req: { id: number }) =>
    this.call("reconciliation_run", req, () => {
      this.need("reconcile_with_metrc");
      return this.compliance.runs.find((r) => r.run.id === req.id) ?? fail("invalid_input", `there is no reconciliation run #${req.id}; list them first`);
    });

  resolveDifference = (req: ResolveDifferenceRequest) =>
    this.call("resolve_difference", req, () => {
      const session = this.need("reconcile_with_metrc");
      const d = this.compliance.difference(req.id) ?? fail("invalid_input", `there is no difference #${req.id}; run the reconciliation again`);
      if (d.resolution !== null) fail("invalid_input", `difference #${req.id} was already resolved (${d.resolution}) by ${d.resolved_by ?? "someone"}`);
      if (!d.fixes.includes(req.fix)) fail("invalid_input", `${req.fix} does not fit a ${d.kind} difference; the suggested fix is ${d.suggested_fix}`);
      Object.assign(d, { resolution: req.fix, resolved_by: session.user, resolved_at: T0, resolution_note: req.note });
      this.appendAudit("reconciliation_action", `reconciliation difference #${d.id}`, `${req.fix} ${d.client_id ?? ""}`);
      const queued: FixCode[] = ["resend_sale", "resend_correction"];
      if (queued.includes(req.fix)) this.emit("records_changed", { licence: LICENCE });
      return { ...d };
    });

  stateDeadlines = () =>
    this.call("state_deadlines", undefined, () => {
      this.need("session");
      return this.compliance.deadlines.map((d) => ({ ...d }));
    });

  setStateDeadline = (req: StateDeadlineRequest) =>
    this.call("set_state_deadline", req, () => {
      const session = this.need("change_settings");
      if (req.hours < 1 || req.hours > 8760) fail("invalid_input", `${req.hours} hours is out of range; enter 1 to 8760 hours`);
      const state = req.state.toUpperCase();
      const row = this.compliance.deadlines.find((d) => d.state === state) ?? fail("invalid_input", `${state} is not a state code`);
      const was = row.hours;
      Object.assign(row, { hours: req.hours, assumed: false, updated_at: T0, updated_by: session.user });
      this.appendAudit("deadline_changed", `state ${state}`, `default reporting deadline ${was} h -> ${req.hours} h`);
      return { ...row };
    });

  private backupView() {
    return {
      settings: { ...this.compliance.backupSettings },
      folder: this.compliance.folder,
      backups: this.compliance.backups.map((b) => ({ ...b })),
      due: this.compliance.backupDue,
      last_failure: this.compliance.backupFailure,
      restore_command: this.compliance.restoreCommand,
    };
  }

  backupOverview = () =>
    this.call("backup_overview", undefined, () => {
      this.need("change_settings");
      return this.backupView();
    });

  setBackupSettings = (req: BackupSettingsView) =>
    this.call("set_backup_settings", req, () => {
      this.need("change_settings");
      if (!/^\d{2}:\d{2}$/.test(req.daily_at)) fail("invalid_input", `${JSON.stringify(req.daily_at)} is not a time of day; enter it like 03:00`);
      if (req.keep < 1) fail("invalid_input", "backups to keep: it must be at least 1");
      this.compliance.backupSettings = { ...req };
      this.appendAudit("setting_changed", "backups", `daily at ${req.daily_at}, keep ${req.keep}`);
      return this.backupView();
    });

  backupNow = () =>
    this.call("backup_now", undefined, () => {
      this.need("change_settings");
      const taken = { path: `/data/backups/stateline-20261123T14000${this.compliance.backups.length}Z.sqlite`, taken_at: T0, bytes: 90112 };
      this.compliance.backups.unshift(taken);
      this.compliance.backups = this.compliance.backups.slice(0, this.compliance.backupSettings.keep);
      this.compliance.backupDue = false;
      return { ...taken };
    });

  keyOverview = () =>
    this.call("key_overview", undefined, () => {
      const session = this.need("session");
      const owners: KeyOwnerRef[] =
        session.role === "manager"
          ? [...this.users.map((u): KeyOwnerRef => ({ kind: "user", user: u.name })), { kind: "facility" }]
          : [{ kind: "user", user: session.user }];
      return owners.map((owner): KeyInfoView => {
        const key = this.keys.get(this.ownerId(owner));
        return { owner, last_four: key?.lastFour ?? null, saved_at: key ? T0 : null, last_verdict: key?.verdict ?? null, last_checked_at: key?.checkedAt ?? null };
      });
    });

  setKey = (req: { owner: KeyOwnerRef; key: string }) =>
    this.call("set_key", req, () => {
      this.checkKeyPermission(req.owner, "set_own_key", "set_other_keys");
      const key = req.key.trim();
      if (key.length < 8) fail("invalid_input", "That is not a whole Metrc key. Copy the key again and paste all of it.");
      if (key.startsWith("bad")) fail("key_refused", "Metrc refused this key: generate a new key in Metrc and paste it. Nothing was saved.");
      const verdict = key.startsWith("limited") ? "missing_permissions" : "all_good";
      this.keys.set(this.ownerId(req.owner), { lastFour: key.slice(-4), verdict, checkedAt: T0 });
      this.appendAudit("key_set", this.ownerId(req.owner), `key ending ${key.slice(-4)}`);
      this.emit("keys_changed", { owner: req.owner });
      if (req.owner.kind === "user" && req.owner.user === this.session?.user) this.emit("session_changed", this.state());
      return { validation: this.validation(req.owner), released: 2 };
    });

  validateKey = (req: { owner: KeyOwnerRef }) =>
    this.call("validate_key", req, () => {
      this.checkKeyPermission(req.owner, "set_own_key", "validate_any_key");
      return this.validation(req.owner);
    });

  clearKey = (req: { owner: KeyOwnerRef }) =>
    this.call("clear_key", req, () => {
      this.checkKeyPermission(req.owner, "set_own_key", "set_other_keys");
      this.keys.delete(this.ownerId(req.owner));
      this.emit("keys_changed", { owner: req.owner });
    });

  setKeyMode = (req: { mode: "individual" | "facility" }) =>
    this.call("set_key_mode", req, () => {
      this.need("choose_key_mode");
      this.keyMode = req.mode;
      this.appendAudit("key_mode_changed", req.mode, "");
      return this.state();
    });

  sendUnderFacilityKey = (req: { user: string; reason: string }) =>
    this.call("send_under_facility_key", req, () => {
      this.need("send_under_facility_key");
      if (req.reason.trim() === "") fail("invalid_input", "Say why these records go under the facility key.");
      if (!this.settings.allow_facility_override) fail("facility_keys_not_allowed", "The store's settings do not allow the facility key override.");
      const waiting = this.entries.filter((e) => e.acting_user === req.user && e.state === "waiting_for_key");
      waiting.forEach((e) => this.transition(e, "pending", "facility key override"));
      this.appendAudit("facility_key_override", req.user, `${waiting.length} records: ${req.reason}`);
      return waiting.length;
    });

  /** Sets the link's view and emits `store_changed` with it. */
  setStoreLink(change: Partial<StoreLinkView>): void {
    this.storeLinkView = { ...this.storeLinkView, ...change };
    this.emit("store_changed", { ...this.storeLinkView });
  }

  private storeOverviewNow(): StoreOverviewView {
    const joined = this.storeMembership !== null;
    const server = this.storeServer;
    return {
      joined,
      membership: this.storeMembership === null ? null : { ...this.storeMembership },
      link: { ...this.storeLinkView },
      not_pushed: this.storeNotPushed,
      server: !joined
        ? null
        : server.reachable
          ? {
              reachable: true,
              error: null,
              registers: server.registers.map((r) => ({ ...r })),
              backlog: server.backlog.map((b) => ({ ...b })),
              keys: server.keys.map((k) => ({ ...k })),
            }
          : {
              reachable: false,
              error: { code: "store_server_unreachable", message: "The store server cannot be reached; the register keeps selling on its own and will catch up." },
              registers: [],
              backlog: [],
              keys: [],
            },
    };
  }

  /** Users' current keys held at other registers, as `key_whereabouts` reports them. */
  keysElsewhere: KeyWhereaboutsView[] = [];

  keyWhereabouts = () =>
    this.call("key_whereabouts", undefined, () => {
      this.need("session");
      return this.keysElsewhere.map((k) => ({ ...k }));
    });

  storeLink = () =>
    this.call("store_link", undefined, () => {
      this.need("session");
      return { ...this.storeLinkView };
    });

  storeOverview = () =>
    this.call("store_overview", undefined, () => {
      this.need("change_settings");
      return this.storeOverviewNow();
    });

  storeJoin = (req: StoreJoinRequest) =>
    this.call("store_join", { ...req, password: "(hidden)" }, () => {
      const who = this.need("change_settings");
      if (req.host.trim() === "" || req.database.trim() === "" || req.user.trim() === "" || req.register_name.trim() === "") {
        fail("invalid_store_server", "invalid store server setting: a field is empty; enter it");
      }
      if (!this.storeServer.reachable) fail("store_server_unreachable", `The store server ${req.host}:${req.port}/${req.database} cannot be reached.`);
      if (req.password !== this.storeServer.password) {
        fail("store_server_login_refused", `The store server ${req.host}:${req.port}/${req.database} refused the login; check the user and password.`);
      }
      const caFile = req.ca_file?.trim() ?? "";
      if (req.tls && caFile.startsWith("/nowhere")) {
        fail("invalid_store_server", `invalid store server CA file: ${caFile} cannot be read; give the PEM file of the store server's certificate authority`);
      }
      const tls = !req.tls ? "not encrypted" : caFile === "" ? "TLS, checked against the public roots" : `TLS, checked against ${caFile}`;
      this.storeMembership = { host: req.host.trim(), port: req.port, database: req.database.trim(), user: req.user.trim(), register_name: req.register_name.trim(), register_id: "reg-1", tls };
      this.storeServer.registers = [
        { id: "reg-1", name: req.register_name.trim(), app_version: "0.1.0", last_seen_at: T0, records: 0, open: 0, this_register: true },
        ...this.storeServer.registers.filter((r) => !r.this_register),
      ];
      this.appendAudit("store_membership_changed", who.user, `joined as ${req.register_name.trim()}`);
      this.setStoreLink({ joined: true, connected: true, last_success: T0, unreachable_since: null, failures: 0, last_error: null });
      return this.storeOverviewNow();
    });

  storeLeave = (req: StoreLeaveRequest) =>
    this.call("store_leave", req, () => {
      const who = this.need("change_settings");
      if (this.storeMembership === null) return this.storeOverviewNow();
      if (!this.storeServer.reachable && this.storeNotPushed > 0 && !req.force) {
        fail(
          "store_records_not_pushed",
          `${this.storeNotPushed} records have not reached the store yet and the store server did not answer; reconnect and try again, or leave anyway.`,
        );
      }
      this.storeMembership = null;
      this.storeServer.registers = this.storeServer.registers.filter((r) => !r.this_register);
      this.appendAudit("store_membership_changed", who.user, "left");
      this.storeLinkView = offLink();
      this.emit("store_changed", offLink());
      return this.storeOverviewNow();
    });

  storeRegisters = () =>
    this.call("store_registers", undefined, () => {
      this.need("session");
      return {
        joined: this.storeMembership !== null,
        this_register_id: "reg-1",
        as_of: this.storeAsOf,
        registers: this.knownRegisters.map((r) => ({ ...r })),
      };
    });

  listStoreEntries = (req: StoreEntryQuery) =>
    this.call("list_store_entries", req, () => {
      this.need("session");
      const scope = req.scope;
      const own = scope.kind === "store" || scope.register_id === "reg-1";
      const name = this.storeMembership?.register_name ?? "";
      const mine: StoreEntryView[] = own
        ? this.entries.map((e) => ({
            register_id: "reg-1",
            register_name: name,
            this_register: true,
            own: { ...e },
            seq: e.id,
            client_id: e.client_id,
            kind: e.kind,
            licence: e.licence,
            acting_user: e.acting_user,
            state: e.state,
            occurred_at: e.occurred_at,
          }))
        : [];
      const peers = this.peerEntries.filter((p) => scope.kind === "store" || p.register_id === scope.register_id).map((p) => ({ ...p }));
      const entries = [...mine, ...peers]
        .filter((e) => req.licence === null || e.licence === req.licence)
        .filter((e) => req.user === null || e.acting_user === req.user)
        .filter((e) => req.states.length === 0 || req.states.includes(e.state ?? "pending"))
        .sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at))
        .slice(0, req.limit ?? 100);
      return { as_of: this.storeAsOf, entries };
    });

  storeDeadlines = () =>
    this.call("store_deadlines", undefined, () => {
      this.need("view_reports");
      return (
        this.storeDeadlinesView ?? {
          at: T0,
          as_of: this.storeAsOf,
          rows: [],
          truncated: false,
          registers: [{ register_id: "reg-1", register_name: "", this_register: true, open: 0, soon: 0, overdue: 0 }],
        }
      );
    });

  private storeServerReadable(): void {
    if (this.storeMembership === null) fail("store_not_joined", "This register is not in a store; join one in Settings first.");
    if (!this.storeServer.reachable) {
      fail("store_server_unreachable", "The store server cannot be reached; the register keeps selling on its own and will catch up.");
    }
  }

  listStoreAudit = (req: StoreAuditRequest) =>
    this.call("list_store_audit", req, () => {
      this.need("view_reports");
      this.storeServerReadable();
      const rows = (this.storeAudit.get(req.register_id) ?? [])
        .filter((e) => req.action === null || e.action === req.action)
        .filter((e) => req.before_seq === null || e.seq < req.before_seq)
        .sort((a, b) => b.seq - a.seq)
        .slice(0, req.limit ?? 100);
      const name = this.knownRegisters.find((r) => r.id === req.register_id)?.name ?? req.register_id;
      return { register_name: name, entries: rows.map((e) => ({ ...e })) };
    });

  verifyStoreAudits = () =>
    this.call("verify_store_audits", undefined, () => {
      this.need("view_reports");
      this.storeServerReadable();
      const registers = this.storeChains.map((c) => ({ ...c }));
      return { checked_at: T0, registers, broken: registers.filter((c) => c.code !== null).length };
    });

  /** A manager's approval typed at the register: the name and PIN check out, and a reason is given. */
  private checkApproval(approval: ApprovalRequest): void {
    const manager = this.users.find((u) => u.name === approval.manager) ?? fail("unknown_user", `No user called ${approval.manager}.`);
    if (manager.locked) fail("user_locked", `${manager.name} is locked after 5 wrong PINs. Ask a manager to reset the PIN.`);
    if (manager.pin !== approval.pin) {
      manager.failed += 1;
      fail("wrong_pin", `Wrong PIN. ${5 - manager.failed} tries left before the account locks.`);
    }
    if (!permissionsOf(manager.role).includes("approve_sale_exceptions")) fail("not_allowed", "only a manager may approve a sale exception; ask a manager");
    if (approval.reason.trim() === "") fail("invalid_input", "invalid reason: it is empty; enter one");
  }

  limitPreview = (req: LimitPreviewRequest) =>
    this.call("limit_preview", req, () => {
      this.need("sell");
      return this.limits.check(this.packages, req);
    });

  lookUpPatient = (req: PatientLookupRequest) =>
    this.call("look_up_patient", req, () => {
      const session = this.need("sell");
      const patient = req.patient_number.trim();
      if (!/^[A-Za-z0-9-]{1,40}$/.test(patient)) fail("invalid_input", "invalid patient number: enter the number on the patient's card");
      return this.limits.lookUp(req.licence ?? LICENCE, patient, session.user);
    });

  private limitItemsNow(licence: string | null) {
    return {
      licence: licence ?? LICENCE,
      rules_in_force: this.limits.state !== null,
      categories: this.limits.state === null ? [] : this.limits.categories.map((c) => ({ ...c })),
      unmapped: this.limits.unmapped.map((u) => ({ ...u })),
      mapped: this.limits.mapped.map((m) => ({ ...m, amounts: m.amounts.map((a) => ({ ...a })) })),
    };
  }

  limitItems = (req: { licence: string | null }) =>
    this.call("limit_items", req, () => {
      this.need("session");
      return this.limitItemsNow(req.licence);
    });

  mapItem = (req: MapItemRequest) =>
    this.call("map_item", req, () => {
      const session = this.need("manage_limits");
      if (req.reason.trim() === "") fail("invalid_input", "invalid reason: it is empty; enter one");
      if (req.amounts.length === 0) fail("invalid_input", "invalid amounts: say what one unit counts as in at least one category");
      const amounts = req.amounts.map((a) => {
        if (!this.limits.categories.some((c) => c.id === a.category)) fail("invalid_input", `invalid category: ${a.category} is not one of the state's categories`);
        const amount = Number(a.amount);
        if (!(amount > 0)) fail("invalid_input", `invalid amount: "${a.amount}" is not a positive number; enter one like 3.5`);
        return { category: a.category, amount };
      });
      const name = req.item_name.trim();
      this.limits.unmapped = this.limits.unmapped.filter((u) => u.item_name !== name);
      this.limits.mapped = [...this.limits.mapped.filter((m) => m.item_name !== name), { item_name: name, amounts, reason: req.reason.trim(), mapped_by: session.user, mapped_at: T0 }];
      this.limits.perUnit.set(name, Object.fromEntries(amounts.map((a) => [a.category, a.amount])));
      this.appendAudit("item_mapped", name, req.reason.trim());
      this.emit("inventory_changed", { licence: req.licence ?? LICENCE });
      return this.limitItemsNow(req.licence);
    });

  limitRules = () =>
    this.call("limit_rules", undefined, () => {
      this.need("session");
      return this.limits.rulesView();
    });

  private limitRule(id: string) {
    return this.limits.rules.find((r) => r.id === id) ?? fail("invalid_input", `invalid rule: ${id} is not a rule in force; pick one from the list`);
  }

  setLimitOverride = (req: LimitOverrideRequest) =>
    this.call("set_limit_override", req, () => {
      const session = this.need("manage_limits");
      const rule = this.limitRule(req.rule_id);
      const limit = Number(req.limit);
      if (!(limit > 0)) fail("invalid_input", `invalid limit: "${req.limit}" is not a positive number; enter one like 3.5`);
      if (req.reason.trim() === "") fail("invalid_input", "invalid reason: it is empty; enter one");
      rule.limit = limit;
      rule.store_override = { limit, file_version: 1, reason: req.reason.trim(), set_by: session.user, set_at: T0 };
      this.appendAudit("limit_overridden", rule.id, `${rule.file_limit} -> ${limit}: ${req.reason.trim()}`);
      return this.limits.rulesView();
    });

  clearLimitOverride = (req: ClearLimitOverrideRequest) =>
    this.call("clear_limit_override", req, () => {
      this.need("manage_limits");
      const rule = this.limitRule(req.rule_id);
      if (req.reason.trim() === "") fail("invalid_input", "invalid reason: it is empty; enter one");
      rule.limit = rule.file_limit;
      rule.store_override = null;
      this.appendAudit("limit_overridden", rule.id, `back to ${rule.file_limit}: ${req.reason.trim()}`);
      return this.limits.rulesView();
    });

  // ---- the local API and its integrations (data in `this.integrations`) ----

  apiSettings = () =>
    this.call("api_settings", undefined, () => {
      this.need("manage_users");
      return this.integrations.view();
    });

  setApiSettings = (req: ApiSettings) =>
    this.call("set_api_settings", req, () => {
      this.need("manage_users");
      for (const [field, port] of [["port", req.port], ["door port", req.door_port]] as const) {
        if (port < 1024) fail("invalid_input", `invalid ${field}: ${port} is reserved for the system; choose 1024 to 65535`);
      }
      if (req.port === req.door_port) fail("invalid_input", "invalid door port: the door needs a port of its own; choose another than the API's");
      this.integrations.settings = { ...req };
      this.appendAudit("setting_changed", "local API", `API ${req.enabled ? "on" : "off"} on port ${req.port}`);
      return this.integrations.view();
    });

  listIntegrations = () =>
    this.call("list_integrations", undefined, () => {
      this.need("manage_users");
      return this.integrations.list.map((i) => this.integrations.withClerks(i));
    });

  createIntegration = (req: CreateIntegrationRequest) =>
    this.call("create_integration", req, () => {
      const who = this.need("manage_users");
      const name = req.name.trim();
      if (name === "" || name.length > 80) fail("invalid_input", 'invalid integration name: name the POS in 1 to 80 characters (e.g. "Front counter POS")');
      if (req.scopes.length === 0) fail("invalid_input", "invalid scopes: choose at least one of record, status, inventory");
      if (this.integrations.list.some((i) => i.name === name)) {
        fail("invalid_input", `invalid integration name: an integration named "${name}" exists already; choose another name, or revoke the old one and name the new one differently`);
      }
      const created = this.integrations.create(name, req.scopes, who.user);
      this.appendAudit("integration_created", `integration #${created.integration.id}`, `${name}: token ${created.integration.token_prefix}…`);
      return created;
    });

  revokeIntegration = (req: IntegrationIdRequest) =>
    this.call("revoke_integration", req, () => {
      const who = this.need("manage_users");
      const found = this.integrations.list.find((i) => i.id === req.id) ?? fail("invalid_input", `invalid integration: there is no integration #${req.id}; list them to see their numbers`);
      if (found.revoked_at === null) {
        found.revoked_at = T0;
        found.revoked_by = who.user;
        this.appendAudit("integration_changed", `integration #${found.id}`, `${found.name}: token ${found.token_prefix}… revoked`);
      }
      return this.integrations.withClerks(found);
    });

  mapIntegrationClerk = (req: MapClerkRequest) =>
    this.call("map_integration_clerk", req, () => {
      this.need("manage_users");
      const found = this.integrations.list.find((i) => i.id === req.id) ?? fail("invalid_input", `invalid integration: there is no integration #${req.id}; list them to see their numbers`);
      const clerk = req.clerk.trim();
      if (clerk === "") fail("invalid_input", "invalid clerk: give the POS's clerk id, 1 to 100 characters");
      if (req.user === null) {
        this.integrations.clerks.delete(`${found.id}:${clerk}`);
      } else {
        if (!this.users.some((u) => u.name === req.user)) fail("unknown_user", `There is no user called ${req.user}.`);
        this.integrations.clerks.set(`${found.id}:${clerk}`, req.user);
      }
      this.appendAudit("integration_changed", `integration #${found.id}`, `${found.name}: clerk ${clerk} is ${req.user ?? "unmapped"}`);
    });

  integrationCalls = (req: IntegrationCallsRequest) =>
    this.call("integration_calls", req, () => {
      this.need("manage_users");
      const limit = Math.min(Math.max(req.limit ?? 50, 1), 500);
      return this.integrations.calls.filter((c) => req.integration === null || c.integration === req.integration).slice(0, limit);
    });

  demoFaults = () =>
    this.call("demo_faults", undefined, () => {
      if (this.environment !== "demo") fail("not_demo", "The demo panel works only in demo mode.");
      return this.faults.map((f) => ({ ...f, users: [...f.users] }));
    });

  setDemoFault = (req: { fault: DemoFault; on: boolean; user: string | null }) =>
    this.call("set_demo_fault", req, () => {
      if (this.environment !== "demo") fail("not_demo", "The demo panel works only in demo mode.");
      const fault = this.faults.find((f) => f.fault === req.fault)!;
      if (req.fault === "revoke_key") {
        if (req.user === null) fail("invalid_input", "Say whose key to revoke.");
        fault.users = req.on ? [...new Set([...fault.users, req.user])] : fault.users.filter((u) => u !== req.user);
        fault.on = fault.users.length > 0;
      } else {
        fault.on = req.on;
      }
      return this.faults.map((f) => ({ ...f, users: [...f.users] }));
    });

  quit = (force: boolean) => this.call("quit", { force }, () => force || this.status.waiting === 0);
}
