/** Words and numbers for people: durations, ages, facility times, masked keys, money. */
import { describe, expect, it } from "vitest";
import { ageMs, formatDuration, formatMoney, formatTime, maskedKey } from "./format";

describe("format", () => {
  it("says durations the way people do", () => {
    expect(formatDuration(-5_000)).toBe("0 s");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(12 * 60_000)).toBe("12 min");
    expect(formatDuration(3 * 3_600_000)).toBe("3 h");
    expect(formatDuration(3 * 3_600_000 + 20 * 60_000)).toBe("3 h 20 min");
    expect(formatDuration(52 * 3_600_000)).toBe("2 d 4 h");
  });

  it("measures ages from RFC 3339 times and ignores missing ones", () => {
    expect(ageMs("2026-11-23T13:00:00Z", Date.parse("2026-11-23T14:00:00Z"))).toBe(3_600_000);
    expect(ageMs(null, 0)).toBeNull();
    expect(ageMs("not a time", 0)).toBeNull();
  });

  it("shows times in the facility's time zone", () => {
    expect(formatTime("2026-11-23T14:05:00Z", "America/Denver")).toMatch(/7:05/);
    expect(formatTime("2026-11-23T14:05:00Z", "America/New_York")).toMatch(/9:05/);
    expect(formatTime(null)).toBe("—");
    expect(formatTime("2026-11-23T14:05:00Z", "Not/AZone")).not.toBe("");
  });

  it("masks keys to their last four and formats money", () => {
    expect(maskedKey("demo-budtender-key-1111")).toBe("••••1111");
    expect(maskedKey(null)).toBe("no key");
    expect(formatMoney(12.5)).toBe("$12.50");
  });
});
