/** Relative times, times with their relative form in a licence's zone, and short ids (issue #15). */
import { describe, expect, it } from "vitest";
import { now } from "./clock";
import { formatRelative, formatWhen, shortId } from "./format";
import { licenceNote } from "./screens/syncWords";
import { T0, testClock } from "./testing/testClock";

const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs).toISOString();

describe("relative times", () => {
  it("says how far a time is from the injected clock's now", () => {
    expect(formatRelative(at(2 * 60_000), now())).toBe("in 2 min");
    expect(formatRelative(at(-3 * 60_000), now())).toBe("3 min ago");
    expect(formatRelative(at(-10_000), now())).toBe("just now");
    expect(formatRelative(null, now())).toBeNull();
    testClock.advance(5 * 60_000);
    expect(formatRelative(at(2 * 60_000), now())).toBe("3 min ago");
  });

  it("gives the clock time in the licence's zone with the relative form, never the raw instant", () => {
    // T0 is 14:00 UTC: 07:00 in Denver (MST), 09:00 in New York (EST).
    expect(formatWhen(at(2 * 60_000), now(), "America/Denver")).toBe("07:02 (in 2 min)");
    expect(formatWhen(at(2 * 60_000), now(), "America/New_York")).toBe("09:02 (in 2 min)");
    const older = formatWhen(at(-3 * 86_400_000), now(), "America/Denver");
    expect(older).toMatch(/\(3 d ago\)$/);
    expect(older).not.toContain("T");
    expect(formatWhen(null, now())).toBe("—");
  });
});

describe("short ids", () => {
  it("keeps the head and tail of a long id and short ids whole", () => {
    expect(shortId("1A4FF0100000022000000001")).toBe("1A4F…000001");
    expect(shortId("SL-141YT188-9E6AE9TWHS9D")).toBe("SL-1…TWHS9D");
    expect(shortId("403R-00001")).toBe("403R-00001");
  });
});

describe("a licence's sync note", () => {
  it("says when Metrc is tried next in the licence's zone, relative to now", () => {
    const note = licenceNote({ health: "metrc_unavailable", reason: "Metrc is not answering properly.", blocked_until: at(2 * 60_000) }, now(), "America/Denver");
    expect(note).toContain("Next try at 07:02 (in 2 min).");
    expect(note).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(licenceNote({ health: "in_step", reason: null, blocked_until: null }, now())).toBeNull();
    expect(licenceNote({ health: "key_problem", reason: "Bea's key was refused.", blocked_until: null }, now())).toBe("Bea's key was refused.");
  });
});
