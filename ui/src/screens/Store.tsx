/**
 * The Store screen (manager): this register in its store of several registers (issue #13) — its
 * link to the store server (connected, or unreachable since when), every register of the store
 * (name, last seen, version, records, how many are not yet with Metrc) and the store's backlog by
 * licence and user with the oldest record's age and how long it has left before its licence's
 * reporting deadline (or how late it is), and whose Metrc key is held at which register (last
 * four only; an older copy of a rotated key is marked stale). A register on its own says so and points to
 * Settings, where a manager joins it. It reloads on `store_changed` (no polling); a store server
 * that does not answer is shown as such, never as an error of the screen. Compliance across the
 * store — every register's records near their deadline, every register's audit chain — is in
 * `StoreCompliance`.
 */
import type { StoreOverviewView } from "../api";
import { useAppState, useFacilityClock, useFacilityTime, useLoad, useNow } from "../context";
import { ageMs, formatDuration } from "../format";
import { Button } from "../ui/Button";
import { ErrorNote, Note } from "../ui/Note";
import { AuditChains, StoreDeadlines } from "./StoreCompliance";

export function Store({ onOpenSettings }: { onOpenSettings: () => void }) {
  const loaded = useLoad((b) => b.storeOverview(), [], ["store_changed"]);
  const overview = loaded.data;
  if (overview === null) return <ErrorNote error={loaded.error} testId="store-error" />;
  return (
    <div className="stack" data-testid="store-screen">
      <h2>Store</h2>
      <ErrorNote error={loaded.error} testId="store-error" />
      {overview.joined ? <Joined overview={overview} /> : <OnItsOwn onOpenSettings={onOpenSettings} />}
    </div>
  );
}

function OnItsOwn({ onOpenSettings }: { onOpenSettings: () => void }) {
  return (
    <div className="panel stack" data-testid="store-alone">
      <p>
        <strong>This register is on its own</strong> — it is not part of a store. It sells and reports to Metrc by itself, as always.
      </p>
      <p className="muted">To share one store server with the store's other registers, a manager joins it in Settings › Store server.</p>
      <div>
        <Button look="primary" onClick={onOpenSettings} data-testid="store-open-settings">
          Open Settings
        </Button>
      </div>
    </div>
  );
}

function Joined({ overview }: { overview: StoreOverviewView }) {
  const app = useAppState();
  const deadlineHours = (licence: string): number | null =>
    app.licences.find((l) => l.number === licence)?.reporting_deadline_hours ?? null;
  const clock = useFacilityClock();
  const time = useFacilityTime();
  const now = useNow(30_000);
  const { link, membership, server } = overview;
  const reachable = server?.reachable === true;
  return (
    <>
      <div className="panel stack" data-testid="store-link">
        <h3>This register</h3>
        <p>
          <strong>{membership?.register_name}</strong> in the store at{" "}
          <span className="muted">
            {membership?.host}:{membership?.port}/{membership?.database}
          </span>
        </p>
        {link.connected ? (
          <Note tone="ok" testId="store-link-state">
            Connected to the store server{link.last_success !== null ? `; last synced at ${clock(link.last_success)}` : ""}.
          </Note>
        ) : link.unreachable_since !== null ? (
          <Note tone="warn" testId="store-link-state">
            Store server unreachable since {clock(link.unreachable_since)} — counts may be behind. Selling goes on.
          </Note>
        ) : (
          <Note tone="info" testId="store-link-state">
            Connecting to the store server…
          </Note>
        )}
        <p className="muted" data-testid="store-not-pushed">
          {overview.not_pushed === 0 ? "The store has every record of this register." : `${overview.not_pushed} records of this register are not in the store yet.`}
        </p>
      </div>
      <StoreDeadlines />
      <AuditChains />
      {!reachable && server?.error && (
        <Note tone="warn" testId="store-server-unreachable">
          {server.error.message}
        </Note>
      )}
      {reachable && server !== null && (
        <>
          <div className="panel stack">
            <h3>Registers</h3>
            <table className="grid" data-testid="store-registers">
              <thead>
                <tr>
                  <th>Register</th>
                  <th>Last seen</th>
                  <th>Version</th>
                  <th>Records</th>
                  <th>Not yet with Metrc</th>
                </tr>
              </thead>
              <tbody>
                {server.registers.map((r) => (
                  <tr key={r.id} data-testid={`store-register-${r.name}`}>
                    <td>
                      {r.name} {r.this_register && <span className="muted">(this register)</span>}
                    </td>
                    <td>{time(r.last_seen_at)}</td>
                    <td>{r.app_version}</td>
                    <td>{r.records}</td>
                    <td>{r.open}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="panel stack">
            <h3>Backlog by licence and user</h3>
            {server.backlog.length === 0 ? (
              <p className="muted" data-testid="store-backlog-empty">
                Nothing in the store waits for Metrc.
              </p>
            ) : (
              <table className="grid" data-testid="store-backlog">
                <thead>
                  <tr>
                    <th>Licence</th>
                    <th>User</th>
                    <th>Waiting</th>
                    <th>Oldest</th>
                    <th>Oldest's deadline</th>
                  </tr>
                </thead>
                <tbody>
                  {server.backlog.map((b) => (
                    <tr key={`${b.licence}/${b.acting_user}`} data-testid={`store-backlog-${b.acting_user}`}>
                      <td>{b.licence}</td>
                      <td>{b.acting_user}</td>
                      <td>{b.open}</td>
                      <td>{formatDuration(ageMs(b.oldest, now) ?? 0)} old</td>
                      <Deadline oldest={b.oldest} hours={deadlineHours(b.licence)} now={now} />
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div className="panel stack">
            <h3>Whose key is where</h3>
            {server.keys.length === 0 ? (
              <p className="muted" data-testid="store-keys-empty">
                No register of the store holds a Metrc key yet.
              </p>
            ) : (
              <table className="grid" data-testid="store-keys">
                <thead>
                  <tr>
                    <th>Key of</th>
                    <th>Held at</th>
                    <th>Key</th>
                    <th>Saved</th>
                    <th>Last check</th>
                  </tr>
                </thead>
                <tbody>
                  {server.keys.map((k) => (
                    <tr
                      key={`${k.user ?? "facility"}/${k.register_name}`}
                      data-testid={`store-key-${k.user ?? "facility"}-${k.register_name}`}
                      data-newest={k.newest}
                    >
                      <td>{k.user ?? "Facility key"}</td>
                      <td>
                        {k.register_name} {k.this_register && <span className="muted">(this register)</span>}
                      </td>
                      <td>
                        …{k.last_four} {!k.newest && <span className="muted">(older copy: rotated elsewhere)</span>}
                      </td>
                      <td>{time(k.saved_at)}</td>
                      <td>{verdictWords(k.verdict)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </>
  );
}

/** How long the oldest waiting record has left before its reporting deadline, or how late it is. */
function Deadline({ oldest, hours, now }: { oldest: string; hours: number | null; now: number }) {
  const age = ageMs(oldest, now);
  if (hours === null || age === null) return <td className="muted">—</td>;
  const left = hours * 3_600_000 - age;
  return left >= 0 ? (
    <td data-state={left < 3_600_000 ? "soon" : "ok"}>due in {formatDuration(left)}</td>
  ) : (
    <td data-state="overdue">
      <strong>overdue by {formatDuration(-left)}</strong>
    </td>
  );
}

/** A key check's verdict code in words. */
function verdictWords(verdict: string | null): string {
  switch (verdict) {
    case "all_good":
      return "All good";
    case "missing_permissions":
      return "Works, some permissions missing";
    case "key_invalid":
      return "Refused by Metrc";
    case "could_not_check":
      return "Not checked yet (offline)";
    default:
      return "Not checked yet";
  }
}
