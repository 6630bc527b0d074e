/**
 * Calendar days as the compliance screens send them: `YYYY-MM-DD` in a licence's time zone (the
 * register's day, not the computer's), counted back from now.
 */

/** The day `back` days before today in `timeZone` (the computer's zone when none is given). */
export function facilityDay(timeZone: string | undefined, back = 0, now: number = Date.now()): string {
  const at = new Date(now - back * 86_400_000);
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}
