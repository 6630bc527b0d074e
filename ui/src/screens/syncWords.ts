/**
 * Words for a licence's delivery health on the Sync screen, from its code (never from the
 * backend's English): what is wrong and, while Metrc's gate is closed, when the next try is, in the
 * licence's time zone with its relative form ("Next try at 17:27 (in 2 min)"), never a raw instant.
 */
import type { Health, LicenceSync } from "../api";
import { formatWhen } from "../format";

const HEALTH_WORDS: Record<Exclude<Health, "in_step" | "key_problem">, string> = {
  offline: "Metrc cannot be reached (no network). Selling continues; records are kept and sent when the connection is back.",
  metrc_unavailable: "Metrc is not answering properly. Selling continues; records are kept, checked and sent when Metrc recovers.",
  rate_limited: "Metrc asked this register to slow down. Records are sent as fast as Metrc allows.",
};

/** The note beside a licence's counts: `null` in step, the key problem's own message, or the gate's words and next try. */
export function licenceNote(l: Pick<LicenceSync, "health" | "reason" | "blocked_until">, now: number, timeZone?: string): string | null {
  if (l.health === "in_step") return null;
  if (l.health === "key_problem") return l.reason;
  const next = l.blocked_until === null ? "" : ` Next try at ${formatWhen(l.blocked_until, now, timeZone)}.`;
  return `${HEALTH_WORDS[l.health]}${next}`;
}
