import { describe, expect, it } from "vitest";
import { facilityDay } from "./days";

describe("facilityDay", () => {
  it("is the licence's local date, not the UTC date, late on New Year's Eve", () => {
    const nye = Date.parse("2028-01-01T05:30:00Z"); // 22:30 on 31 December in Denver
    expect(facilityDay("America/Denver", 0, nye)).toBe("2027-12-31");
    expect(facilityDay("UTC", 0, nye)).toBe("2028-01-01");
    expect(facilityDay("America/Denver", 1, nye)).toBe("2027-12-30");
    expect(facilityDay("America/Denver", 365, nye)).toBe("2026-12-31");
  });

  it("counts calendar days across the 23-hour spring-forward day", () => {
    const justAfterMidnight = Date.parse("2027-03-15T06:30:00Z"); // 00:30 MDT on 15 March
    expect(facilityDay("America/Denver", 0, justAfterMidnight)).toBe("2027-03-15");
    expect(facilityDay("America/Denver", 1, justAfterMidnight)).toBe("2027-03-14");
    expect(facilityDay("America/Denver", 2, justAfterMidnight)).toBe("2027-03-13");
  });

  it("counts calendar days across the 25-hour fall-back day", () => {
    const lateEvening = Date.parse("2027-11-08T06:30:00Z"); // 23:30 MST on 7 November
    expect(facilityDay("America/Denver", 0, lateEvening)).toBe("2027-11-07");
    expect(facilityDay("America/Denver", 1, lateEvening)).toBe("2027-11-06");
  });

  it("falls back to the computer's zone for a zone it does not know", () => {
    expect(facilityDay("Not/AZone", 0, Date.parse("2027-06-01T12:00:00Z"))).toMatch(/^2027-06-0[12]$/);
  });
});
