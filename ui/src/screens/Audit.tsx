/**
 * Audit: the append-only log of who did what and when (sales, voids, key changes, mode changes,
 * overrides), newest first, filterable by action, with older pages on demand. Refetches when the
 * backend reports an appended row. In a store, the log of another register or of every register can
 * be read instead, from the store server (see `StoreAudit`).
 */
import { useState } from "react";
import type { AuditEntryView } from "../api";
import { useAction, useBackend, useLoad, useFacilityTime } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";
import { AuditTools } from "./AuditTools";
import { StoreAuditLog } from "./StoreAudit";
import { ScopePicker, useStoreRegisters } from "./StoreScope";
import type { Scope } from "./StoreScope";

const PAGE = 200;

export function Audit() {
  const backend = useBackend();
  const [action, setAction] = useState("");
  const filter = action.trim() === "" ? null : action.trim();
  const first = useLoad((b) => b.listAudit({ before_seq: null, action: filter, limit: PAGE }), [filter], ["audit_appended"]);
  const [older, setOlder] = useState<AuditEntryView[]>([]);
  const more = useAction();
  const facilityTime = useFacilityTime();
  const registers = useStoreRegisters();
  const [scope, setScope] = useState<Scope>(null);
  const rows = [...(first.data ?? []), ...older];
  const oldest = rows[rows.length - 1]?.seq ?? null;

  return (
    <div className="stack">
      <h2>Audit</h2>
      <AuditTools />
      <h3>Audit log</h3>
      <div className="row">
        <TextField
          label="Only this action (e.g. sale_void, key_set)"
          value={action}
          onChange={(e) => {
            setAction(e.target.value);
            setOlder([]);
          }}
          data-testid="audit-filter"
        />
        <ScopePicker registers={registers} value={scope} onChange={setScope} testId="audit-scope" />
      </div>
      {scope !== null && registers !== null ? (
        <StoreAuditLog scope={scope} registers={registers} action={filter} page={PAGE} />
      ) : (
        <>
          <ErrorNote error={first.error ?? more.error} testId="audit-error" />
          <table className="grid" data-testid="audit-table">
            <thead>
              <tr>
                <th>#</th>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>About</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.seq} data-testid="audit-row" data-action={e.action} data-seq={e.seq}>
                  <td>{e.seq}</td>
                  <td>{facilityTime(e.at)}</td>
                  <td>{e.actor ?? "Stateline"}</td>
                  <td>{e.action.replace(/_/g, " ")}</td>
                  <td>{e.subject}</td>
                  <td>{e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {first.data !== null && first.data.length === PAGE && oldest !== null && (
            <div>
              <Button
                disabled={more.busy}
                onClick={async () => {
                  const page = await more.act(() => backend.listAudit({ before_seq: oldest, action: filter, limit: PAGE }));
                  if (page !== undefined) setOlder((o) => [...o, ...page]);
                }}
                data-testid="audit-more"
              >
                Show older entries
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
