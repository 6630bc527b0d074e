/**
 * Compliance across the store on the Store screen (issue #13): every register's records near or past
 * their reporting deadline, from this register's copy (so it answers while cut off, saying as of
 * which store sync), and a manager's "Verify every register's audit chain", which asks the store
 * server to check each register's copy of its audit log (the same check as `stateline store
 * verify-audit`) and shows per register intact or broken at which entry. It branches on codes only:
 * `audit_chain_broken` per register, the `store_server_*` codes when the server cannot be read.
 */
import { useState } from "react";
import type { StoreAuditChainsView } from "../api";
import { useAction, useBackend, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { ErrorNote, Note } from "../ui/Note";
import { useAsOf } from "./StoreScope";

export function StoreDeadlines() {
  const loaded = useLoad((b) => b.storeDeadlines(), [], ["store_changed", "records_changed"]);
  const time = useFacilityTime();
  const asOf = useAsOf();
  const view = loaded.data;
  return (
    <div className="panel stack" data-testid="store-deadlines">
      <h3>Reporting deadlines across the store</h3>
      <ErrorNote error={loaded.error} testId="store-deadlines-error" />
      {view !== null && (
        <>
          <p className="muted" data-testid="store-deadlines-as-of">
            Other registers' records {asOf(view.as_of)}.
          </p>
          <table className="grid" data-testid="store-deadlines-registers">
            <thead>
              <tr>
                <th>Register</th>
                <th>Not yet with Metrc</th>
                <th>Deadline near</th>
                <th>Past the deadline</th>
              </tr>
            </thead>
            <tbody>
              {view.registers.map((r) => (
                <tr key={r.register_id} data-testid={`store-deadlines-register-${r.register_name}`}>
                  <td>
                    {r.register_name === "" ? "This register" : r.register_name} {r.this_register && r.register_name !== "" && <span className="muted">(this register)</span>}
                  </td>
                  <td>{r.open}</td>
                  <td>{r.soon}</td>
                  <td>{r.overdue}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view.rows.length === 0 ? (
            <p className="muted" data-testid="store-deadlines-none">
              No record of the store is near or past its reporting deadline.
            </p>
          ) : (
            <table className="grid" data-testid="store-deadlines-rows">
              <thead>
                <tr>
                  <th>Register</th>
                  <th>Record</th>
                  <th>Who</th>
                  <th>Made</th>
                  <th>Deadline</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {view.rows.map((r) => (
                  <tr key={`${r.register_id}/${r.client_id}`} data-testid={`store-deadline-${r.client_id}`} data-warning={r.warning}>
                    <td>{r.register_name === "" ? "This register" : r.register_name}</td>
                    <td>
                      {r.kind.replace(/_/g, " ")} <span className="muted">{r.client_id}</span>
                    </td>
                    <td>{r.acting_user}</td>
                    <td>{time(r.occurred_at, r.licence)}</td>
                    <td>{time(r.deadline_at, r.licence)}</td>
                    <td>{r.warning === "overdue" ? <strong>past the deadline</strong> : "deadline near"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {view.truncated && <p className="muted">More records are near or past their deadline than are listed here.</p>}
        </>
      )}
    </div>
  );
}

export function AuditChains() {
  const backend = useBackend();
  const check = useAction();
  const time = useFacilityTime();
  const [result, setResult] = useState<StoreAuditChainsView | null>(null);
  const unreachable = check.error !== null && check.error.code.startsWith("store_server_");
  return (
    <div className="panel stack" data-testid="store-audit-chains">
      <h3>Audit chains</h3>
      <p className="muted">Each register's audit log is copied to the store server; the check walks every copy's hash chain there.</p>
      <div>
        <Button
          disabled={check.busy}
          onClick={async () => {
            setResult(null);
            const checked = await check.act(() => backend.verifyStoreAudits());
            if (checked !== undefined) setResult(checked);
          }}
          data-testid="store-verify-audits"
        >
          Verify every register's audit chain
        </Button>
      </div>
      {unreachable && (
        <Note tone="warn" testId="store-audit-chains-unreachable">
          The store server cannot be read now, so the registers' chains cannot be checked from here. Each register can still check its own on
          its Audit screen.
        </Note>
      )}
      <ErrorNote error={check.error} testId="store-audit-chains-error" />
      {result !== null && (
        <>
          {result.broken === 0 ? (
            <Note tone="ok" testId="store-audit-chains-summary">
              Every register's audit chain is intact (checked {time(result.checked_at)}).
            </Note>
          ) : (
            <Note tone="error" testId="store-audit-chains-summary">
              {result.broken} register(s) have a broken audit chain in the store. Compare with that register's own check on its Audit screen.
            </Note>
          )}
          <table className="grid" data-testid="store-audit-chains-table">
            <thead>
              <tr>
                <th>Register</th>
                <th>Chain</th>
              </tr>
            </thead>
            <tbody>
              {result.registers.map((r) => (
                <tr key={r.register_id} data-testid={`store-audit-chain-${r.register_name}`} data-code={r.code ?? "ok"}>
                  <td>
                    {r.register_name} {r.this_register && <span className="muted">(this register)</span>}
                  </td>
                  <td>
                    {r.code === "audit_chain_broken" && r.verification.result === "broken" ? (
                      <strong>
                        Broken at entry {r.verification.seq}: {r.verification.reason}
                      </strong>
                    ) : r.verification.result === "intact" ? (
                      `OK — ${r.verification.entries} entries, head ${r.verification.head_hash.slice(0, 12)}…`
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
