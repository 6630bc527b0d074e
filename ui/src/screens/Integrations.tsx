/**
 * Integrations (manager, issue #17): the local API the store's own POS hands its sales to
 * (`IntegrationsApi`), the integrations that may call it (name, token prefix, scopes, who created
 * it and when, last use, revoked), creating one — its token shown once (`IntegrationToken`) —,
 * revoking one after a confirmation, mapping a POS's clerk ids to users, and the recent calls
 * (`IntegrationCalls`). Errors are shown by their code with the backend's message.
 *
 * Sales made through the API emit `records_changed`; the call log follows within a second, so the
 * list and the calls are read again a moment after it.
 */
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import type { CreatedIntegrationView, IntegrationScope, IntegrationView } from "../api";
import { useAction, useBackend, useFacilityWhen, useLoad } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { IntegrationCalls } from "./IntegrationCalls";
import { IntegrationsApi } from "./IntegrationsApi";
import { IntegrationToken } from "./IntegrationToken";
import { SCOPES } from "./integrationWords";

/** How long after a record was made the call log is read again (it is written within a second). */
const CALL_LOG_LAG_MS = 1200;

export function Integrations() {
  const backend = useBackend();
  const [tick, setTick] = useState(0);
  const list = useLoad((b) => b.listIntegrations(), [tick], ["audit_appended"]);
  const [created, setCreated] = useState<CreatedIntegrationView | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = backend.on("records_changed", () => {
      clearTimeout(timer);
      timer = setTimeout(() => setTick((t) => t + 1), CALL_LOG_LAG_MS);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [backend]);

  const integrations = list.data ?? [];
  return (
    <div className="stack" data-testid="integrations">
      <h2>Integrations</h2>
      <IntegrationsApi />
      {created !== null && <IntegrationToken created={created} onDone={() => setCreated(null)} />}
      <section className="panel stack" data-testid="integrations-list">
        <h3>Integrations</h3>
        <ErrorNote error={list.error} testId="integrations-error" />
        {list.data !== null && integrations.length === 0 && <p className="muted">No POS may call this register yet: create an integration for it below.</p>}
        {integrations.length > 0 && <IntegrationTable integrations={integrations} onChanged={list.reload} />}
      </section>
      <NewIntegration
        onCreated={(made) => {
          setCreated(made);
          list.reload();
        }}
      />
      <ClerkMapping integrations={integrations.filter((i) => i.revoked_at === null)} />
      <IntegrationCalls integrations={integrations} tick={tick} />
    </div>
  );
}

function IntegrationTable({ integrations, onChanged }: { integrations: IntegrationView[]; onChanged: () => void }) {
  const backend = useBackend();
  const when = useFacilityWhen();
  const revoke = useAction();
  const [confirming, setConfirming] = useState<IntegrationView | null>(null);

  async function confirmRevoke() {
    if (confirming === null) return;
    const id = confirming.id;
    setConfirming(null);
    if ((await revoke.act(() => backend.revokeIntegration({ id }))) !== undefined) onChanged();
  }

  return (
    <>
      <ErrorNote error={revoke.error} testId="integration-revoke-error" />
      <table className="grid" data-testid="integrations-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Token</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>Last used</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {integrations.map((i) => (
            <tr key={i.id} data-testid={`integration-row-${i.id}`} data-name={i.name} data-revoked={i.revoked_at !== null ? "yes" : "no"}>
              <td>{i.name}</td>
              <td className="nowrap">
                <code>{i.token_prefix}…</code>
              </td>
              <td>{i.scopes.join(", ")}</td>
              <td>
                {when(i.created_at)} by {i.created_by}
              </td>
              <td data-testid={`integration-last-used-${i.id}`}>{i.last_used_at === null ? "never" : when(i.last_used_at)}</td>
              <td>
                {i.revoked_at === null ? (
                  <div className="row actions">
                    <span>live</span>
                    <Button look="danger" disabled={revoke.busy} onClick={() => setConfirming(i)} data-testid={`integration-revoke-${i.id}`}>
                      Revoke
                    </Button>
                  </div>
                ) : (
                  <span data-testid={`integration-revoked-${i.id}`}>
                    revoked {when(i.revoked_at)}
                    {i.revoked_by !== null && ` by ${i.revoked_by}`}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {confirming !== null && (
        <Dialog title={`Revoke ${confirming.name}?`} confirmLabel="Revoke the token" danger onConfirm={() => void confirmRevoke()} onCancel={() => setConfirming(null)} testId="integration-revoke-dialog">
          <p>
            The POS's token <code>{confirming.token_prefix}…</code> is refused from its next call on, so it can no longer hand sales to this register. Records it already made stay. This
            cannot be undone: to let the POS call again, create a new integration.
          </p>
        </Dialog>
      )}
    </>
  );
}

function NewIntegration({ onCreated }: { onCreated: (created: CreatedIntegrationView) => void }) {
  const backend = useBackend();
  const create = useAction();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<IntegrationScope[]>(["record", "status"]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const made = await create.act(() => backend.createIntegration({ name: name.trim(), scopes }));
    if (made !== undefined) {
      setName("");
      onCreated(made);
    }
  }

  const toggle = (scope: IntegrationScope, on: boolean) => setScopes((now) => (on ? [...now.filter((s) => s !== scope), scope] : now.filter((s) => s !== scope)));
  return (
    <form className="panel stack" onSubmit={submit} data-testid="integration-new">
      <h3>New integration</h3>
      <div className="row">
        <TextField label="POS name" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} placeholder="Front counter POS" data-testid="integration-name" />
      </div>
      <fieldset className="stack" style={{ border: "none", padding: 0, margin: 0 }}>
        <legend className="muted">It may</legend>
        <div className="scopes">
          {SCOPES.map((s) => (
            <label key={s.scope} className="checkbox">
              <input type="checkbox" checked={scopes.includes(s.scope)} onChange={(e) => toggle(s.scope, e.target.checked)} data-testid={`integration-scope-${s.scope}`} />
              <span>
                <strong>{s.label}</strong>: {s.hint}
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <ErrorNote error={create.error} testId="integration-create-error" />
      <div className="row">
        <Button look="primary" type="submit" disabled={create.busy || name.trim() === "" || scopes.length === 0} data-testid="integration-create">
          Create and show its token
        </Button>
      </div>
    </form>
  );
}

function ClerkMapping({ integrations }: { integrations: IntegrationView[] }) {
  const backend = useBackend();
  const users = useLoad((b) => b.listUsers(), []);
  const map = useAction();
  const [chosen, setChosen] = useState<string>("");
  const [clerk, setClerk] = useState("");
  /** `null`: the first user until one is chosen; `""`: no one (remove the mapping). */
  const [picked, setPicked] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const integration = integrations.find((i) => String(i.id) === chosen) ?? integrations[0];
  if (integration === undefined) return null;
  const sellers = (users.data ?? []).filter((u) => !u.disabled);
  const user = picked ?? sellers[0]?.name ?? "";

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (integration === undefined) return;
    setDone(null);
    const mapped = user === "" ? null : user;
    const typed = clerk.trim();
    if (await map.attempt(() => backend.mapIntegrationClerk({ id: integration.id, clerk: typed, user: mapped }))) {
      setDone(mapped === null ? `${integration.name}'s clerk ${typed} is no longer mapped: the POS must send a user's name.` : `${integration.name}'s clerk ${typed} now sells as ${mapped}.`);
      setClerk("");
    }
  }

  return (
    <form className="panel stack" onSubmit={submit} data-testid="integration-clerks">
      <h3>POS clerks</h3>
      <p className="muted">A sale names its budtender as the POS does. Map a POS clerk id to the Stateline user it stands for (the sale then goes to Metrc under that user's key); unmapped ids must be a user's name.</p>
      <div className="row">
        <SelectField
          label="Integration"
          value={String(integration.id)}
          onChange={(e) => setChosen(e.target.value)}
          choices={integrations.map((i) => ({ value: String(i.id), label: i.name }))}
          data-testid="integration-clerk-integration"
        />
        <TextField label="POS clerk id" value={clerk} onChange={(e) => setClerk(e.target.value)} maxLength={100} data-testid="integration-clerk-id" />
        <SelectField
          label="Stateline user"
          value={user}
          onChange={(e) => setPicked(e.target.value)}
          choices={[{ value: "", label: "No one (remove the mapping)" }, ...sellers.map((u) => ({ value: u.name, label: u.name }))]}
          data-testid="integration-clerk-user"
        />
        <Button look="primary" type="submit" disabled={map.busy || clerk.trim() === ""} data-testid="integration-clerk-save">
          {user === "" ? "Remove mapping" : "Map clerk"}
        </Button>
      </div>
      <ErrorNote error={map.error ?? users.error} testId="integration-clerk-error" />
      {done !== null && <Note tone="ok" testId="integration-clerk-done">{done}</Note>}
    </form>
  );
}
