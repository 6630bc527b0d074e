/**
 * Demo panel (demo mode only): switches the embedded emulator's faults on and off (Metrc outage,
 * network down, a user's key revoked, rate limiting, slow responses, lost responses) so anyone can
 * watch the register keep selling and then catch up. Labels and descriptions come from the
 * backend; a revoked key switched back on shows the new demo key to paste in its description.
 */
import type { DemoFault, DemoFaultView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { ErrorNote } from "../ui/Note";

export function Demo() {
  const backend = useBackend();
  const faults = useLoad((b) => b.demoFaults(), [], ["status_changed"]);
  const users = useLoad((b) => b.listLoginUsers(), []);
  const change = useAction();

  async function set(fault: DemoFault, on: boolean, user: string | null) {
    if ((await change.act(() => backend.setDemoFault({ fault, on, user }))) !== undefined) faults.reload();
  }

  return (
    <div className="stack">
      <h2>Demo panel</h2>
      <p className="muted">
        These switches break the built-in pretend Metrc. Selling never stops; watch the status chip and the Sync screen.
      </p>
      <ErrorNote error={faults.error ?? change.error} testId="demo-error" />
      <div className="panel stack">
        {(faults.data ?? []).map((f) => (f.fault === "revoke_key" ? <Revoke key={f.fault} fault={f} users={(users.data ?? []).map((u) => u.name)} busy={change.busy} onSet={set} /> : (
          <label className="checkbox" key={f.fault}>
            <input type="checkbox" checked={f.on} disabled={change.busy} onChange={(e) => void set(f.fault, e.target.checked, null)} data-testid={`demo-${f.fault}`} />
            <span>
              <strong>{f.label}</strong> <span className="muted">{f.description}</span>
            </span>
          </label>
        )))}
      </div>
    </div>
  );
}

function Revoke(props: { fault: DemoFaultView; users: string[]; busy: boolean; onSet: (fault: DemoFault, on: boolean, user: string | null) => Promise<void> }) {
  const { fault, users, busy, onSet } = props;
  return (
    <div className="stack" data-testid="demo-revoke_key">
      <strong>{fault.label}</strong>
      <span className="muted">{fault.description}</span>
      {users.map((u) => (
        <label className="checkbox" key={u}>
          <input
            type="checkbox"
            checked={fault.users.includes(u)}
            disabled={busy}
            onChange={(e) => void onSet("revoke_key", e.target.checked, u)}
            data-testid={`demo-revoke_key-${u}`}
          />
          {u}'s Metrc key is revoked
        </label>
      ))}
    </div>
  );
}
