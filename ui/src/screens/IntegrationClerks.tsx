/**
 * Integrations › POS clerks (manager): the clerk ids an integration has mapped, and mapping a
 * POS's clerk id to the Stateline user it stands for (the sale then goes to Metrc under that
 * user's key), or removing the mapping. Only live
 * integrations are offered; the user list is the enabled users (the store checks they may sell).
 */
import { useState } from "react";
import type { FormEvent } from "react";
import type { IntegrationView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";

export function IntegrationClerks({ integrations }: { integrations: IntegrationView[] }) {
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
      {integration.clerks.length === 0 ? (
        <p className="muted" data-testid="integration-clerk-none">
          {integration.name} has no clerk ids mapped: its sales name a Stateline user.
        </p>
      ) : (
        <ul className="stack" data-testid="integration-clerk-list">
          {integration.clerks.map((m) => (
            <li key={m.clerk}>
              {integration.name}'s clerk <strong>{m.clerk}</strong> sells as <strong>{m.user}</strong>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={map.error ?? users.error} testId="integration-clerk-error" />
      {done !== null && <Note tone="ok" testId="integration-clerk-done">{done}</Note>}
    </form>
  );
}
