/**
 * Reconciliation with Metrc, on the Sync screen (managers: `reconcile_with_metrc`): run it for a
 * chosen day and licence (it only reads from Metrc), the last daily run and what the background
 * daily check did, recent runs, and each difference with its kind, values and suggested fix. A
 * fix is always a manager's explicit choice confirmed in a dialog (voiding a receipt in Metrc is
 * marked as such); the backend audits it. Refetches on `audit_appended` and `records_changed`.
 */
import { useState } from "react";
import type { DifferenceKind, DifferenceView, FixCode, ReconciliationView } from "../api";
import { useAction, useAppState, useBackend, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { SelectField, TextArea, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { facilityDay } from "./days";

export const KIND_LABELS: Record<DifferenceKind, string> = {
  missing_in_metrc: "Missing in Metrc",
  unknown_external_number: "Receipt not made here",
  duplicate_external_number: "Duplicate receipt in Metrc",
  quantity_differs: "Quantity differs",
  amount_differs: "Amount differs",
  void_missing_in_metrc: "Voided here, active in Metrc",
  voided_only_in_metrc: "Voided only in Metrc",
  withdrawn_but_in_metrc: "Withdrawn here, yet in Metrc",
};

export const FIX_LABELS: Record<FixCode, string> = {
  resend_sale: "Re-send the sale",
  void_in_metrc: "Void the receipt in Metrc",
  resend_correction: "Re-send as a correction",
  acknowledge: "Acknowledge",
};

const CHECK_OUTCOMES: Record<string, string> = {
  ran: "ran",
  already_ran: "had already run",
  no_key: "could not run (no key)",
  failed: "failed",
};

export function Reconciliation() {
  const backend = useBackend();
  const { licences } = useAppState();
  const [licence, setLicence] = useState(licences[0]?.number ?? "");
  const zone = licences.find((l) => l.number === licence)?.time_zone;
  const [day, setDay] = useState(() => facilityDay(zone, 1));
  const overview = useLoad((b) => b.reconciliationOverview({ licence: licence === "" ? null : licence }), [licence], ["audit_appended", "records_changed"]);
  const [shownId, setShownId] = useState<number | null>(null);
  const shown = useLoad((b) => (shownId === null ? Promise.resolve(null) : b.reconciliationRun({ id: shownId })), [shownId], ["audit_appended"]);
  const run = useAction();
  const facilityTime = useFacilityTime();
  const view: ReconciliationView | null = shownId === null ? (overview.data?.last_daily ?? null) : shown.data;

  return (
    <section className="stack" data-testid="reconciliation">
      <h3>Reconciliation with Metrc</h3>
      <p className="muted">Compares a day of this register's sales with Metrc's receipts. A run only reads from Metrc; nothing changes until you choose a fix.</p>
      <div className="row">
        {licences.length > 1 && (
          <SelectField
            label="Licence"
            value={licence}
            onChange={(e) => {
              setLicence(e.target.value);
              setShownId(null);
            }}
            choices={licences.map((l) => ({ value: l.number, label: `${l.number} ${l.name}` }))}
            data-testid="reconcile-licence"
          />
        )}
        <TextField label="Day" type="date" value={day} onChange={(e) => setDay(e.target.value)} data-testid="reconcile-day" />
        <Button
          look="primary"
          disabled={run.busy || day === ""}
          onClick={async () => {
            const report = await run.act(() => backend.reconcileDay({ licence: licence === "" ? null : licence, day }));
            if (report !== undefined) {
              setShownId(report.run.id);
              overview.reload();
            }
          }}
          data-testid="reconcile-run"
        >
          {run.busy ? "Comparing with Metrc…" : "Reconcile this day"}
        </Button>
      </div>
      <ErrorNote error={run.error ?? overview.error ?? shown.error} testId="reconcile-error" />
      {overview.data !== null && (
        <div className="stack" data-testid="reconcile-daily">
          {overview.data.daily_checks.map((c) => (
            <Note key={`${c.licence}-${c.day}`} tone={c.outcome === "failed" || c.outcome === "no_key" ? "warn" : "info"} testId="reconcile-daily-check">
              Daily check at {facilityTime(c.checked_at, c.licence)}: the run for {c.day} {CHECK_OUTCOMES[c.outcome] ?? c.outcome}
              {c.message !== null && `: ${c.message}`}
            </Note>
          ))}
          {overview.data.last_daily === null && <p className="muted">No daily run yet: the app compares yesterday once a day by itself.</p>}
        </div>
      )}
      {view !== null && <RunReport view={view} onDone={() => (shownId === null ? overview.reload() : shown.reload())} />}
      {overview.data !== null && overview.data.runs.length > 0 && (
        <details data-testid="reconcile-runs">
          <summary>Recent runs</summary>
          <table className="grid">
            <thead>
              <tr>
                <th>Day</th>
                <th>How</th>
                <th>Sales here</th>
                <th>Receipts in Metrc</th>
                <th>Differences</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {overview.data.runs.map((r) => (
                <tr key={r.id} data-testid="reconcile-run-row">
                  <td>{r.day}</td>
                  <td>{r.trigger}</td>
                  <td>{r.local_sales}</td>
                  <td>{r.metrc_receipts}</td>
                  <td>{r.differences}</td>
                  <td>
                    <Button onClick={() => setShownId(r.id)} data-testid={`reconcile-show-${r.id}`}>
                      Show
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}

function RunReport({ view, onDone }: { view: ReconciliationView; onDone: () => void }) {
  const { run, differences } = view;
  const [fixing, setFixing] = useState<{ difference: DifferenceView; fix: FixCode } | null>(null);
  return (
    <div className="panel stack" data-testid="reconcile-report" data-run={run.id}>
      <h4>
        {run.trigger === "daily" ? "Daily run" : "Run"} for {run.day} at {run.licence}
      </h4>
      <p data-testid="reconcile-summary">
        {run.local_sales} sales here, {run.metrc_receipts} receipts in Metrc, {run.differences} {run.differences === 1 ? "difference" : "differences"}
        {run.not_compared > 0 && ` (${run.not_compared} sales still on their way to Metrc were not compared)`}.
      </p>
      {differences.length === 0 ? (
        <Note tone="ok" testId="reconcile-clean">
          This register and Metrc agree on this day.
        </Note>
      ) : (
        <table className="grid" data-testid="reconcile-differences">
          <thead>
            <tr>
              <th>What</th>
              <th>Receipt</th>
              <th>Package</th>
              <th>Here</th>
              <th>Metrc</th>
              <th>Suggested fix</th>
              <th>Action</th>
            </tr>
          </thead>
          <tbody>
            {differences.map((d) => (
              <tr key={d.id} data-testid="reconcile-difference" data-kind={d.kind} data-id={d.id}>
                <td>{KIND_LABELS[d.kind]}</td>
                <td>
                  {d.client_id ?? "—"}
                  {d.metrc_receipt_id !== null && <span className="muted"> (Metrc {d.metrc_receipt_id})</span>}
                </td>
                <td>{d.label ?? "—"}</td>
                <td>{d.local_value ?? "—"}</td>
                <td>{d.metrc_value ?? "—"}</td>
                <td>{d.fix_text}</td>
                <td>
                  {d.resolution !== null ? (
                    <span data-testid="reconcile-resolved">
                      {FIX_LABELS[d.resolution]} by {d.resolved_by ?? "someone"}
                      {d.resolution_note !== null && `: ${d.resolution_note}`}
                    </span>
                  ) : (
                    <div className="row">
                      {[d.suggested_fix, ...d.fixes.filter((f) => f !== d.suggested_fix)].map((fix) => (
                        <Button
                          key={fix}
                          look={fix === "void_in_metrc" ? "danger" : fix === d.suggested_fix ? "primary" : "secondary"}
                          onClick={() => setFixing({ difference: d, fix })}
                          data-testid={`reconcile-fix-${fix}`}
                        >
                          {FIX_LABELS[fix]}
                        </Button>
                      ))}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {fixing !== null && (
        <FixDialog
          difference={fixing.difference}
          fix={fixing.fix}
          onClose={(done) => {
            setFixing(null);
            if (done) onDone();
          }}
        />
      )}
    </div>
  );
}

function consequence(d: DifferenceView, fix: FixCode): string {
  switch (fix) {
    case "void_in_metrc":
      return `This voids receipt ${d.metrc_receipt_id ?? ""} in Metrc now. It cannot be undone from here.`;
    case "resend_sale":
      return `Sale ${d.client_id ?? ""} is queued again under a new receipt number; the goods already left, so on-hand does not change.`;
    case "resend_correction":
      return `The lines of sale ${d.client_id ?? ""} are queued again as a correction of its Metrc receipt.`;
    case "acknowledge":
      return "Nothing changes here or in Metrc; the difference is marked as explained.";
  }
}

function FixDialog({ difference, fix, onClose }: { difference: DifferenceView; fix: FixCode; onClose: (done: boolean) => void }) {
  const backend = useBackend();
  const [note, setNote] = useState("");
  const { busy, error, act } = useAction();
  return (
    <Dialog
      title={FIX_LABELS[fix]}
      confirmLabel={FIX_LABELS[fix]}
      danger={fix === "void_in_metrc"}
      confirmDisabled={busy}
      testId="fix-dialog"
      onCancel={() => onClose(false)}
      onConfirm={async () => {
        const done = await act(() => backend.resolveDifference({ id: difference.id, fix, note: note.trim() === "" ? null : note.trim() }));
        if (done !== undefined) onClose(true);
      }}
    >
      <p>
        {KIND_LABELS[difference.kind]}: {consequence(difference, fix)} Your name and the note go into the audit log.
      </p>
      <TextArea label="Note (why)" value={note} onChange={(e) => setNote(e.target.value)} data-testid="fix-note" />
      <ErrorNote error={error} testId="fix-error" />
    </Dialog>
  );
}
