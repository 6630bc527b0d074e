/**
 * First run: create the manager (who is then logged in); choose demo, sandbox or production and
 * the state; for a real Metrc, enter the vendor key, the manager's own key (the matrix shows what
 * it may do), then pick the licences the register works for and confirm each one's time zone and
 * reporting deadline, and last (optional) whether the register joins the store's server or works on
 * its own (`WizardStoreStep`). Each step is one backend command that either succeeds or changes
 * nothing; the wizard resumes at the first step not yet done. Binding the licences completes the
 * setup, so the store step is never resumed: a register closed there starts on its own, and a
 * manager joins later in Settings › Store server. Each step has a `wizard-step-*` test id.
 */
import { useState } from "react";
import type { AppState, DiscoveredLicence, Environment, KeyValidationView, LicenceBinding } from "../api";
import { useAction, useBackend } from "../context";
import { MatrixTable } from "../keys/MatrixTable";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { ENVIRONMENTS } from "./Settings";
import { WizardStoreStep } from "./WizardStoreStep";

const STEPS = ["manager", "environment", "vendor", "key", "licences", "store"] as const;
type Step = (typeof STEPS)[number];
const STEP_LABELS: Record<Step, string> = {
  manager: "Manager",
  environment: "Metrc",
  vendor: "Vendor key",
  key: "Your key",
  licences: "Licences",
  store: "Store server",
};

/** The time zone proposed for a state's licences (a person confirms it). */
const STATE_TIME_ZONES: Record<string, string> = {
  AK: "America/Anchorage",
  AL: "America/Chicago",
  CA: "America/Los_Angeles",
  CO: "America/Denver",
  DC: "America/New_York",
  KY: "America/New_York",
  LA: "America/Chicago",
  MA: "America/New_York",
  MD: "America/New_York",
  ME: "America/New_York",
  MI: "America/Detroit",
  MN: "America/Chicago",
  MO: "America/Chicago",
  MS: "America/Chicago",
  MT: "America/Denver",
  NJ: "America/New_York",
  NV: "America/Los_Angeles",
  NY: "America/New_York",
  OH: "America/New_York",
  OK: "America/Chicago",
  OR: "America/Los_Angeles",
  SD: "America/Chicago",
  VA: "America/New_York",
  WV: "America/New_York",
};

export function proposedTimeZone(stateCode: string | null): string {
  return (stateCode !== null && STATE_TIME_ZONES[stateCode.toUpperCase()]) || "America/Denver";
}

const DEFAULT_DEADLINE_HOURS = 24;

/** Where to resume: the first step not done yet (the manager must be logged in after step 1). */
export function firstStep(state: AppState): Step {
  const { has_users, environment_chosen, vendor_key_set } = state.setup;
  if (!has_users) return "manager";
  if (!environment_chosen || state.environment === "demo") return "environment";
  return vendor_key_set ? "key" : "vendor";
}

export function Wizard({ state, onState, onDone }: { state: AppState; onState: (s: AppState) => void; onDone: () => void }) {
  const backend = useBackend();
  const [step, setStep] = useState<Step>(() => firstStep(state));
  const [name, setName] = useState("");
  const [pin, setPin] = useState("");
  const [pinAgain, setPinAgain] = useState("");
  const [environment, setEnvironment] = useState<Environment>(state.environment);
  const [stateCode, setStateCode] = useState(state.state_code ?? "");
  const [vendorKey, setVendorKey] = useState("");
  const [userKey, setUserKey] = useState("");
  const [validation, setValidation] = useState<KeyValidationView | null>(null);
  const [found, setFound] = useState<DiscoveredLicence[] | null>(null);
  const [chosen, setChosen] = useState<Record<string, LicenceBinding>>({});
  const { busy, error, setError, act } = useAction();
  const go = (s: Step) => {
    setError(null);
    setStep(s);
  };
  const user = state.session?.user ?? name.trim();

  async function createManager() {
    const typed = pin;
    setPin("");
    setPinAgain("");
    const next = await act(() => backend.createFirstManager({ name: name.trim(), pin: typed }));
    if (next !== undefined) {
      onState(next);
      go("environment");
      return;
    }
    // The manager may exist even though the command failed (e.g. the keychain refused the demo
    // key afterwards): follow the backend's state rather than offering a step that is done.
    const now = await backend.appState().catch(() => null);
    if (now?.setup.has_users) {
      onState(now);
      if (now.session !== null) setStep("environment");
    }
  }

  async function chooseEnvironment() {
    if (environment === "demo" && state.demo) {
      onDone();
      return;
    }
    const next = await act(() => backend.chooseEnvironment({ environment, state_code: stateCode === "" ? null : stateCode }));
    if (next === undefined) return;
    onState(next);
    if (environment === "demo") onDone();
    else go("vendor");
  }

  async function saveVendorKey() {
    const key = vendorKey.trim();
    setVendorKey("");
    if ((await act(() => backend.setVendorKey({ key }))) !== undefined) go("key");
  }

  /**
   * Saves the pasted key as the manager's, then asks Metrc for the licences with that same key (so
   * each licence's sale rules are known); the key is dropped from the page before either call.
   */
  async function saveKeyAndDiscover() {
    const key = userKey.trim();
    setUserKey("");
    if (key === "") return;
    const saved = await act(() => backend.setKey({ owner: { kind: "user", user }, key }));
    if (saved === undefined) return;
    setValidation(saved.validation);
    const licences = await act(() => backend.discoverLicences({ key }));
    if (licences === undefined) return;
    setFound(licences);
    const zone = proposedTimeZone(stateCode);
    setChosen(
      Object.fromEntries(
        licences
          .filter((l) => l.can_sell || licences.length === 1)
          .map((l) => [l.number, binding(l, zone)]),
      ),
    );
  }

  async function bind() {
    const next = await act(() => backend.bindLicences({ licences: Object.values(chosen) }));
    if (next !== undefined) {
      onState(next);
      go("store");
    }
  }

  const pinProblem =
    pin.length > 0 && pin.length < 4 ? "Use 4 to 8 digits." : pinAgain !== "" && pin !== pinAgain ? "The two PINs differ." : null;
  const steps = environment === "demo" ? STEPS.slice(0, 2) : STEPS;

  return (
    <main className="centered">
      <div className="panel stack" data-testid="wizard" data-step={step} style={{ width: "min(52rem, 100%)" }}>
        <h1 id="app-title" data-testid="app-title">
          Stateline
        </h1>
        <ol className="steps">
          {steps.map((s) => (
            <li key={s} aria-current={s === step ? "step" : undefined}>
              {STEP_LABELS[s]}
            </li>
          ))}
        </ol>
        {step === "manager" && (
          <form
            className="stack"
            data-testid="wizard-step-manager"
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim() !== "" && pin.length >= 4 && pin === pinAgain) void createManager();
            }}
          >
            <h2>Create the manager</h2>
            <p>The first user manages this register: users, keys and settings.</p>
            <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} data-testid="wizard-manager-name" autoFocus />
            <TextField label="PIN (4 to 8 digits)" type="password" inputMode="numeric" autoComplete="off" maxLength={8} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))} data-testid="wizard-manager-pin" />
            <TextField label="PIN again" type="password" inputMode="numeric" autoComplete="off" maxLength={8} value={pinAgain} onChange={(e) => setPinAgain(e.target.value.replace(/\D/g, ""))} data-testid="wizard-manager-pin-again" />
            {pinProblem !== null && <Note tone="warn">{pinProblem}</Note>}
            <ErrorNote error={error} testId="wizard-error" />
            <Button look="primary" large type="submit" disabled={busy || name.trim() === "" || pin.length < 4 || pin !== pinAgain} data-testid="wizard-next">
              Create manager
            </Button>
          </form>
        )}
        {step === "environment" && (
          <div className="stack" data-testid="wizard-step-environment">
            <h2>Which Metrc?</h2>
            <SelectField label="Environment" value={environment} onChange={(e) => setEnvironment(e.target.value as Environment)} choices={ENVIRONMENTS} data-testid="wizard-environment" />
            {environment === "demo" ? (
              <Note tone="info">Demo mode uses a built-in pretend Metrc with a sample licence, packages and staff. No keys needed.</Note>
            ) : (
              <TextField label="State (two letters)" value={stateCode} maxLength={2} onChange={(e) => setStateCode(e.target.value.toUpperCase())} data-testid="wizard-state" />
            )}
            <ErrorNote error={error} testId="wizard-error" />
            <Button
              look="primary"
              large
              disabled={busy || (environment !== "demo" && stateCode.length !== 2)}
              onClick={() => void chooseEnvironment()}
              data-testid={environment === "demo" ? "wizard-finish" : "wizard-next"}
            >
              {environment === "demo" ? "Start the demo" : "Next"}
            </Button>
          </div>
        )}
        {step === "vendor" && (
          <form
            className="stack"
            data-testid="wizard-step-vendor"
            onSubmit={(e) => {
              e.preventDefault();
              if (vendorKey.trim() !== "") void saveVendorKey();
            }}
          >
            <h2>Vendor (integrator) key</h2>
            <p>The key your Metrc integrator account was given. It goes to this computer's keychain only.</p>
            <TextField label="Vendor key" type="password" autoComplete="off" value={vendorKey} onChange={(e) => setVendorKey(e.target.value)} data-testid="wizard-vendor-key" />
            <ErrorNote error={error} testId="wizard-error" />
            <Button look="primary" large type="submit" disabled={busy || vendorKey.trim() === ""} data-testid="wizard-next">
              Save and continue
            </Button>
          </form>
        )}
        {step === "key" && (
          <div className="stack" data-testid="wizard-step-key">
            <h2>Your Metrc key</h2>
            <p>Paste your own Metrc user API key. Stateline checks what it may do and uses it to find your licences.</p>
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                void saveKeyAndDiscover();
              }}
            >
              <div style={{ flex: 1, minWidth: "16rem" }}>
                <TextField
                  label="Your Metrc API key"
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  value={userKey}
                  onChange={(e) => setUserKey(e.target.value)}
                  data-testid="wizard-key-input"
                />
              </div>
              <Button look="primary" type="submit" disabled={busy || userKey.trim() === ""} data-testid="wizard-key-save">
                {busy ? "Asking Metrc…" : "Save and find my licences"}
              </Button>
            </form>
            <ErrorNote error={error} testId="wizard-error" />
            {validation !== null && <MatrixTable validation={validation} />}
            {found !== null && (
              <Button look="primary" large onClick={() => go("licences")} data-testid="wizard-next">
                Choose licences ({found.length} found)
              </Button>
            )}
          </div>
        )}
        {step === "licences" && found !== null && (
          <div className="stack" data-testid="wizard-step-licences">
            <h2>Licences for this register</h2>
            {found.length === 0 && <Note tone="warn">This key reaches no licence. Check the key's permissions in Metrc.</Note>}
            {found.map((l) => {
              const pick = chosen[l.number];
              return (
                <div className="panel stack" key={l.number}>
                  <label className="checkbox">
                    <input
                      type="checkbox"
                      checked={pick !== undefined}
                      onChange={(e) =>
                        setChosen((c) => {
                          const next = { ...c };
                          if (e.target.checked) next[l.number] = binding(l, proposedTimeZone(stateCode));
                          else delete next[l.number];
                          return next;
                        })
                      }
                      data-testid={`wizard-licence-${l.number}`}
                    />
                    {l.name} ({l.number}){l.license_type !== null && ` · ${l.license_type}`}
                    {!l.can_sell && " · cannot sell"}
                  </label>
                  {pick !== undefined && (
                    <div className="row">
                      <TextField
                        label="Time zone"
                        value={pick.time_zone}
                        onChange={(e) => setChosen((c) => ({ ...c, [l.number]: { ...pick, time_zone: e.target.value } }))}
                        data-testid={`wizard-timezone-${l.number}`}
                      />
                      <TextField
                        label="Reporting deadline (hours)"
                        inputMode="numeric"
                        value={String(pick.reporting_deadline_hours)}
                        onChange={(e) => setChosen((c) => ({ ...c, [l.number]: { ...pick, reporting_deadline_hours: Number(e.target.value.replace(/\D/g, "")) } }))}
                        data-testid={`wizard-deadline-${l.number}`}
                      />
                    </div>
                  )}
                </div>
              );
            })}
            <ErrorNote error={error} testId="wizard-error" />
            <div className="row">
              <Button onClick={() => go("key")}>Back</Button>
              <Button look="primary" large disabled={busy || Object.keys(chosen).length === 0} onClick={() => void bind()} data-testid="wizard-next">
                Next
              </Button>
            </div>
          </div>
        )}
        {step === "store" && <WizardStoreStep onDone={onDone} />}
      </div>
    </main>
  );
}

function binding(l: DiscoveredLicence, timeZone: string): LicenceBinding {
  return {
    number: l.number,
    name: l.name,
    time_zone: timeZone,
    reporting_deadline_hours: DEFAULT_DEADLINE_HOURS,
    object_limit: null,
    requires_patient_number: l.requires_patient_number,
    requires_caregiver_number: l.requires_caregiver_number,
    requires_identification_method: l.requires_identification_method,
    sells_to_consumers: l.sells_to_consumers,
  };
}
