/**
 * Integrations › Recent calls (manager): the local API's call log, newest first, for every
 * integration or one — when, which integration, the method and route pattern, and what the API
 * answered in words from its code. The log holds no query string, body or token.
 */
import { useState } from "react";
import type { IntegrationView } from "../api";
import { useFacilityWhen, useLoad } from "../context";
import { Button } from "../ui/Button";
import { SelectField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";
import { callAnswer } from "./integrationWords";

const SHOWN = 50;

/** `tick` changes when the calls should be read again (the screen bumps it after a record was made). */
export function IntegrationCalls({ integrations, tick }: { integrations: IntegrationView[]; tick: number }) {
  const when = useFacilityWhen();
  const [which, setWhich] = useState<string>("all");
  const integration = which === "all" ? null : Number(which);
  const calls = useLoad((b) => b.integrationCalls({ integration, limit: SHOWN }), [integration, tick]);
  const names = new Map(integrations.map((i) => [i.id, i.name]));

  return (
    <section className="panel stack" data-testid="integration-calls">
      <h3>Recent calls</h3>
      <div className="row">
        <SelectField
          label="Integration"
          value={which}
          onChange={(e) => setWhich(e.target.value)}
          choices={[{ value: "all", label: "Every integration" }, ...integrations.map((i) => ({ value: String(i.id), label: i.name }))]}
          data-testid="integration-calls-filter"
        />
        <Button onClick={calls.reload} disabled={calls.loading} data-testid="integration-calls-refresh">
          Refresh
        </Button>
      </div>
      <ErrorNote error={calls.error} testId="integration-calls-error" />
      {calls.data !== null && calls.data.length === 0 && <p className="muted">No calls yet.</p>}
      {calls.data !== null && calls.data.length > 0 && (
        <table className="grid" data-testid="integration-calls-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Integration</th>
              <th>Call</th>
              <th>Answer</th>
            </tr>
          </thead>
          <tbody>
            {calls.data.map((c, i) => (
              <tr key={`${c.at}-${i}`} data-testid="integration-call" data-status={c.status} data-code={c.code ?? ""}>
                <td>{when(c.at)}</td>
                <td>{c.integration === null ? "no valid token" : (names.get(c.integration) ?? `#${c.integration}`)}</td>
                <td className="id">
                  {c.method} {c.route}
                </td>
                <td>{callAnswer(c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
