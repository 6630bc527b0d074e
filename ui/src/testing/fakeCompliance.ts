/**
 * The compliance part of the fake backend's world: the audit verification result, outage report
 * rows, reconciliation runs with their differences, the last background daily check, per-state
 * deadlines and backups. Plain data that tests change directly (e.g. `fake.compliance.verification
 * = {result: "broken", ...}`); `FakeBackend` serves it through the same commands as the real one.
 */
import type {
  AuditVerificationView,
  BackupSettingsView,
  BackupView,
  DailyReconciliationView,
  DifferenceView,
  ReconciliationView,
  StateDeadlineView,
} from "../api";

import { T0 } from "./testClock";
const LICENCE = "403R-00001";

/** A day looks like `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text);
}

function difference(id: number, run_id: number, change: Partial<DifferenceView>): DifferenceView {
  return {
    id,
    run_id,
    kind: "missing_in_metrc",
    sale_id: null,
    client_id: null,
    metrc_receipt_id: null,
    label: null,
    local_value: null,
    metrc_value: null,
    suggested_fix: "acknowledge",
    fix_text: "",
    fixes: ["acknowledge"],
    resolution: null,
    resolved_by: null,
    resolved_at: null,
    resolution_note: null,
    ...change,
  };
}

/** Yesterday's daily run: a sale Metrc lost and a duplicate receipt. */
export function sampleDailyRun(): ReconciliationView {
  return {
    run: {
      id: 1,
      licence: LICENCE,
      day: "2026-11-22",
      trigger: "daily",
      started_at: T0,
      finished_at: T0,
      local_sales: 12,
      not_compared: 0,
      metrc_receipts: 12,
      differences: 2,
    },
    differences: [
      difference(1, 1, {
        kind: "missing_in_metrc",
        sale_id: 7,
        client_id: "SL-7",
        local_value: "confirmed as receipt 880",
        suggested_fix: "resend_sale",
        fix_text: "Metrc does not have this sale although it was confirmed: re-send it.",
        fixes: ["resend_sale", "acknowledge"],
      }),
      difference(2, 1, {
        kind: "duplicate_external_number",
        client_id: "SL-8",
        metrc_receipt_id: 902,
        local_value: "receipt 901",
        metrc_value: "receipt 902",
        suggested_fix: "void_in_metrc",
        fix_text: "Metrc holds this sale more than once: void the duplicate receipt in Metrc.",
        fixes: ["void_in_metrc", "acknowledge"],
      }),
    ],
  };
}

/** A manual run that found one changed quantity. */
export function manualRun(id: number, licence: string, day: string, differenceId: number): ReconciliationView {
  return {
    run: { id, licence, day, trigger: "manual", started_at: T0, finished_at: T0, local_sales: 3, not_compared: 1, metrc_receipts: 3, differences: 1 },
    differences: [
      difference(differenceId, id, {
        kind: "quantity_differs",
        sale_id: 9,
        client_id: "SL-9",
        metrc_receipt_id: 910,
        label: "1A4000000000000000000001",
        local_value: "2",
        metrc_value: "1",
        suggested_fix: "resend_correction",
        fix_text: "Metrc's receipt differs from the sale recorded here: re-send the sale's lines as a correction.",
        fixes: ["resend_correction", "acknowledge"],
      }),
    ],
  };
}

export class FakeCompliance {
  /** `null`: intact over however many audit entries the fake holds. */
  verification: AuditVerificationView | null = null;
  /** Client ids of the records the outage report lists. */
  outageRows: string[] = ["SL-3", "SL-4"];
  exports = 0;
  /** Newest first. */
  runs: ReconciliationView[] = [sampleDailyRun()];
  dailyChecks: DailyReconciliationView[] = [
    { licence: LICENCE, day: "2026-11-22", outcome: "ran", run_id: 1, message: null, checked_at: T0 },
  ];
  nextRun = 2;
  nextDifference = 3;
  deadlines: StateDeadlineView[] = ["CA", "CO", "MI", "OR"].map((state) => ({ state, hours: 24, assumed: true, updated_at: null, updated_by: null }));
  backupSettings: BackupSettingsView = { daily_at: "03:00", keep: 14, time_zone: null };
  backups: BackupView[] = [{ path: "/data/backups/stateline-20261123T100000Z.sqlite", taken_at: "2026-11-23T10:00:00Z", bytes: 81920 }];
  backupDue = false;
  backupFailure: string | null = null;
  readonly folder = "/data/backups";
  readonly restoreCommand = 'stateline --data-dir "/data" backup restore <FILE> --as <MANAGER>';

  difference(id: number): DifferenceView | undefined {
    for (const run of this.runs) {
      const found = run.differences.find((d) => d.id === id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  page(rows: string[]): string {
    const body = rows.map((r) => `<tr><td>${r}</td></tr>`).join("");
    return `<!DOCTYPE html><html><head><title>Outage report</title></head><body><h1>Outage report</h1><table>${body}</table></body></html>`;
  }
}
