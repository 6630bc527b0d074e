/**
 * The audit screen's reports (managers: `view_reports`): verifying the audit log's hash chain
 * (intact, with the entries checked and the head hash; or the first broken entry and why), and
 * the outage report for a period of days — saved by the backend as a CSV file in the data folder
 * (the window cannot download files, so the path is shown) or shown as a printable page in a
 * sandboxed frame (no scripts run in it) with a Print button.
 */
import { useEffect, useRef, useState } from "react";
import type { AuditVerificationView, OutageCsvView, OutagePageView, OutageRequest } from "../api";
import { useAction, useAppState, useBackend } from "../context";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { facilityDay } from "./days";

export function AuditTools() {
  return (
    <div className="stack">
      <VerifyAudit />
      <OutageReport />
    </div>
  );
}

function VerifyAudit() {
  const backend = useBackend();
  const check = useAction();
  const [result, setResult] = useState<AuditVerificationView | null>(null);
  // A result says nothing about entries appended after it: drop it when one arrives.
  useEffect(() => backend.on("audit_appended", () => setResult(null)), [backend]);

  return (
    <div className="panel stack" data-testid="audit-verify">
      <h3>Verify the audit log</h3>
      <p className="muted">Checks that every entry links to the one before it and that no entry was changed or removed.</p>
      <div>
        <Button
          disabled={check.busy}
          onClick={async () => {
            setResult(null);
            const verified = await check.act(() => backend.verifyAudit());
            if (verified !== undefined) setResult(verified);
          }}
          data-testid="audit-verify-run"
        >
          Verify the audit log
        </Button>
      </div>
      <ErrorNote error={check.error} testId="audit-verify-error" />
      {result?.result === "intact" && (
        <Note tone="ok" testId="audit-verify-intact">
          Intact: {result.entries} entries checked. Head hash (note it down to notice a later truncation):{" "}
          <code data-testid="audit-head-hash">{result.head_hash}</code>
        </Note>
      )}
      {result?.result === "broken" && (
        <Note tone="error" testId="audit-verify-broken">
          Broken at entry #{result.seq}: {result.reason}
        </Note>
      )}
    </div>
  );
}

function OutageReport() {
  const backend = useBackend();
  const { licences } = useAppState();
  const zone = licences[0]?.time_zone;
  const [from, setFrom] = useState(() => facilityDay(zone, 6));
  const [to, setTo] = useState(() => facilityDay(zone));
  const [licence, setLicence] = useState("");
  const csv = useAction();
  const page = useAction();
  const [saved, setSaved] = useState<OutageCsvView | null>(null);
  const [shown, setShown] = useState<OutagePageView | null>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  const period = (): OutageRequest => ({ from, to, licence: licence === "" ? null : licence });

  return (
    <div className="panel stack" data-testid="outage-report">
      <h3>Outage report</h3>
      <p className="muted">
        Every record made while the register was not in step with Metrc: when it was made, by whom, why it waited, when Metrc accepted it and how
        late that was against the deadline.
      </p>
      <div className="row">
        <TextField label="From (first day)" type="date" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="outage-from" />
        <TextField label="To (last day, included)" type="date" value={to} onChange={(e) => setTo(e.target.value)} data-testid="outage-to" />
        {licences.length > 1 && (
          <SelectField
            label="Licence"
            value={licence}
            onChange={(e) => setLicence(e.target.value)}
            choices={[{ value: "", label: "All licences" }, ...licences.map((l) => ({ value: l.number, label: `${l.number} ${l.name}` }))]}
            data-testid="outage-licence"
          />
        )}
      </div>
      <div className="row">
        <Button
          disabled={csv.busy}
          onClick={async () => {
            setSaved(null);
            const written = await csv.act(() => backend.exportOutageCsv(period()));
            if (written !== undefined) setSaved(written);
          }}
          data-testid="outage-csv"
        >
          Save as CSV
        </Button>
        <Button
          disabled={page.busy}
          onClick={async () => {
            const report = await page.act(() => backend.outageReportPage(period()));
            if (report !== undefined) setShown(report);
          }}
          data-testid="outage-page"
        >
          Show printable page
        </Button>
      </div>
      <ErrorNote error={csv.error ?? page.error} testId="outage-error" />
      {saved !== null && (
        <Note tone="ok" testId="outage-saved">
          Saved {saved.rows} {saved.rows === 1 ? "record" : "records"} to <code data-testid="outage-path">{saved.path}</code>
        </Note>
      )}
      {shown !== null && (
        <div className="stack" data-testid="outage-preview" data-rows={shown.rows}>
          <div className="row">
            <Button look="primary" onClick={() => frame.current?.contentWindow?.print()} data-testid="outage-print">
              Print
            </Button>
            <Button onClick={() => setShown(null)} data-testid="outage-close">
              Close the page
            </Button>
          </div>
          <iframe
            ref={frame}
            title="Outage report (printable)"
            sandbox="allow-same-origin allow-modals"
            srcDoc={shown.html}
            style={{ width: "100%", height: "60vh", border: "1px solid #ccc", background: "white" }}
            data-testid="outage-frame"
          />
        </div>
      )}
    </div>
  );
}
