/** The status chip: a label and colour per health code, whose key, counts, and the backend's deadline warning. */
import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Health, SyncStatus } from "../api";
import { emptyCounts, inStepStatus } from "../testing/fakeBackend";
import { T0, testClock } from "../testing/testClock";
import { LiveStatusChip, StatusChip } from "./StatusChip";

const NOW = Date.parse(T0);
const HOUR = 3_600_000;

function status(health: Health, extra: Partial<SyncStatus> = {}): SyncStatus {
  return { ...inStepStatus(), health, ...extra };
}

function chip() {
  return screen.getByTestId("status-chip");
}

describe("StatusChip", () => {
  it.each([
    ["in_step", "In step with Metrc", "chip-ok"],
    ["offline", "Offline", "chip-warn"],
    ["metrc_unavailable", "Metrc unavailable", "chip-warn"],
    ["rate_limited", "Slowed by Metrc", "chip-warn"],
    ["key_problem", "Key problem", "chip-warn"],
  ] as [Health, string, string][])("shows %s as “%s” with its code as data-state", (health, label, tone) => {
    render(<StatusChip status={status(health)} now={NOW} />);
    expect(chip().getAttribute("data-state")).toBe(health);
    expect(screen.getByTestId("status-label").textContent).toBe(label);
    expect(chip().className).toContain(tone);
  });

  it("names whose key is the problem, once each", () => {
    const users = [
      { licence: "L1", user: "Bea", counts: emptyCounts(), key_problem: "Metrc refused Bea's key: paste a new one" },
      { licence: "L2", user: "Bea", counts: emptyCounts(), key_problem: "Metrc refused Bea's key: paste a new one" },
      { licence: "L1", user: "Mia", counts: emptyCounts(), key_problem: null },
    ];
    render(<StatusChip status={status("key_problem", { users })} now={NOW} />);
    expect(screen.getByTestId("status-label").textContent).toBe("Key problem (Bea)");
  });

  it("shows how many records wait, the oldest one's age and the time left before the deadline", () => {
    render(
      <StatusChip
        status={status("offline", {
          waiting: 7,
          oldest_waiting_at: new Date(NOW - 2 * HOUR - 5 * 60_000).toISOString(),
          deadline_at: new Date(NOW + 21 * HOUR).toISOString(),
        })}
        now={NOW}
      />,
    );
    expect(chip().getAttribute("data-waiting")).toBe("7");
    expect(screen.getByTestId("status-waiting").textContent).toContain("7 waiting");
    expect(screen.getByTestId("status-oldest").textContent).toContain("2 h 5 min");
    expect(screen.getByTestId("status-deadline").textContent).toContain("21 h left to report");
    expect(chip().getAttribute("data-deadline")).toBe("ok");
  });

  it("hides the counts when nothing waits", () => {
    render(<StatusChip status={status("in_step")} now={NOW} />);
    expect(screen.queryByTestId("status-waiting")).toBeNull();
    expect(screen.queryByTestId("status-deadline")).toBeNull();
  });

  it("warns when the backend says the deadline is near, and turns red when it is near while not in step", () => {
    const near = { waiting: 1, deadline_warning: "soon", oldest_waiting_at: new Date(NOW - 21 * HOUR).toISOString(), deadline_at: new Date(NOW + 3 * HOUR).toISOString() };
    const { rerender } = render(<StatusChip status={status("in_step", near)} now={NOW} />);
    expect(chip().getAttribute("data-deadline")).toBe("soon");
    expect(chip().className).toContain("chip-warn");
    rerender(<StatusChip status={status("offline", near)} now={NOW} />);
    expect(chip().className).toContain("chip-bad");
  });

  it("says when the deadline has passed, in red", () => {
    render(
      <StatusChip
        status={status("metrc_unavailable", { waiting: 2, deadline_warning: "overdue", oldest_waiting_at: new Date(NOW - 30 * HOUR).toISOString(), deadline_at: new Date(NOW - 6 * HOUR).toISOString() })}
        now={NOW}
      />,
    );
    expect(chip().getAttribute("data-deadline")).toBe("overdue");
    expect(chip().className).toContain("chip-bad");
    expect(screen.getByTestId("status-deadline").textContent).toContain("deadline passed 6 h ago");
  });

  it("counts records Metrc refused apart from those waiting to be sent, and warns about them", () => {
    const licence = { licence: "L1", counts: { ...emptyCounts(), pending: 2, rejected: 1, waiting: 3 }, oldest_waiting_at: null, deadline_at: null, deadline_warning: "ok", health: "in_step" as Health, reason: null, blocked_until: null, last_success_at: null };
    render(<StatusChip status={status("in_step", { waiting: 3, licences: [licence], oldest_waiting_at: new Date(NOW - 90_000).toISOString() })} now={NOW} />);
    expect(chip().getAttribute("data-waiting")).toBe("2");
    expect(chip().getAttribute("data-rejected")).toBe("1");
    expect(screen.getByTestId("status-waiting").textContent).toContain("2 waiting");
    expect(screen.getByTestId("status-rejected").textContent).toContain("1 refused by Metrc");
    expect(chip().className).toContain("chip-warn");
  });

  it("says only 'refused' when nothing else waits, and keeps the oldest age", () => {
    const licence = { licence: "L1", counts: { ...emptyCounts(), rejected: 1, waiting: 1 }, oldest_waiting_at: null, deadline_at: null, deadline_warning: "ok", health: "in_step" as Health, reason: null, blocked_until: null, last_success_at: null };
    render(<StatusChip status={status("in_step", { waiting: 1, licences: [licence], oldest_waiting_at: new Date(NOW - 90_000).toISOString() })} now={NOW} />);
    expect(screen.queryByTestId("status-waiting")).toBeNull();
    expect(screen.getByTestId("status-oldest").textContent).toContain("1 min");
  });

  it("shows a neutral chip before the first status arrives", () => {
    render(<StatusChip status={null} now={NOW} />);
    expect(chip().getAttribute("data-state")).toBe("unknown");
  });
});

describe("LiveStatusChip", () => {
  afterEach(() => vi.useRealTimers());

  it("ages the oldest record every second while records wait", () => {
    vi.useFakeTimers();
    testClock.set(NOW);
    render(<LiveStatusChip status={status("offline", { waiting: 1, oldest_waiting_at: new Date(NOW - 5_000).toISOString() })} />);
    expect(screen.getByTestId("status-oldest").textContent).toContain("5 s");
    act(() => {
      testClock.advance(3_000);
      vi.advanceTimersByTime(3_000);
    });
    expect(screen.getByTestId("status-oldest").textContent).toContain("8 s");
  });
});
