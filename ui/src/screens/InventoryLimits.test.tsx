/** Inventory › Purchase limits on the fake backend: items that cannot be sold, a manager's mapping, refetch on events, refusals by code. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend, LICENCE } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Inventory } from "./Inventory";

const TINCTURE = "House Tincture 30ml";

describe("Inventory: purchase limits", () => {
  it("shows everyone which items cannot be sold and why, without the mapping action for a budtender", async () => {
    const fake = new FakeBackend();
    fake.limits.mapped = [{ item_name: "Rosin 1g", amounts: [{ category: "concentrate", amount: 1 }], reason: "1 g jar of rosin", mapped_by: "Mia", mapped_at: "2026-11-20T17:00:00Z" }];
    renderAs("Bea", <Inventory />, fake);
    const row = await screen.findByTestId(`limit-unmapped-${TINCTURE}`);
    const cells = within(row).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual([TINCTURE, "Each", "InfusedNonEdible", "Metrc gives no THC content per unit for this item", "1"]);
    expect(screen.getByTestId("limit-items").textContent).toContain("until a manager maps it");
    expect(screen.queryByTestId(`limit-map-${TINCTURE}`)).toBeNull();
    const mapped = screen.getByTestId("limit-mapped-Rosin 1g");
    expect(mapped.textContent).toContain("1 g Concentrate (by weight)");
    expect(mapped.textContent).toContain("1 g jar of rosin");
    expect(mapped.textContent).toContain("Mia");
    expect(fake.calls.find((c) => c.command === "limit_items")?.req).toEqual({ licence: LICENCE });
  });

  it("lets a manager map an item: the request names the categories, amounts and reason, and the lists follow", async () => {
    const { fake } = renderAs("Mia", <Inventory />);
    fireEvent.click(await screen.findByTestId(`limit-map-${TINCTURE}`));
    const dialog = screen.getByTestId("map-dialog");
    expect(within(dialog).getByLabelText("Edibles and other infused products (by THC content) (mg per unit)")).toBeTruthy();
    const confirm = screen.getByTestId("map-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("map-amount-infused_thc"), { target: { value: " 300 " } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("map-reason"), { target: { value: "Label says 300 mg THC per bottle" } });
    expect(confirm.disabled).toBe(false);
    const loads = fake.calls.filter((c) => c.command === "limit_items").length;
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect(fake.calls.find((c) => c.command === "map_item")?.req).toEqual({
      licence: LICENCE,
      item_name: TINCTURE,
      amounts: [{ category: "infused_thc", amount: "300" }],
      reason: "Label says 300 mg THC per bottle",
    });
    expect(screen.queryByTestId("map-dialog")).toBeNull();
    const mapped = await screen.findByTestId(`limit-mapped-${TINCTURE}`);
    expect(mapped.textContent).toContain("300 mg Edibles and other infused products (by THC content)");
    expect(screen.queryByTestId(`limit-unmapped-${TINCTURE}`)).toBeNull();
    expect(screen.getByTestId("limit-unmapped-none")).toBeTruthy();
    expect(fake.calls.filter((c) => c.command === "limit_items").length).toBeGreaterThan(loads);
  });

  it("keeps the dialog open with the refusal by its code", async () => {
    const { fake } = renderAs("Mia", <Inventory />);
    fireEvent.click(await screen.findByTestId(`limit-map-${TINCTURE}`));
    fireEvent.change(screen.getByTestId("map-amount-flower"), { target: { value: "-1" } });
    fireEvent.change(screen.getByTestId("map-reason"), { target: { value: "guess" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("map-dialog-confirm"));
    });
    expect((await screen.findByTestId("map-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(screen.getByTestId("map-dialog")).toBeTruthy();
    expect(fake.limits.mapped).toHaveLength(0);
  });

  it("fetches the lists again when inventory changes", async () => {
    const { fake } = renderAs("Bea", <Inventory />);
    await screen.findByTestId(`limit-unmapped-${TINCTURE}`);
    fake.limits.unmapped.push({ item_name: "Mystery Wax", unit_of_measure: "Grams", category_type: null, reason: "Metrc gives no category type for this item", packages: 2 });
    act(() => fake.emit("inventory_changed", { licence: LICENCE }));
    const row = await screen.findByTestId("limit-unmapped-Mystery Wax");
    expect(row.textContent).toContain("none");
    expect(screen.getByTestId("limit-items").textContent).toContain("These 2 items cannot be sold");
  });

  it("says so when no limits are in force, and shows a failure to load by its code", async () => {
    const fake = new FakeBackend();
    fake.limits.state = null;
    renderAs("Mia", <Inventory />, fake);
    expect(await screen.findByTestId("limit-items-off")).toBeTruthy();
    expect(screen.queryByTestId("limit-unmapped")).toBeNull();

    fake.failNext("limit_items", { code: "storage_error", message: "The local database could not be read. Restart Stateline." });
    act(() => fake.emit("inventory_changed", { licence: LICENCE }));
    await waitFor(() => expect(screen.getByTestId("limit-items-error").getAttribute("data-code")).toBe("storage_error"));
  });
});
