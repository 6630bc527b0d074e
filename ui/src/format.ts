/**
 * Words and numbers for people: durations ("3 h 20 min"), ages, money, and the masked tail of a key. Pure functions, so they are easy to test.
 */

/** "45 s", "12 min", "3 h 20 min", "2 d 4 h". Negative durations are shown as zero. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** Milliseconds from an RFC 3339 timestamp to `now`, or `null` when there is no timestamp. */
export function ageMs(at: string | null | undefined, now: number): number | null {
  if (at === null || at === undefined) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : now - t;
}

/** "$12.50" from a number of dollars. */
export function formatMoney(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** A date and time for tables, in `timeZone` (an IANA name, e.g. a licence's) or the computer's. */
export function formatTime(at: string | null | undefined, timeZone?: string): string {
  if (at === null || at === undefined) return "—";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  try {
    return d.toLocaleString(undefined, timeZone === undefined ? undefined : { timeZone });
  } catch {
    return d.toLocaleString();
  }
}

/** "10:42": the hour and minute of `at` (24-hour), in `timeZone` or the computer's. */
export function formatClock(at: string | null | undefined, timeZone?: string): string {
  if (at === null || at === undefined) return "—";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return d.toLocaleTimeString(undefined, timeZone === undefined ? options : { ...options, timeZone });
  } catch {
    return d.toLocaleTimeString(undefined, options);
  }
}

/** "••••1234": the only part of a key the UI ever shows. */
export function maskedKey(lastFour: string | null | undefined): string {
  return lastFour ? `••••${lastFour.slice(-4)}` : "no key";
}

/**
 * "in 2 min", "3 min ago" or "just now" (under 30 s either way): how far `at` is from `now`
 * (milliseconds since the epoch, from `clock.ts`'s `now()` so tests fix it). `null` without a time.
 */
export function formatRelative(at: string | null | undefined, now: number): string | null {
  const age = ageMs(at, now);
  if (age === null) return null;
  if (Math.abs(age) < 30_000) return "just now";
  return age > 0 ? `${formatDuration(age)} ago` : `in ${formatDuration(-age)}`;
}

/**
 * A time in `timeZone` (a licence's) with its relative form: "17:27 (in 2 min)" within a day of
 * `now`, else the date and time ("11/23/2026, 5:27:20 PM (2 d 4 h ago)"). Never a raw instant.
 */
export function formatWhen(at: string | null | undefined, now: number, timeZone?: string): string {
  const relative = formatRelative(at, now);
  if (relative === null) return at === null || at === undefined ? "—" : at;
  const age = ageMs(at, now) ?? 0;
  const absolute = Math.abs(age) < 86_400_000 && sameDay(at!, now, timeZone) ? formatClock(at, timeZone) : formatTime(at, timeZone);
  return `${absolute} (${relative})`;
}

function sameDay(at: string, now: number, timeZone?: string): boolean {
  const day = (d: Date) => {
    try {
      return d.toLocaleDateString("en-CA", timeZone === undefined ? undefined : { timeZone });
    } catch {
      return d.toLocaleDateString("en-CA");
    }
  };
  return day(new Date(at)) === day(new Date(now));
}

/**
 * A long id (a package label, a receipt or client id) cut to its first `head` and last `tail`
 * characters around an ellipsis ("1A4F…000001"); short ids are kept whole. The full id goes in
 * a title beside it (`ShortId`), so nothing is lost.
 */
export function shortId(id: string, head = 4, tail = 6): string {
  return id.length <= head + tail + 2 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}
