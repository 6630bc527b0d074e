/**
 * Sync: what waits for Metrc, per licence and per user, by state; the backlog over the last hours
 * as a small chart; progress while a backlog drains; the records themselves with each one's
 * history of attempts; and the actions: sync now, retry, edit and resend a rejected sale, and
 * (managers) void a record with a reason. A user whose records wait for a key that another register
 * of the store holds is told where it is ("Bea's key is only on Register 1…"). In a store, the
 * records list can show the whole store or one other register (read from this register's copy, so
 * it works while cut off, with how fresh the copy is); another register's records are read-only
 * here. Everything refetches on the backend's events.
 */
import { useState } from "react";
import type { CartLine, EntryHistoryView, EntryState, EntryView, StateCounts, StoreEntryView } from "../api";
import { useAction, useAppState, useBackend, useCan, useFacilityClock, useLoad, useNow, useSession, useStatus, useFacilityTime, useFacilityWhen } from "../context";
import { BacklogChart } from "../ui/BacklogChart";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { SelectField, TextArea, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { ShortId } from "../ui/ShortId";
import { licenceNote } from "./syncWords";
import { Reconciliation } from "./Reconciliation";
import { ScopePicker, useAsOf, useStoreRegisters } from "./StoreScope";
import type { Scope } from "./StoreScope";

const STATE_LABELS: Record<EntryState, string> = {
  pending: "pending",
  sending: "sending",
  confirmed: "in Metrc",
  ambiguous: "checking with Metrc",
  rejected: "refused by Metrc",
  waiting_for_key: "waiting for a key",
  voided: "voided",
};

const CHART_HOURS = 6;

export function Sync() {
  const can = useCan();
  const backend = useBackend();
  const status = useStatus();
  const clock = useFacilityClock();
  const elsewhere = useLoad((b) => b.keyWhereabouts(), [], ["store_changed", "keys_changed"]);
  const whereIsKey = (user: string): string | null => {
    const held = (elsewhere.data ?? []).filter((k) => k.user.toLowerCase() === user.toLowerCase());
    if (held.length === 0) return null;
    const at = held.map((k) => `${k.register_name} (last seen ${clock(k.register_seen_at)})`).join(" and ");
    return `${user}'s key is on ${at}: her sales here are sent to Metrc from there while it runs.`;
  };
  const [stateFilter, setStateFilter] = useState<EntryState | "">("");
  const [whose, setWhose] = useState<{ licence: string; user: string | null } | null>(null);
  const entries = useLoad(
    (b) =>
      b.listEntries({
        licence: whose?.licence ?? null,
        user: whose?.user ?? null,
        states: stateFilter === "" ? [] : [stateFilter],
        kind: null,
        before_id: null,
        limit: 100,
      }),
    [stateFilter, whose?.licence, whose?.user],
    ["records_changed"],
  );
  const registers = useStoreRegisters();
  const [scope, setScope] = useState<Scope>(null);
  const asOf = useAsOf();
  const storeEntries = useLoad(
    (b) =>
      scope === null
        ? Promise.resolve(null)
        : b.listStoreEntries({
            scope,
            licence: whose?.licence ?? null,
            user: whose?.user ?? null,
            states: stateFilter === "" ? [] : [stateFilter],
            kind: null,
            limit: 100,
          }),
    [scope?.kind, scope?.kind === "register" ? scope.register_id : null, stateFilter, whose?.licence, whose?.user],
    ["records_changed", "store_changed"],
  );
  const history = useLoad((b) => b.backlogSeries({ hours: CHART_HOURS }), [], ["status_changed"]);
  const now = useNow(30_000);
  const app = useAppState();
  const zoneOf = (licence: string) => app.licences.find((l) => l.number === licence)?.time_zone;
  const sync = useAction();
  const [openHistory, setOpenHistory] = useState<number | null>(null);
  const [voiding, setVoiding] = useState<EntryView | null>(null);
  const [editing, setEditing] = useState<EntryView | null>(null);
  const drain = status?.drain ?? null;

  return (
    <div className="stack">
      <section className="stack">
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2>Sync with Metrc</h2>
          <Button look="primary" disabled={sync.busy} onClick={() => void sync.attempt(() => backend.syncNow())} data-testid="sync-now">
            Sync now
          </Button>
        </div>
        <ErrorNote error={sync.error } testId="sync-error" />
        {drain !== null && (
          <div className="stack" data-testid="sync-progress" data-remaining={drain.remaining}>
            <label htmlFor="drain">
              Catching up: {drain.total - drain.remaining} of {drain.total} sent
            </label>
            <progress id="drain" max={drain.total} value={drain.total - drain.remaining} />
          </div>
        )}
        <div className="panel">
          <h3>Waiting over the last {CHART_HOURS} hours</h3>
          <BacklogChart
            points={(history.data ?? []).map((p) => ({ at: Date.parse(p.at), waiting: p.waiting }))}
            now={now}
            windowMs={CHART_HOURS * 3_600_000}
          />
        </div>
      </section>
      {status !== null && (
        <section className="stack">
          <h3>By licence</h3>
          <CountsTable
            testId="sync-licences"
            rows={status.licences.map((l) => ({ key: l.licence, name: l.licence, counts: l.counts, note: licenceNote(l, now, zoneOf(l.licence)) }))}
            onPick={(key) => setWhose({ licence: key, user: null })}
          />
          <h3>By user</h3>
          <CountsTable
            testId="sync-users"
            rows={status.users.map((u) => ({
              key: `${u.licence}/${u.user}`,
              name: `${u.user} (${u.licence})`,
              counts: u.counts,
              note: u.key_problem ?? (u.counts.waiting_for_key > 0 ? whereIsKey(u.user) : null),
            }))}
            onPick={(key) => {
              const [licence = "", user = null] = key.split("/");
              setWhose({ licence, user });
            }}
          />
        </section>
      )}
      <section className="stack">
        <div className="row">
          <h3 style={{ flex: 1 }}>
            Records{whose !== null && ` of ${whose.user ?? "everyone"} at ${whose.licence}`}
          </h3>
          {whose !== null && (
            <Button onClick={() => setWhose(null)} data-testid="sync-show-all">
              Show everyone's
            </Button>
          )}
          <ScopePicker registers={registers} value={scope} onChange={setScope} testId="sync-scope" />
          <SelectField
            label="Show"
            value={stateFilter}
            onChange={(e) => setStateFilter(e.target.value as EntryState | "")}
            choices={[{ value: "", label: "all" }, ...Object.entries(STATE_LABELS).map(([value, label]) => ({ value, label }))]}
            data-testid="sync-filter"
          />
        </div>
        {scope !== null && storeEntries.data !== null && (
          <p className="muted" data-testid="sync-scope-as-of">
            Other registers' records {asOf(storeEntries.data.as_of)}; they are read-only here.
          </p>
        )}
        <ErrorNote error={scope === null ? entries.error : storeEntries.error} />
        {scope !== null ? (
          <StoreEntries
            entries={storeEntries.data?.entries ?? null}
            canResolve={can("resolve_rejected")}
            openHistory={openHistory}
            setOpenHistory={setOpenHistory}
            onVoid={setVoiding}
            onEdit={setEditing}
          />
        ) : (
          <>
            <table className="grid" data-testid="sync-entries">
              <thead>
                <tr>
                  <th>#</th>
                  <th>What</th>
                  <th>Who</th>
                  <th>Made</th>
                  <th>State</th>
                  <th>Last problem</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {(entries.data ?? []).map((e) => (
                  <EntryRow
                    key={e.id}
                    entry={e}
                    canResolve={can("resolve_rejected")}
                    open={openHistory === e.id}
                    onToggle={() => setOpenHistory(openHistory === e.id ? null : e.id)}
                    onVoid={() => setVoiding(e)}
                    onEdit={() => setEditing(e)}
                  />
                ))}
              </tbody>
            </table>
            {entries.data?.length === 0 && <p className="muted">No records here.</p>}
          </>
        )}
      </section>
      {can("reconcile_with_metrc") && <Reconciliation />}
      {voiding !== null && <VoidDialog entry={voiding} onClose={() => setVoiding(null)} />}
      {editing !== null && <EditDialog entry={editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function CountsTable(props: {
  rows: { key: string; name: string; counts: StateCounts; note: string | null }[];
  testId: string;
  onPick: (key: string) => void;
}) {
  const { rows, testId, onPick } = props;
  if (rows.length === 0) return <p className="muted">Nothing waiting.</p>;
  return (
    <table className="grid" data-testid={testId}>
      <thead>
        <tr>
          <th />
          <th className="num">Pending</th>
          <th className="num">Checking</th>
          <th className="num">Refused</th>
          <th className="num">Waiting for key</th>
          <th className="num">Total</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-testid={`${testId}-${r.key}`}>
            <td>
              <Button onClick={() => onPick(r.key)} aria-label={`Show the records of ${r.name}`} data-testid={`${testId}-pick-${r.key}`}>
                {r.name}
              </Button>
            </td>
            <td className="num">{r.counts.pending + r.counts.sending}</td>
            <td className="num">{r.counts.ambiguous}</td>
            <td className="num">{r.counts.rejected}</td>
            <td className="num">{r.counts.waiting_for_key}</td>
            <td className="num">{r.counts.waiting}</td>
            <td>{r.note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The records of a store scope: this register's with their actions, the others' read-only. */
function StoreEntries(props: {
  entries: StoreEntryView[] | null;
  canResolve: boolean;
  openHistory: number | null;
  setOpenHistory: (id: number | null) => void;
  onVoid: (entry: EntryView) => void;
  onEdit: (entry: EntryView) => void;
}) {
  const { entries, openHistory, setOpenHistory } = props;
  const facilityTime = useFacilityTime();
  return (
    <>
      <table className="grid" data-testid="sync-store-entries">
        <thead>
          <tr>
            <th>Register</th>
            <th>#</th>
            <th>What</th>
            <th>Who</th>
            <th>Made</th>
            <th>State</th>
            <th>Last problem</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {(entries ?? []).map((e) => {
            const own = e.own;
            if (own !== null) {
              return (
                <EntryRow
                  key={`own-${own.id}`}
                  register={e.register_name === "" ? "this register" : `${e.register_name} (this one)`}
                  entry={own}
                  canResolve={props.canResolve}
                  open={openHistory === own.id}
                  onToggle={() => setOpenHistory(openHistory === own.id ? null : own.id)}
                  onVoid={() => props.onVoid(own)}
                  onEdit={() => props.onEdit(own)}
                />
              );
            }
            return (
              <tr key={`${e.register_id}-${e.seq}`} data-testid={`peer-row-${e.client_id}`} data-state={e.state ?? "unknown"}>
                <td>{e.register_name}</td>
                <td>{e.seq}</td>
                <td>
                  {e.kind.replace(/_/g, " ")} <span className="muted"><ShortId id={e.client_id} /></span>
                </td>
                <td>{e.acting_user}</td>
                <td>{facilityTime(e.occurred_at, e.licence)}</td>
                <td>{e.state === null ? "not reported yet" : STATE_LABELS[e.state]}</td>
                <td />
                <td className="muted">read-only here</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {entries?.length === 0 && <p className="muted">No records here.</p>}
    </>
  );
}

function EntryRow(props: {
  entry: EntryView;
  canResolve: boolean;
  open: boolean;
  onToggle: () => void;
  onVoid: () => void;
  onEdit: () => void;
  /** In a store scope: the register column. */
  register?: string;
}) {
  const { entry, canResolve, open } = props;
  const session = useSession();
  const backend = useBackend();
  const retry = useAction();
  const facilityWhen = useFacilityWhen();
  const retryable =
    (entry.state === "rejected" && canResolve) || (entry.state === "waiting_for_key" && (canResolve || entry.acting_user === session.user));
  const voidable = canResolve && entry.state !== "confirmed" && entry.state !== "voided" && entry.state !== "sending";
  return (
    <>
      <tr data-testid={`entry-row-${entry.id}`} data-state={entry.state} data-client-id={entry.client_id}>
        {props.register !== undefined && <td>{props.register}</td>}
        <td>{entry.id}</td>
        <td>
          {entry.kind.replace(/_/g, " ")} <span className="muted"><ShortId id={entry.client_id} /></span>
        </td>
        <td>{entry.acting_user}</td>
        <td className="words">{facilityWhen(entry.occurred_at, entry.licence)}</td>
        <td className="words">{STATE_LABELS[entry.state]}</td>
        <td>{entry.state === "voided" ? `voided by ${entry.voided_by ?? "?"}: ${entry.void_reason ?? ""}` : entry.last_error}</td>
        <td>
          <div className="row actions">
            <Button onClick={props.onToggle} aria-expanded={open} data-testid={`entry-history-${entry.id}`}>
              History
            </Button>
            {retryable && (
              <Button disabled={retry.busy} onClick={() => void retry.attempt(() => backend.retryEntry({ id: entry.id }))} data-testid={`entry-retry-${entry.id}`}>
                Retry
              </Button>
            )}
            {entry.state === "rejected" && canResolve && (entry.kind === "sale" || entry.kind === "adjustment") && (
              <Button onClick={props.onEdit} data-testid={`entry-edit-${entry.id}`}>
                Edit and resend
              </Button>
            )}
            {voidable && (
              <Button look="danger" onClick={props.onVoid} data-testid={`entry-void-${entry.id}`}>
                Void
              </Button>
            )}
          </div>
          <ErrorNote error={retry.error} />
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={props.register === undefined ? 7 : 8}>
            <History id={entry.id} />
          </td>
        </tr>
      )}
    </>
  );
}

function History({ id }: { id: number }) {
  const facilityTime = useFacilityTime();
  const history = useLoad((b) => b.entryHistory({ id }), [id], ["records_changed"]);
  if (history.error !== null) return <ErrorNote error={history.error} />;
  if (history.data === null) return <p className="muted">Loading…</p>;
  const { content, transitions, attempts } = history.data;
  return (
    <div className="stack" data-testid={`entry-details-${id}`}>
      <p>{describeContent(content)}</p>
      <h4>What happened</h4>
      <ol data-testid={`entry-transitions-${id}`}>
        {transitions.map((t, i) => (
          <li key={i}>
            {facilityTime(t.at)}: {STATE_LABELS[t.from]} → {STATE_LABELS[t.to]}
            {t.detail !== null && ` (${t.detail})`}
          </li>
        ))}
      </ol>
      <h4>Attempts</h4>
      {attempts.length === 0 ? (
        <p className="muted">Not sent yet.</p>
      ) : (
        <ol data-testid={`entry-attempts-${id}`}>
          {attempts.map((a, i) => (
            <li key={i}>
              {facilityTime(a.at)}: {(a.outcome ?? "unknown").replace(/_/g, " ")}
              {a.http_status !== null && ` (HTTP ${a.http_status})`}
              {a.message !== null && `: ${a.message}`}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function describeContent(content: EntryHistoryView["content"]): string {
  switch (content.kind) {
    case "sale":
      return `Sale to ${content.customer_type}: ${content.lines.map((l) => `${l.quantity} of ${l.label} for $${l.price}`).join(", ")}`;
    case "adjustment":
      return `Adjust ${content.label} by ${content.quantity} (${content.reason}${content.note === null ? "" : `: ${content.note}`})`;
    case "other":
      return content.summary;
  }
}

function VoidDialog({ entry, onClose }: { entry: EntryView; onClose: () => void }) {
  const backend = useBackend();
  const [reason, setReason] = useState("");
  const { busy, error, attempt } = useAction();
  return (
    <Dialog
      title={`Void record ${entry.id}`}
      confirmLabel="Void it"
      danger
      confirmDisabled={reason.trim() === "" || busy}
      testId="void-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        if (reason.trim() === "") return;
        if (await attempt(() => backend.voidEntry({ id: entry.id, reason: reason.trim() }))) onClose();
      }}
    >
      <p>
        Voiding withdraws this {entry.kind.replace(/_/g, " ")} by {entry.acting_user}: it will not be sent to Metrc. The reason
        goes into the audit log.
      </p>
      <TextArea label="Reason (required)" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="void-reason" />
      <ErrorNote error={error} testId="void-error" />
    </Dialog>
  );
}

function EditDialog({ entry, onClose }: { entry: EntryView; onClose: () => void }) {
  const history = useLoad((b) => b.entryHistory({ id: entry.id }), [entry.id]);
  const content = history.data?.content ?? null;
  return (
    <>
      {content === null && history.error !== null && (
        <Dialog title="Edit and resend" confirmLabel="Close" onConfirm={onClose} onCancel={onClose}>
          <ErrorNote error={history.error} />
        </Dialog>
      )}
      {content?.kind === "sale" && <EditSale entry={entry} lines={content.lines} onClose={onClose} />}
      {content?.kind === "adjustment" && <EditAdjustment entry={entry} content={content} onClose={onClose} />}
    </>
  );
}

function EditSale({ entry, lines, onClose }: { entry: EntryView; lines: CartLine[]; onClose: () => void }) {
  const backend = useBackend();
  const [edited, setEdited] = useState<CartLine[]>(lines);
  const { busy, error, attempt } = useAction();
  const set = (i: number, change: Partial<CartLine>) => setEdited((ls) => ls.map((l, j) => (j === i ? { ...l, ...change } : l)));
  return (
    <Dialog
      title={`Edit and resend sale ${entry.client_id}`}
      confirmLabel="Resend"
      confirmDisabled={busy}
      testId="edit-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        if (await attempt(() => backend.editAndResend({ id: entry.id, edit: { kind: "sale_lines", lines: edited } }))) onClose();
      }}
    >
      {entry.last_error !== null && <Note tone="error">Metrc said: {entry.last_error}</Note>}
      {edited.map((l, i) => (
        <div className="row" key={i}>
          <TextField label={`Package ${i + 1}`} value={l.label} onChange={(e) => set(i, { label: e.target.value })} data-testid={`edit-label-${i}`} />
          <TextField label="Quantity" value={l.quantity} onChange={(e) => set(i, { quantity: e.target.value })} data-testid={`edit-quantity-${i}`} />
          <TextField label="Line price ($)" value={l.price} onChange={(e) => set(i, { price: e.target.value })} data-testid={`edit-price-${i}`} />
        </div>
      ))}
      <ErrorNote error={error} testId="edit-error" />
    </Dialog>
  );
}

function EditAdjustment(props: { entry: EntryView; content: Extract<EntryHistoryView["content"], { kind: "adjustment" }>; onClose: () => void }) {
  const { entry, content, onClose } = props;
  const backend = useBackend();
  const [quantity, setQuantity] = useState(content.quantity);
  const [reason, setReason] = useState(content.reason);
  const [note, setNote] = useState(content.note ?? "");
  const { busy, error, attempt } = useAction();
  return (
    <Dialog
      title={`Edit and resend adjustment of ${content.label}`}
      confirmLabel="Resend"
      confirmDisabled={busy}
      testId="edit-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        const edit = { kind: "adjustment" as const, quantity: quantity.trim(), reason: reason.trim(), note: note.trim() === "" ? null : note.trim() };
        if (await attempt(() => backend.editAndResend({ id: entry.id, edit }))) onClose();
      }}
    >
      {entry.last_error !== null && <Note tone="error">Metrc said: {entry.last_error}</Note>}
      <TextField label="Quantity" value={quantity} onChange={(e) => setQuantity(e.target.value)} data-testid="edit-quantity-0" />
      <TextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="edit-reason" />
      <TextArea label="Note" value={note} onChange={(e) => setNote(e.target.value)} data-testid="edit-note" />
      <ErrorNote error={error} testId="edit-error" />
    </Dialog>
  );
}
