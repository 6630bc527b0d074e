/**
 * Integrations › Local API (manager): turns the local API on or off, its port, whether it answers
 * this computer only (plain HTTP on 127.0.0.1) or the store's network (TLS only, with the
 * certificate fingerprint the POS pins), and the Metrc-compatible door with its port. Shows where
 * the API answers while it runs and, by its code, why a listener could not start.
 */
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import type { ApiSettings, ApiSettingsView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { problemHeading } from "./integrationWords";

/** A port as typed, or `null` when it is not a whole number from 1 to 65535. */
function portOf(text: string): number | null {
  const port = Number(text.trim());
  return /^\d{1,5}$/.test(text.trim()) && port >= 1 && port <= 65535 ? port : null;
}

export function IntegrationsApi() {
  const backend = useBackend();
  const loaded = useLoad((b) => b.apiSettings(), []);
  const save = useAction();
  const [view, setView] = useState<ApiSettingsView | null>(null);
  const [form, setForm] = useState<{ enabled: boolean; lan: boolean; port: string; door_enabled: boolean; door_port: string } | null>(null);

  useEffect(() => {
    if (loaded.data === null) return;
    setView(loaded.data);
    const s = loaded.data.settings;
    setForm({ enabled: s.enabled, lan: s.lan, port: String(s.port), door_enabled: s.door_enabled, door_port: String(s.door_port) });
  }, [loaded.data]);

  if (view === null || form === null) {
    return (
      <section className="panel stack" data-testid="api-settings">
        <h3>Local API</h3>
        <ErrorNote error={loaded.error} testId="api-settings-error" />
      </section>
    );
  }

  const port = portOf(form.port);
  const doorPort = portOf(form.door_port);
  const settings: ApiSettings | null = port === null || doorPort === null ? null : { enabled: form.enabled, port, lan: form.lan, door_enabled: form.door_enabled, door_port: doorPort };
  const set = (change: Partial<typeof form>) => setForm({ ...form, ...change });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (settings === null) return;
    const saved = await save.act(() => backend.setApiSettings(settings));
    if (saved !== undefined) setView(saved);
  }

  return (
    <form className="panel stack" onSubmit={submit} data-testid="api-settings">
      <h3>Local API</h3>
      <p className="muted">The store's own POS hands its sales to Stateline through this API. Each POS needs an integration below, with a token of its own.</p>
      <div className="row">
        <label className="checkbox">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} data-testid="api-enabled" />
          Serve the local API
        </label>
        <TextField label="Port" inputMode="numeric" value={form.port} onChange={(e) => set({ port: e.target.value })} data-testid="api-port" style={{ width: "8rem" }} />
      </div>
      <fieldset className="stack" style={{ border: "none", padding: 0, margin: 0 }}>
        <legend className="muted">Who may reach it</legend>
        <div className="row">
          <label className="checkbox">
            <input type="radio" name="api-reach" checked={!form.lan} onChange={() => set({ lan: false })} data-testid="api-local" />
            This computer only
          </label>
          <label className="checkbox">
            <input type="radio" name="api-reach" checked={form.lan} onChange={() => set({ lan: true })} data-testid="api-lan" />
            Store network (TLS)
          </label>
        </div>
      </fieldset>
      <div className="row">
        <label className="checkbox">
          <input type="checkbox" checked={form.door_enabled} onChange={(e) => set({ door_enabled: e.target.checked })} data-testid="door-enabled" />
          Serve the Metrc-compatible door (this computer only)
        </label>
        <TextField label="Door port" inputMode="numeric" value={form.door_port} onChange={(e) => set({ door_port: e.target.value })} data-testid="door-port" style={{ width: "8rem" }} />
      </div>
      {settings === null && <Note tone="warn" testId="api-port-invalid">A port is a whole number from 1024 to 65535.</Note>}
      <ErrorNote error={save.error} testId="api-save-error" />
      <div className="row">
        <Button look="primary" type="submit" disabled={save.busy || settings === null} data-testid="api-save">
          Save
        </Button>
      </div>
      <Running view={view} />
    </form>
  );
}

/** Where the API and the door answer now, the fingerprint to pin, and any problem by its code. */
function Running({ view }: { view: ApiSettingsView }) {
  const off = view.api_url === null && view.door_url === null && view.problem === null;
  return (
    <div className="stack" data-testid="api-running" data-running={view.api_url !== null ? "yes" : "no"}>
      {off && <p className="muted">The local API is off: no POS can reach this register.</p>}
      {view.api_url !== null && (
        <Note tone="ok" testId="api-running-note">
          The API answers at <strong className="id" data-testid="api-url">{view.api_url}</strong>
          {view.settings.lan ? " — on the store's network, over TLS only." : " — from this computer only."}
        </Note>
      )}
      {view.certificate_fingerprint !== null && (
        <div className="stack">
          <span className="muted">Certificate fingerprint (SHA-256): set the POS to pin it, so it talks only to this register.</span>
          <code className="id" data-testid="api-fingerprint">
            {view.certificate_fingerprint}
          </code>
        </div>
      )}
      {view.door_url !== null && (
        <p>
          The Metrc-compatible door answers at <strong className="id" data-testid="door-url">{view.door_url}</strong>.
        </p>
      )}
      {view.problem !== null && (
        <div className="stack" data-testid="api-problem" data-code={view.problem.code}>
          <strong>{problemHeading(view.problem.code)}</strong>
          <ErrorNote error={view.problem} testId="api-problem-message" />
        </div>
      )}
    </div>
  );
}
