/**
 * The key validation matrix as a table: one row per licence, one column per area, each cell what
 * Metrc allowed, and the verdict above it in the backend's words. Shows the key only as its last
 * four characters.
 */
import type { KeyValidationView } from "../api";
import { useFacilityTime } from "../context";
import { maskedKey } from "../format";
import { Note } from "../ui/Note";

const OUTCOME_LABELS: Record<string, string> = {
  allowed: "allowed",
  not_allowed: "NOT ALLOWED",
  not_applicable: "not applicable",
  not_verifiable: "not verifiable",
  could_not_check: "could not check",
};

export function verdictTone(code: string): "ok" | "warn" | "error" {
  if (code === "all_good") return "ok";
  return code === "key_invalid" ? "error" : "warn";
}

export function MatrixTable({ validation }: { validation: KeyValidationView }) {
  const facilityTime = useFacilityTime();
  const areas: { area: string; label: string }[] = [];
  for (const l of validation.licences) {
    for (const a of l.areas) if (!areas.some((x) => x.area === a.area)) areas.push({ area: a.area, label: a.label });
  }
  return (
    <div className="stack" data-testid="matrix">
      <div data-testid="matrix-verdict" data-verdict={validation.verdict.code}>
        <Note tone={verdictTone(validation.verdict.code)}>{validation.verdict.message}</Note>
      </div>
      <p className="muted">
        Key {maskedKey(validation.last_four)} · checked {facilityTime(validation.checked_at)}
      </p>
      <div style={{ overflowX: "auto" }}>
        <table className="grid" data-testid="matrix-table">
          <thead>
            <tr>
              <th>Licence</th>
              {areas.map((a) => (
                <th key={a.area}>{a.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {validation.licences.map((l) => (
              <tr key={l.licence} data-testid={`matrix-row-${l.licence}`}>
                <td>
                  <strong>{l.licence}</strong>
                  {l.name !== "" && <div className="muted">{l.name}</div>}
                  {!l.reachable && <div className="cell-not_allowed">{l.detail ?? "not reachable with this key"}</div>}
                </td>
                {areas.map(({ area }) => {
                  const cell = l.areas.find((a) => a.area === area);
                  return (
                    <td
                      key={area}
                      className={cell ? `cell-${cell.outcome}` : ""}
                      data-area={area}
                      data-outcome={cell?.outcome ?? "none"}
                      title={cell?.detail ?? undefined}
                    >
                      {cell ? (OUTCOME_LABELS[cell.outcome] ?? cell.outcome) : "—"}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
