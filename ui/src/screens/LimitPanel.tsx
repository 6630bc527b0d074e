/**
 * The Sell screen's compact running totals: one bar per limit the cart is checked against
 * ("Flower 31.5 / 28 g per transaction"), figures the rules file could not confirm marked, the
 * ones exceeded in the error style; whose earlier sales were summed; and, when the cart cannot
 * be sold whatever its size, why. Shows nothing until there is a cart to check, and a single
 * line when no limits apply at this register.
 */
import type { AppError, LimitCheckView, LimitTotalView } from "../api";
import { ErrorNote } from "../ui/Note";
import { amountText, limitName, splitUnit, windowText } from "./limitText";

export function LimitPanel({ check, error }: { check: LimitCheckView | null; error: AppError | null }) {
  if (check === null) return error === null ? null : <ErrorNote error={error} testId="limit-error" />;
  const unchecked = check.basis === "no_state" || check.basis === "no_rules";
  return (
    <div
      className="limits"
      aria-label="Purchase limits"
      data-testid="limit-panel"
      data-basis={check.basis ?? "blocked"}
      data-over={check.over.length > 0 ? "true" : "false"}
      data-blocked={check.blocked?.code}
    >
      {unchecked && (
        <p className="muted">
          {check.basis === "no_state"
            ? "No state is set at this register, so no purchase limits are checked."
            : `No purchase limits ship for ${check.state ?? "this state"} yet, so none are checked.`}
        </p>
      )}
      {check.totals.map((t) => (
        <LimitRow key={t.rule} total={t} />
      ))}
      {check.basis === "adult_use_without_reading" && (
        <p className="muted" data-testid="limit-basis">
          No reading of the patient's allotment from Metrc: the adult-use limits apply.
        </p>
      )}
      {check.scope_text !== null && !unchecked && (
        <p className="muted limits-scope" data-testid="limit-scope" data-scope={check.scope ?? undefined}>
          Counted: {check.scope_text}
        </p>
      )}
      {check.blocked !== null && (
        <div className="note note-error" role="alert" data-testid="limit-blocked" data-code={check.blocked.code}>
          {check.blocked.message}
        </div>
      )}
    </div>
  );
}

function LimitRow({ total }: { total: LimitTotalView }) {
  const { short } = splitUnit(total.unit);
  const share = total.limit > 0 ? Math.min(1, total.total / total.limit) : 1;
  return (
    <div
      className={`limit-row${total.over ? " over" : ""}`}
      data-testid={`limit-total-${total.rule}`}
      data-over={total.over ? "true" : "false"}
      data-certain={total.certain ? "true" : "false"}
      data-total={amountText(total.total)}
      data-limit={amountText(total.limit)}
    >
      <div className="limit-words">
        <span>
          {limitName(total)}
          {!total.certain && (
            <abbr className="uncertain" title="The rules file could not confirm this figure; the stricter reading is used.">
              {" "}
              (unconfirmed)
            </abbr>
          )}
        </span>
        <span className="num">
          {amountText(total.total)} / {amountText(total.limit)} {short} {windowText(total.window)}
        </span>
      </div>
      <div className="limit-bar" aria-hidden="true">
        <span style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
    </div>
  );
}
