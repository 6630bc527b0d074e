/**
 * Integrations › New integration (manager): a POS's name and what its token may do (record,
 * status, inventory; record and status ticked to start with). On success the screen shows the
 * token once; a refusal is shown by its code with the backend's message.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import type { CreatedIntegrationView, IntegrationScope } from "../api";
import { useAction, useBackend } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";
import { SCOPES } from "./integrationWords";

export function IntegrationNew({ onCreated }: { onCreated: (created: CreatedIntegrationView) => void }) {
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
