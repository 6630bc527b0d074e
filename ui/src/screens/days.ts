/**
 * Calendar days as the compliance screens send them: `YYYY-MM-DD` in a licence's time zone (the
 * register's day, not the computer's), counted back from now.
 *
 * Guarantees: "N days back" is calendar arithmetic on the local date, never `now − N × 24 h`, so
 * a 23- or 25-hour day at a daylight-saving change never skips or repeats a day.
 */
import { now as clockNow } from "../clock";

/** The day `back` days before today in `timeZone` (the computer's zone when none is given). */
export function facilityDay(timeZone: string | undefined, back = 0, now: number = clockNow()): string {
  const today = localDate(now, timeZone);
  const day = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
  return day.toISOString().slice(0, 10);
}

/** The local calendar date of `at` in `timeZone` (a zone the browser does not know: the computer's). */
function localDate(at: number, timeZone: string | undefined): { year: number; month: number; day: number } {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  } catch {
    format = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" });
  }
  const parts = format.formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  return { year: part("year"), month: part("month"), day: part("day") };
}
