/**
 * Settings (manager): Metrc environment and state, the vendor key (write-only: only whether one
 * is set and where from), whether a manager may send a user's records under the facility key,
 * records per request, the idle lock, each licence's time zone and reporting deadline, the purchase
 * limits in force with the store's overrides (`LimitRules`), and the store server this register
 * joined (`StoreSettings`). Each
 * part is saved by its own command, so a refusal leaves the rest as it was.
 */
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import type { AppState, Environment, SettingsView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { AutostartSetting } from "./AutostartSetting";
import { ComplianceSettings } from "./ComplianceSettings";
import { LimitRules } from "./LimitRules";
import { StoreSettings } from "./StoreSettings";

export const ENVIRONMENTS: { value: Environment; label: string }[] = [
  { value: "demo", label: "Demo (built-in pretend Metrc)" },
  { value: "sandbox", label: "Metrc sandbox" },
  { value: "production", label: "Metrc production" },
];

const digits = (text: string) => Number(text.replace(/\D/g, ""));

export function Settings({ onState }: { onState: (state: AppState) => void }) {
  const backend = useBackend();
  const loaded = useLoad((b) => b.getSettings(), []);
  const [draft, setDraft] = useState<SettingsView | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useAction();

  useEffect(() => {
    if (loaded.data !== null) setDraft(loaded.data);
  }, [loaded.data]);

  if (draft === null) return <ErrorNote error={loaded.error} />;
  const set = (change: Partial<SettingsView>) => setDraft({ ...draft, ...change });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (draft === null) return;
    setSaved(null);
    const next = await save.act(() =>
      backend.updateSettings({
        object_limit: draft.object_limit,
        idle_lock_minutes: draft.idle_lock_minutes,
        allow_facility_override: draft.allow_facility_override,
        licences: draft.licences.map((l) => ({ licence: l.number, time_zone: l.time_zone, reporting_deadline_hours: l.reporting_deadline_hours })),
      }),
    );
    if (next !== undefined) {
      setDraft(next);
      setSaved("Settings saved.");
    }
  }

  return (
    <div className="stack">
      <h2>Settings</h2>
      <MetrcSection settings={draft} onState={onState} onVendorSaved={(vendor_key) => set({ vendor_key })} />
      <form className="stack" onSubmit={submit} data-testid="settings-form">
        <div className="panel stack">
          <h3>Register</h3>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.allow_facility_override}
              onChange={(e) => set({ allow_facility_override: e.target.checked })}
              data-testid="settings-allow-override"
            />
            A manager may send a user's waiting records under the facility key (recorded in the audit log)
          </label>
          <div className="row">
            <TextField
              label="Records per request (object limit)"
              inputMode="numeric"
              value={String(draft.object_limit)}
              onChange={(e) => set({ object_limit: digits(e.target.value) })}
              data-testid="settings-object-limit"
            />
            <TextField
              label="Lock after minutes idle (0 = never)"
              inputMode="numeric"
              value={String(draft.idle_lock_minutes)}
              onChange={(e) => set({ idle_lock_minutes: digits(e.target.value) })}
              data-testid="settings-idle-lock"
            />
          </div>
        </div>
        <div className="panel stack">
          <h3>Licences</h3>
          <table className="grid">
            <thead>
              <tr>
                <th>Licence</th>
                <th>Time zone</th>
                <th>Reporting deadline (hours)</th>
              </tr>
            </thead>
            <tbody>
              {draft.licences.map((l, i) => (
                <tr key={l.number} data-testid={`settings-licence-${l.number}`}>
                  <td>
                    {l.number} <span className="muted">{l.name}</span>
                  </td>
                  <td>
                    <input
                      aria-label={`Time zone for ${l.number}`}
                      value={l.time_zone}
                      onChange={(e) => set({ licences: draft.licences.map((x, j) => (j === i ? { ...x, time_zone: e.target.value } : x)) })}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`Reporting deadline for ${l.number}`}
                      inputMode="numeric"
                      value={String(l.reporting_deadline_hours)}
                      onChange={(e) =>
                        set({ licences: draft.licences.map((x, j) => (j === i ? { ...x, reporting_deadline_hours: digits(e.target.value) } : x)) })
                      }
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <ErrorNote error={save.error} testId="settings-error" />
        {saved !== null && <Note tone="ok" testId="settings-saved">{saved}</Note>}
        <div>
          <Button look="primary" type="submit" disabled={save.busy} data-testid="settings-save">
            Save settings
          </Button>
        </div>
      </form>
      <LimitRules />
      <StoreSettings />
      <ComplianceSettings />
      <AutostartSetting />
    </div>
  );
}

function MetrcSection(props: {
  settings: SettingsView;
  onState: (state: AppState) => void;
  onVendorSaved: (status: SettingsView["vendor_key"]) => void;
}) {
  const { settings, onState, onVendorSaved } = props;
  const backend = useBackend();
  const [environment, setEnvironment] = useState<Environment>(settings.environment);
  const [stateCode, setStateCode] = useState(settings.state_code ?? "");
  const [vendorKey, setVendorKey] = useState("");
  const env = useAction();
  const vendor = useAction();
  const [done, setDone] = useState<string | null>(null);

  return (
    <div className="panel stack" data-testid="settings-metrc">
      <h3>Metrc</h3>
      <div className="row">
        <SelectField
          label="Environment"
          value={environment}
          onChange={(e) => setEnvironment(e.target.value as Environment)}
          choices={ENVIRONMENTS}
          data-testid="settings-environment"
        />
        <TextField label="State (two letters)" value={stateCode} maxLength={2} onChange={(e) => setStateCode(e.target.value.toUpperCase())} data-testid="settings-state" />
        <Button
          disabled={env.busy}
          onClick={async () => {
            const next = await env.act(() => backend.chooseEnvironment({ environment, state_code: stateCode === "" ? null : stateCode }));
            if (next !== undefined) {
              onState(next);
              setDone("Environment saved.");
            }
          }}
          data-testid="settings-environment-save"
        >
          Use this Metrc
        </Button>
      </div>
      <ErrorNote error={env.error} testId="settings-environment-error" />
      <form
        className="row"
        onSubmit={async (e) => {
          e.preventDefault();
          const key = vendorKey.trim();
          setVendorKey("");
          if (key === "") return;
          const status = await vendor.act(() => backend.setVendorKey({ key }));
          if (status !== undefined) {
            onVendorSaved(status);
            setDone("Vendor key saved.");
          }
        }}
      >
        <TextField
          label={`Vendor key (${settings.vendor_key.set ? `set, from ${settings.vendor_key.source ?? "keychain"}` : "not set"})`}
          type="password"
          autoComplete="off"
          value={vendorKey}
          placeholder="Paste to replace"
          onChange={(e) => setVendorKey(e.target.value)}
          data-testid="settings-vendor-key"
        />
        <Button type="submit" disabled={vendor.busy || vendorKey.trim() === ""} data-testid="settings-vendor-key-save">
          Save vendor key
        </Button>
      </form>
      <ErrorNote error={vendor.error} testId="settings-vendor-key-error" />
      {done !== null && <Note tone="ok">{done}</Note>}
    </div>
  );
}
