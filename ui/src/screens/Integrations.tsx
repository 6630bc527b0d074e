/**
 * Integrations (manager, issue #17): the local API the store's own POS hands its sales to
 * (`IntegrationsApi`), the integrations that may call it (name, token prefix, scopes, who created
 * it and when, last use, revoked), creating one — its token shown once (`IntegrationToken`) —,
 * revoking one after a confirmation, mapping a POS's clerk ids to users (`IntegrationClerks`),
 * and the recent calls (`IntegrationCalls`). Errors are shown by their code with the backend's message.
 *
 * Sales made through the API emit `records_changed`; the call log follows within a second, so the
 * list and the calls are read again a moment after it.
 */
import { useEffect, useState } from "react";
import type { CreatedIntegrationView, IntegrationView } from "../api";
import { useAction, useBackend, useFacilityWhen, useLoad } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorNote } from "../ui/Note";
import { IntegrationCalls } from "./IntegrationCalls";
import { IntegrationClerks } from "./IntegrationClerks";
import { IntegrationNew } from "./IntegrationNew";
import { IntegrationsApi } from "./IntegrationsApi";
import { IntegrationToken } from "./IntegrationToken";

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
      <IntegrationNew
        onCreated={(made) => {
          setCreated(made);
          list.reload();
        }}
      />
      <IntegrationClerks integrations={integrations.filter((i) => i.revoked_at === null)} />
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
