/**
 * The Audit screen's store scope (issue #13): another register's audit log, or every register's
 * merged by time, read from the store server's copy of each register's log (newest first). The
 * store server must answer: when it cannot be reached the screen says so plainly (branching on the
 * error's code) and points to this register's own log, which is always here.
 */
import type { AuditEntryView, Backend, StoreRegistersView } from "../api";
import { useFacilityTime, useLoad } from "../context";
import { ErrorNote, Note } from "../ui/Note";
import type { Scope } from "./StoreScope";

type Row = AuditEntryView & { register: string; register_id: string };

/** Codes meaning the store server could not be read (the register itself is fine). */
const SERVER_DOWN = new Set(["store_server_unreachable", "store_server_error", "store_server_login_refused", "store_server_certificate_refused"]);

async function load(backend: Backend, scope: Exclude<Scope, null>, registers: StoreRegistersView, action: string | null, page: number): Promise<Row[]> {
  const ids = scope.kind === "store" ? registers.registers.map((r) => r.id) : [scope.register_id];
  const logs = await Promise.all(
    ids.map(async (id) => {
      const log = await backend.listStoreAudit({ register_id: id, before_seq: null, action, limit: page });
      return log.entries.map((e) => ({ ...e, register: log.register_name, register_id: id }));
    }),
  );
  return logs
    .flat()
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.seq - a.seq)
    .slice(0, page);
}

export function StoreAuditLog(props: { scope: Exclude<Scope, null>; registers: StoreRegistersView; action: string | null; page: number }) {
  const { scope, registers, action, page } = props;
  const facilityTime = useFacilityTime();
  const rows = useLoad(
    (b) => load(b, scope, registers, action, page),
    [scope.kind, scope.kind === "register" ? scope.register_id : null, registers, action, page],
    ["store_changed"],
  );
  const error = rows.error;
  return (
    <div className="stack">
      {error !== null && SERVER_DOWN.has(error.code) && (
        <Note tone="warn" testId="store-audit-unreachable">
          The other registers' audit logs are read from the store server, which cannot be read now. This register's own log is
          under "This register".
        </Note>
      )}
      <ErrorNote error={error} testId="store-audit-error" />
      <p className="muted">From the store server's copy of each register's log.</p>
      <table className="grid" data-testid="store-audit-table">
        <thead>
          <tr>
            <th>Register</th>
            <th>#</th>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>About</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {(rows.data ?? []).map((e) => (
            <tr key={`${e.register_id}-${e.seq}`} data-testid="store-audit-row" data-register={e.register_id} data-seq={e.seq}>
              <td>{e.register}</td>
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
      {rows.data?.length === 0 && <p className="muted">No entries here.</p>}
    </div>
  );
}
