/**
 * Settings › Purchase limits: the rules in force at this register — the state's file (version,
 * when its figures were last checked), each rule with its customers, window, limit and unit,
 * whether the figure is confirmed, its source (folded away) and effective date, and any store
 * override with who set it and why — and what a medical sale does without Metrc's reading of the
 * patient. A manager (`manage_limits`) sets or clears a store override, with a reason (audited);
 * anyone else sees the rules read-only. Fetched again on `audit_appended` (an override, here or
 * by another manager) and `session_changed` (a new state).
 */
import { useState } from "react";
import type { LimitRuleView } from "../api";
import { useCan, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { ErrorNote } from "../ui/Note";
import { amountText, customerText, windowText } from "./limitText";
import { LimitOverrideDialog } from "./LimitOverrideDialog";

const WITHOUT_DATA: Record<string, string> = {
  refuse: "is refused until the patient is looked up in Metrc",
  adult_use_limits: "is sold within the adult-use limits",
  manager_override: "needs a manager's approval at the register (audited)",
};

export function LimitRules() {
  const can = useCan();
  const facilityTime = useFacilityTime();
  const rules = useLoad((b) => b.limitRules(), [], ["audit_appended", "session_changed"]);
  const [editing, setEditing] = useState<{ rule: LimitRuleView; clear: boolean } | null>(null);
  const view = rules.data;
  const manager = can("manage_limits");

  return (
    <div className="panel stack" data-testid="limit-rules" data-state={view?.state ?? undefined}>
      <h3>Purchase limits</h3>
      <ErrorNote error={rules.error} testId="limit-rules-error" />
      {view !== null && view.rules.length === 0 && (
        <p className="muted" data-testid="limit-rules-none">
          {view.state === null
            ? "No state is chosen (Metrc above), so no purchase limits are checked."
            : `No purchase limits ship for ${view.state} yet, so sales are not checked against limits.`}
        </p>
      )}
      {view !== null && view.rules.length > 0 && (
        <>
          <p className="muted">
            {view.name} ({view.state}) · rules version {view.version} · figures last checked against their sources on {view.reviewed}.
            {!manager && " Only a manager can change a limit for this store."}
          </p>
          {view.without_data !== null && (
            <details data-testid="limit-rules-without-data" data-rule={view.without_data}>
              <summary>A medical sale without Metrc's reading of the patient {WITHOUT_DATA[view.without_data] ?? view.without_data}.</summary>
              <p className="muted">{view.without_data_source}</p>
            </details>
          )}
          <table className="grid" data-testid="limit-rules-table">
            <thead>
              <tr>
                <th>Customers</th>
                <th>Window</th>
                <th className="num">Limit</th>
                <th>Figure</th>
                <th>Effective</th>
                <th>Store override</th>
                {manager && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {view.rules.map((r) => (
                <tr key={r.id} data-testid={`limit-rule-${r.id}`} data-certain={r.certain ? "true" : "false"} data-overridden={r.store_override !== null ? "true" : "false"}>
                  <td>{customerText(r.customer)}</td>
                  <td>{windowText(r.window)}</td>
                  <td className="num nowrap">
                    {amountText(r.limit)} {r.unit}
                    {r.store_override !== null && <div className="muted">file: {amountText(r.file_limit)}</div>}
                  </td>
                  <td>
                    {r.certain ? "Confirmed" : <span className="uncertain">Not confirmed: the stricter reading</span>}
                    <details data-testid={`limit-rule-source-${r.id}`}>
                      <summary>Source</summary>
                      {r.source}
                    </details>
                  </td>
                  <td className="nowrap">{r.effective}</td>
                  <td data-testid={`limit-rule-override-${r.id}`}>
                    {r.store_override === null ? (
                      <span className="muted">none</span>
                    ) : (
                      <>
                        {amountText(r.store_override.limit)} {r.unit}, set by {r.store_override.set_by} {facilityTime(r.store_override.set_at)}: {r.store_override.reason}
                      </>
                    )}
                  </td>
                  {manager && (
                    <td>
                      <div className="row actions">
                        <Button onClick={() => setEditing({ rule: r, clear: false })} data-testid={`limit-override-${r.id}`}>
                          Override
                        </Button>
                        {r.store_override !== null && (
                          <Button onClick={() => setEditing({ rule: r, clear: true })} data-testid={`limit-clear-${r.id}`}>
                            Clear
                          </Button>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {editing !== null && (
        <LimitOverrideDialog
          rule={editing.rule}
          clear={editing.clear}
          onClose={(done) => {
            setEditing(null);
            if (done) rules.reload();
          }}
        />
      )}
    </div>
  );
}
