/**
 * Inventory: the packages on hand with local on-hand (Metrc's quantity minus what is recorded here
 * and not yet confirmed), refresh from Metrc, incoming manifests while Metrc is reachable, and the
 * manager's changes: adjust (Metrc's reasons, a note when the reason needs one), merge several
 * packages into a new tag, and split one package into new tags; and the items the purchase limits
 * cannot count yet, which a manager maps (`InventoryLimits`).
 */
import { useState } from "react";
import type { AdjustReasonView, NewPackageRequest, PackageView } from "../api";
import { useAction, useAppState, useBackend, useCan, useLoad, useStatus, useFacilityTime } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { SelectField, TextArea, TextField } from "../ui/Field";
import { ShortId } from "../ui/ShortId";
import { ErrorNote, Note } from "../ui/Note";
import { InventoryLimits } from "./InventoryLimits";

/** A split: one new package per part, each taking its quantity from the one source. */
export function splitOutputs(source: string, parts: { tag: string; quantity: string }[]): NewPackageRequest[] {
  return parts.map((p) => ({
    tag: p.tag.trim(),
    item_name: null,
    quantity: p.quantity.trim(),
    ingredients: [{ label: source, quantity: p.quantity.trim() }],
  }));
}

/** A merge: one new package holding the sum of what each source gives. */
export function mergeOutput(tag: string, sources: { label: string; quantity: string }[]): NewPackageRequest {
  const total = sources.reduce((sum, s) => sum + Number(s.quantity), 0);
  return { tag: tag.trim(), item_name: null, quantity: String(Math.round(total * 1e6) / 1e6), ingredients: sources };
}

type Editing = { kind: "adjust"; pkg: PackageView } | { kind: "split"; pkg: PackageView } | { kind: "merge"; pkgs: PackageView[] } | null;

export function Inventory() {
  const app = useAppState();
  const can = useCan();
  const [licenceNumber, setLicenceNumber] = useState<string | null>(null);
  const licence = (app.licences.find((l) => l.number === licenceNumber) ?? app.licences[0])?.number ?? null;
  const packages = useLoad((b) => b.listPackages({ licence }), [licence], ["inventory_changed"]);
  const status = useStatus();
  const online = status !== null && (status.health === "in_step" || status.health === "rate_limited" || status.health === "key_problem");
  const manifests = useLoad((b) => (online ? b.incomingManifests({ licence }) : Promise.resolve(null)), [licence, online]);
  const [refreshed, setRefreshed] = useState<string | null>(null);
  const facilityTime = useFacilityTime();
  const backend = useBackend();
  const refresh = useAction();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const shown = (packages.data ?? []).filter(
    (p) => needle === "" || p.label.toLowerCase().includes(needle) || p.item_name.toLowerCase().includes(needle),
  );
  const [editing, setEditing] = useState<Editing>(null);

  const toggle = (label: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(label)) next.delete(label);
      else next.add(label);
      return next;
    });

  return (
    <div className="stack">
      <section className="stack">
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2>Inventory</h2>
          <div className="row">
            {app.licences.length > 1 && (
              <SelectField
                label="Licence"
                value={licence ?? ""}
                onChange={(e) => setLicenceNumber(e.target.value)}
                choices={app.licences.map((l) => ({ value: l.number, label: `${l.name} (${l.number})` }))}
              />
            )}
            {can("merge_or_split") && (
              <Button
                disabled={selected.size < 2}
                onClick={() => setEditing({ kind: "merge", pkgs: (packages.data ?? []).filter((p) => selected.has(p.label)) })}
                data-testid="inventory-merge"
              >
                Merge selected ({selected.size})
              </Button>
            )}
            <Button
              look="primary"
              disabled={refresh.busy || licence === null}
              onClick={async () => {
                setRefreshed(null);
                const summary = await refresh.act(() => backend.refreshInventory({ licence }));
                if (summary !== undefined) setRefreshed(`${summary.packages} packages, ${summary.items} items and ${summary.reasons} adjustment reasons read from Metrc.`);
              }}
              data-testid="inventory-refresh"
            >
              {refresh.busy ? "Refreshing…" : "Refresh from Metrc"}
            </Button>
          </div>
        </div>
        <ErrorNote error={refresh.error ?? packages.error} testId="inventory-error" />
        {refreshed !== null && <Note tone="ok" testId="inventory-refreshed">{refreshed}</Note>}
        <TextField label="Find (label or product)" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="inventory-filter" />
        <table className="grid" data-testid="inventory-table">
          <thead>
            <tr>
              {can("merge_or_split") && <th aria-label="Select" />}
              <th>Label</th>
              <th>Product</th>
              <th className="num">On hand here</th>
              <th className="num">Metrc</th>
              <th>Updated</th>
              {(can("adjust") || can("merge_or_split")) && <th>Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.label} data-testid={`package-row-${p.label}`}>
                {can("merge_or_split") && (
                  <td>
                    <label className="checkbox touch">
                      <input
                        type="checkbox"
                        aria-label={`Select ${p.label}`}
                        checked={selected.has(p.label)}
                        onChange={() => toggle(p.label)}
                        data-testid={`package-select-${p.label}`}
                      />
                    </label>
                  </td>
                )}
                <td>
                  <ShortId id={p.label} />
                  {p.local_only && <span className="muted"> (new, not yet in Metrc)</span>}
                </td>
                <td>{p.item_name}</td>
                <td className="num" data-testid={`package-onhand-${p.label}`}>
                  {p.on_hand} {p.unit_of_measure}
                </td>
                <td className="num">
                  {p.metrc_quantity} {p.unit_of_measure}
                </td>
                <td>{facilityTime(p.last_modified, p.licence)}</td>
                {(can("adjust") || can("merge_or_split")) && (
                  <td>
                    <div className="row actions">
                      {can("adjust") && (
                        <Button onClick={() => setEditing({ kind: "adjust", pkg: p })} data-testid={`package-adjust-${p.label}`}>
                          Adjust
                        </Button>
                      )}
                      {can("merge_or_split") && (
                        <Button onClick={() => setEditing({ kind: "split", pkg: p })} data-testid={`package-split-${p.label}`}>
                          Split
                        </Button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <InventoryLimits licence={licence} />
      <section className="stack" data-testid="manifests">
        <h3>Incoming manifests</h3>
        {!online ? (
          <Note tone="info">Incoming manifests show when Metrc is reachable.</Note>
        ) : (
          <>
            <ErrorNote error={manifests.error} />
            {manifests.data !== null && manifests.data.length === 0 && <p className="muted">Nothing incoming.</p>}
            {manifests.data !== null && manifests.data.length > 0 && (
              <table className="grid">
                <thead>
                  <tr>
                    <th>Manifest</th>
                    <th>From</th>
                    <th>Arrives</th>
                    <th>Packages</th>
                    <th>Received</th>
                  </tr>
                </thead>
                <tbody>
                  {manifests.data.map((m) => (
                    <tr key={m.id} data-testid={`manifest-row-${m.id}`}>
                      <td>{m.manifest_number ?? m.id}</td>
                      <td>{m.shipper ?? "—"}</td>
                      <td>{facilityTime(m.estimated_arrival, licence)}</td>
                      <td>
                        {m.packages.map((p) => (
                          <div key={p.label}>
                            {p.label} {p.item_name ?? ""} {p.quantity ?? ""} {p.unit_of_measure ?? ""}
                          </div>
                        ))}
                      </td>
                      <td>{m.received_at === null ? "not yet" : facilityTime(m.received_at, licence)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </section>
      {editing?.kind === "adjust" && (
        <AdjustDialog pkg={editing.pkg} licence={licence} onClose={() => setEditing(null)} />
      )}
      {editing?.kind === "split" && <SplitDialog pkg={editing.pkg} onClose={() => setEditing(null)} />}
      {editing?.kind === "merge" && (
        <MergeDialog
          pkgs={editing.pkgs}
          onClose={(done) => {
            setEditing(null);
            if (done) setSelected(new Set());
          }}
        />
      )}
    </div>
  );
}

function AdjustDialog({ pkg, licence, onClose }: { pkg: PackageView; licence: string | null; onClose: () => void }) {
  const backend = useBackend();
  const reasons = useLoad((b) => b.adjustReasons({ licence }), [licence]);
  const [quantity, setQuantity] = useState("");
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const { busy, error, attempt } = useAction();
  const chosen: AdjustReasonView | undefined = reasons.data?.find((r) => r.name === reason);
  const noteNeeded = chosen?.requires_note ?? false;
  const ready = quantity.trim() !== "" && reason !== "" && (!noteNeeded || note.trim() !== "");

  return (
    <Dialog
      title={`Adjust ${pkg.label}`}
      confirmLabel="Record adjustment"
      confirmDisabled={!ready || busy}
      testId="adjust-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        const done = await attempt(() => backend.adjustPackage({ label: pkg.label, quantity: quantity.trim(), reason, note: note.trim() === "" ? null : note.trim() }));
        if (done) onClose();
      }}
    >
      <p className="muted">
        {pkg.item_name}: {pkg.on_hand} {pkg.unit_of_measure} on hand. Use a negative number to take away.
      </p>
      <TextField label={`Change (${pkg.unit_of_measure})`} inputMode="decimal" value={quantity} onChange={(e) => setQuantity(e.target.value)} data-testid="adjust-quantity" />
      <SelectField
        label="Reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        choices={[{ value: "", label: "Choose a reason…" }, ...(reasons.data ?? []).map((r) => ({ value: r.name, label: r.name }))]}
        data-testid="adjust-reason"
      />
      <TextArea
        label={noteNeeded ? "Note (required for this reason)" : "Note"}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        data-testid="adjust-note"
      />
      <ErrorNote error={error ?? reasons.error} testId="adjust-error" />
    </Dialog>
  );
}

function SplitDialog({ pkg, onClose }: { pkg: PackageView; onClose: () => void }) {
  const backend = useBackend();
  const [parts, setParts] = useState([{ tag: "", quantity: "" }]);
  const { busy, error, attempt } = useAction();
  const ready = parts.every((p) => p.tag.trim() !== "" && p.quantity.trim() !== "");
  const set = (i: number, change: Partial<{ tag: string; quantity: string }>) =>
    setParts((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));

  return (
    <Dialog
      title={`Split ${pkg.label}`}
      confirmLabel="Create new packages"
      confirmDisabled={!ready || busy}
      testId="split-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        const done = await attempt(() => backend.newPackages({ outputs: splitOutputs(pkg.label, parts) }));
        if (done) onClose();
      }}
    >
      <p className="muted">
        {pkg.on_hand} {pkg.unit_of_measure} on hand. Each new package needs an unused tag.
      </p>
      {parts.map((p, i) => (
        <div className="row" key={i}>
          <TextField label={`New tag ${i + 1}`} value={p.tag} onChange={(e) => set(i, { tag: e.target.value })} data-testid={`split-tag-${i}`} />
          <TextField label={`Quantity (${pkg.unit_of_measure})`} inputMode="decimal" value={p.quantity} onChange={(e) => set(i, { quantity: e.target.value })} data-testid={`split-quantity-${i}`} />
        </div>
      ))}
      <Button onClick={() => setParts((ps) => [...ps, { tag: "", quantity: "" }])} data-testid="split-add-part">
        Add another new package
      </Button>
      <ErrorNote error={error} testId="split-error" />
    </Dialog>
  );
}

function MergeDialog({ pkgs, onClose }: { pkgs: PackageView[]; onClose: (done: boolean) => void }) {
  const backend = useBackend();
  const [tag, setTag] = useState("");
  const [quantities, setQuantities] = useState<Record<string, string>>(() => Object.fromEntries(pkgs.map((p) => [p.label, p.on_hand])));
  const { busy, error, attempt } = useAction();

  return (
    <Dialog
      title={`Merge ${pkgs.length} packages`}
      confirmLabel="Create merged package"
      confirmDisabled={tag.trim() === "" || busy}
      testId="merge-dialog"
      onCancel={() => onClose(false)}
      onConfirm={async () => {
        const done = await attempt(() => backend.newPackages({ outputs: [mergeOutput(tag, pkgs.map((p) => ({ label: p.label, quantity: (quantities[p.label] ?? "").trim() })))] }));
        if (done) onClose(true);
      }}
    >
      {pkgs.map((p) => (
        <TextField
          key={p.label}
          label={`From ${p.label} (${p.unit_of_measure})`}
          inputMode="decimal"
          value={quantities[p.label] ?? ""}
          onChange={(e) => setQuantities((q) => ({ ...q, [p.label]: e.target.value }))}
          data-testid={`merge-quantity-${p.label}`}
        />
      ))}
      <TextField label="New tag" value={tag} onChange={(e) => setTag(e.target.value)} data-testid="merge-tag" />
      <ErrorNote error={error} testId="merge-error" />
    </Dialog>
  );
}
