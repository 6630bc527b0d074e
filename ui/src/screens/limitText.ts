/**
 * Purchase limits in words, for the Sell screen's running totals and the Settings panel: a
 * limit's name from its unit ("g of flower" → "Flower", a patient's Metrc allotment by its
 * registration), its window ("per transaction", "per day", "per 30 days"), amounts without
 * trailing zeros, and whether — and why — a cart's check holds its sale back.
 */
import type { AppError, LimitCheckView } from "../api";

/** An amount with at most two decimals and no trailing zeros ("31.5", "28"). */
export function amountText(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** A rule's window: `transaction` or `days:N`. */
export function windowText(window: string): string {
  if (window === "transaction") return "per transaction";
  const days = Number(window.startsWith("days:") ? window.slice(5) : Number.NaN);
  if (!Number.isFinite(days)) return window;
  return days === 1 ? "per day" : `per ${days} days`;
}

/** "g of flower" → `{short: "g", what: "flower"}`; a unit without " of " is all `short`. */
export function splitUnit(unit: string): { short: string; what: string } {
  const at = unit.indexOf(" of ");
  return at < 0 ? { short: unit, what: "" } : { short: unit.slice(0, at), what: unit.slice(at + 4) };
}

const capital = (text: string) => (text === "" ? text : text[0]!.toUpperCase() + text.slice(1));

/** What a limit limits: "Flower", or "Metrc allotment REG-0001 · flower" for a patient's allotment. */
export function limitName(total: { rule: string; unit: string }): string {
  const what = splitUnit(total.unit).what;
  if (total.rule.startsWith("metrc-allotment:")) {
    const registration = total.rule.split(":")[1] ?? "";
    return `Metrc allotment ${registration}${what === "" ? "" : ` · ${what}`}`;
  }
  return capital(what === "" ? total.rule : what);
}

/** Who the customer is in the rules' words. */
export function customerText(customer: string): string {
  if (customer === "adult_use") return "Adult use";
  if (customer === "medical") return "Medical";
  if (customer === "caregiver") return "Caregiver";
  return customer;
}

/**
 * Why a cart's check holds the sale back, or `null`: the most exceeded limit (`over_limit`, with
 * which limit and by how much), else a block that no approval at the register lifts. A block a
 * manager can lift (`manager_approval_needed`) does not hold the sale: completing asks for it.
 */
export function completionHold(check: LimitCheckView | null): AppError | null {
  if (check === null) return null;
  const first = check.over[0];
  if (first !== undefined) return { code: "over_limit", message: `Over a purchase limit: ${first.message}. Take some off to complete.` };
  if (check.blocked !== null && check.blocked.code !== "manager_approval_needed") return check.blocked;
  return null;
}
