import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { Placeholder } from "./Placeholder";

describe("Placeholder", () => {
  it("shows the product name as the main heading, with a stable id for WebDriver", () => {
    render(<Placeholder version={null} />);
    const heading = screen.getByRole("heading", { level: 1 });
    expect(heading.textContent).toBe("Stateline");
    expect(heading.id).toBe("app-title");
    expect(heading.getAttribute("data-testid")).toBe("app-title");
    expect(screen.getByTestId("app-tagline").textContent).toBe(
      "Register companion — demo mode coming soon",
    );
  });

  it("shows the version only once the desktop shell has reported one", () => {
    const { rerender } = render(<Placeholder version={null} />);
    expect(screen.queryByTestId("app-version")).toBeNull();
    rerender(<Placeholder version="0.1.0" />);
    expect(screen.getByTestId("app-version").textContent).toBe("Version 0.1.0");
  });

  it("renders outside the desktop app without a version and without throwing", async () => {
    render(<App />);
    expect(await screen.findByTestId("app-title")).toBeTruthy();
    expect(screen.queryByTestId("app-version")).toBeNull();
  });
});
