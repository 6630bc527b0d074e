/** The backlog chart: the path covers only the window, scales to the peak, and says the peak in words. */
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BacklogChart, chartPath } from "./BacklogChart";

const HOUR = 3_600_000;
const NOW = 10 * HOUR;

describe("BacklogChart", () => {
  it("draws nothing without points in the window", () => {
    expect(chartPath([], NOW, 6 * HOUR)).toBe("");
    expect(chartPath([{ at: NOW - 7 * HOUR, waiting: 4 }], NOW, 6 * HOUR)).toBe("");
  });

  it("puts the peak at the top and the window's start at the left", () => {
    const path = chartPath(
      [
        { at: NOW - 6 * HOUR, waiting: 0 },
        { at: NOW - 3 * HOUR, waiting: 10 },
        { at: NOW, waiting: 5 },
      ],
      NOW,
      6 * HOUR,
    );
    expect(path).toContain("L0.0,120.0");
    expect(path).toContain("L300.0,8.0");
    expect(path).toContain("L600.0,64.0");
  });

  it("names the peak within the window", () => {
    render(<BacklogChart points={[{ at: NOW - 8 * HOUR, waiting: 99 }, { at: NOW - HOUR, waiting: 7 }]} now={NOW} windowMs={6 * HOUR} />);
    expect(screen.getByTestId("backlog-peak").textContent).toBe("peak 7 waiting");
    expect(screen.getByTestId("backlog-chart").getAttribute("aria-label")).toContain("peak 7");
  });
});
