/** Settings › Purchase limits on the fake backend's Colorado rules: the rules with their sources, a manager's override set and cleared, refusals by code, read-only without `manage_limits`. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { LimitRules } from "./LimitRules";
import { Settings } from "./Settings";

const noop = () => undefined;
const FLOWER = "adult-use-transaction";

describe("Settings: purchase limits", () => {
  it("lists the state's rules with window, limit, unit, certainty, effective date and the source folded away", async () => {
    renderAs("Mia", <Settings onState={noop} />);
    const panel = await screen.findByTestId("limit-rules");
    await waitFor(() => expect(panel.getAttribute("data-state")).toBe("CO"));
    expect(panel.textContent).toContain("Colorado (CO) · rules version 1 · figures last checked against their sources on 2026-12-04");
    const cells = within(screen.getByTestId(`limit-rule-${FLOWER}`)).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(0, 3)).toEqual(["Adult use", "per transaction", "28 g of flower"]);
    expect(cells[4]).toBe("2022-01-01");
    expect(cells[5]).toBe("none");
    const source = screen.getByTestId(`limit-rule-source-${FLOWER}`) as HTMLDetailsElement;
    expect(source.open).toBe(false);
    expect(source.textContent).toContain("C.R.S. 44-10-601");
    const uncertain = screen.getByTestId("limit-rule-adult-use-concentrate-day");
    expect(uncertain.getAttribute("data-certain")).toBe("false");
    expect(uncertain.textContent).toContain("Not confirmed");
    expect(uncertain.textContent).toContain("per day");
    expect(screen.getByTestId("limit-rules-without-data").textContent).toContain("is sold within the adult-use limits");
  });

  it("lets a manager override a limit with a reason, then clear it", async () => {
    const { fake } = renderAs("Mia", <LimitRules />);
    fireEvent.click(await screen.findByTestId(`limit-override-${FLOWER}`));
    const value = screen.getByTestId("limit-override-value") as HTMLInputElement;
    expect(value.value).toBe("28");
    const confirm = screen.getByTestId("limit-override-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(value, { target: { value: "14" } });
    fireEvent.change(screen.getByTestId("limit-override-reason"), { target: { value: "Local ordinance: half an ounce" } });
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect(fake.calls.find((c) => c.command === "set_limit_override")?.req).toEqual({ rule_id: FLOWER, limit: "14", reason: "Local ordinance: half an ounce" });
    expect(screen.queryByTestId("limit-override-dialog")).toBeNull();
    await waitFor(() => expect(screen.getByTestId(`limit-rule-${FLOWER}`).getAttribute("data-overridden")).toBe("true"));
    const row = screen.getByTestId(`limit-rule-${FLOWER}`);
    expect(row.textContent).toContain("14 g of flower");
    expect(row.textContent).toContain("file: 28");
    expect(screen.getByTestId(`limit-rule-override-${FLOWER}`).textContent).toContain("set by Mia");
    expect(screen.getByTestId(`limit-rule-override-${FLOWER}`).textContent).toContain("Local ordinance: half an ounce");
    expect(fake.audit[0]).toMatchObject({ action: "limit_overridden", subject: FLOWER, actor: "Mia" });

    fireEvent.click(screen.getByTestId(`limit-clear-${FLOWER}`));
    expect(screen.getByTestId("limit-clear-dialog").textContent).toContain("The rules file says 28 g of flower");
    fireEvent.change(screen.getByTestId("limit-clear-reason"), { target: { value: "Ordinance repealed" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("limit-clear-dialog-confirm"));
    });
    expect(fake.calls.find((c) => c.command === "clear_limit_override")?.req).toEqual({ rule_id: FLOWER, reason: "Ordinance repealed" });
    await waitFor(() => expect(screen.getByTestId(`limit-rule-${FLOWER}`).getAttribute("data-overridden")).toBe("false"));
    expect(screen.queryByTestId(`limit-clear-${FLOWER}`)).toBeNull();
  });

  it("keeps the dialog open with the refusal by its code", async () => {
    const { fake } = renderAs("Mia", <LimitRules />);
    fireEvent.click(await screen.findByTestId(`limit-override-${FLOWER}`));
    fireEvent.change(screen.getByTestId("limit-override-value"), { target: { value: "0" } });
    fireEvent.change(screen.getByTestId("limit-override-reason"), { target: { value: "none at all" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("limit-override-dialog-confirm"));
    });
    expect((await screen.findByTestId("limit-override-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(fake.limits.rules.find((r) => r.id === FLOWER)?.store_override).toBeNull();
  });

  it("shows the rules read-only to someone who may not manage limits", async () => {
    renderAs("Bea", <LimitRules />);
    await screen.findByTestId(`limit-rule-${FLOWER}`);
    expect(screen.queryByTestId(`limit-override-${FLOWER}`)).toBeNull();
    expect(screen.getByTestId("limit-rules").textContent).toContain("Only a manager can change a limit");
  });

  it("says so when no state is chosen", async () => {
    const fake = new FakeBackend();
    fake.limits.state = null;
    renderAs("Mia", <LimitRules />, fake);
    expect((await screen.findByTestId("limit-rules-none")).textContent).toContain("No state is chosen");
  });
});
