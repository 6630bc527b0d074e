/** Inventory on the fake backend: on-hand, adjust with reasons and notes, split and merge requests, manifests only online. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderAs } from "../testing/render";
import { Inventory, mergeOutput, splitOutputs } from "./Inventory";

const BLUE = "1A4000000000000000000001";
const BULK = "1A4000000000000000000003";

describe("Inventory", () => {
  it("lists packages with local on-hand and refetches when inventory changes", async () => {
    const { fake } = renderAs("Bea", <Inventory />);
    expect((await screen.findByTestId(`package-onhand-${BLUE}`)).textContent).toBe("10 Each");
    fake.packages[0]!.on_hand = "7";
    act(() => fake.emit("inventory_changed", { licence: null }));
    await waitFor(() => expect(screen.getByTestId(`package-onhand-${BLUE}`).textContent).toBe("7 Each"));
  });

  it("hides adjust, merge and split from a budtender", async () => {
    renderAs("Bea", <Inventory />);
    await screen.findByTestId(`package-row-${BLUE}`);
    expect(screen.queryByTestId(`package-adjust-${BLUE}`)).toBeNull();
    expect(screen.queryByTestId("inventory-merge")).toBeNull();
  });

  it("adjusts with a reason and requires the note the reason needs", async () => {
    const { fake } = renderAs("Mia", <Inventory />);
    fireEvent.click(await screen.findByTestId(`package-adjust-${BULK}`));
    fireEvent.change(screen.getByTestId("adjust-quantity"), { target: { value: "-3" } });
    const reason = screen.getByTestId("adjust-reason");
    await screen.findByRole("option", { name: "Theft" });
    fireEvent.change(reason, { target: { value: "Theft" } });
    const confirm = screen.getByTestId("adjust-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("adjust-note"), { target: { value: "Jar missing after close" } });
    expect(confirm.disabled).toBe(false);
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect(fake.calls.find((c) => c.command === "adjust_package")?.req).toEqual({ label: BULK, quantity: "-3", reason: "Theft", note: "Jar missing after close" });
    expect(screen.queryByTestId("adjust-dialog")).toBeNull();
  });

  it("splits into new tags and shows a duplicate tag refusal by its code", async () => {
    const { fake } = renderAs("Mia", <Inventory />);
    fireEvent.click(await screen.findByTestId(`package-split-${BULK}`));
    fireEvent.change(screen.getByTestId("split-tag-0"), { target: { value: BLUE } });
    fireEvent.change(screen.getByTestId("split-quantity-0"), { target: { value: "100" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("split-dialog-confirm"));
    });
    expect((await screen.findByTestId("split-error")).getAttribute("data-code")).toBe("duplicate_tag");
    fireEvent.change(screen.getByTestId("split-tag-0"), { target: { value: "1A40000000000000000000N1" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("split-dialog-confirm"));
    });
    expect(fake.calls.filter((c) => c.command === "new_packages").at(-1)?.req).toEqual({
      outputs: [{ tag: "1A40000000000000000000N1", item_name: null, quantity: "100", ingredients: [{ label: BULK, quantity: "100" }] }],
    });
  });

  it("shows incoming manifests only while Metrc is reachable", async () => {
    const { fake } = renderAs("Bea", <Inventory />);
    act(() => fake.emit("status_changed", fake.status));
    expect(await screen.findByTestId("manifest-row-7")).toBeTruthy();
    act(() => fake.emit("status_changed", { ...fake.status, health: "offline" }));
    await waitFor(() => expect(screen.queryByTestId("manifest-row-7")).toBeNull());
    expect(screen.getByTestId("manifests").textContent).toContain("when Metrc is reachable");
  });

  it("builds merge and split requests with exact quantities", () => {
    expect(mergeOutput(" NEW ", [{ label: "A", quantity: "0.1" }, { label: "B", quantity: "0.2" }])).toEqual({
      tag: "NEW",
      item_name: null,
      quantity: "0.3",
      ingredients: [{ label: "A", quantity: "0.1" }, { label: "B", quantity: "0.2" }],
    });
    expect(splitOutputs("S", [{ tag: "T1", quantity: "1" }, { tag: "T2", quantity: "2" }]).map((o) => o.ingredients)).toEqual([
      [{ label: "S", quantity: "1" }],
      [{ label: "S", quantity: "2" }],
    ]);
  });

  it("narrows the list by label or product name", async () => {
    renderAs("Bea", <Inventory />);
    await screen.findByTestId(`package-row-${BLUE}`);
    fireEvent.change(screen.getByTestId("inventory-filter"), { target: { value: "bulk" } });
    expect(screen.queryByTestId(`package-row-${BLUE}`)).toBeNull();
    expect(screen.getByTestId(`package-row-${BULK}`)).toBeTruthy();
  });
});
