/** Selling by keys (issue #15): ↓ into the results, Tab to the last line's quantity, the recently sold list, and Print receipt. */
import { act, fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Sell } from "./Sell";

const BLUE = "1A4000000000000000000001";

function scanField() {
  return screen.getByTestId("scan-input") as HTMLInputElement;
}

async function key(target: Element, k: string) {
  await act(async () => {
    fireEvent.keyDown(target, { key: k });
  });
}

async function renderSell() {
  const result = renderAs("Bea", <Sell />, new FakeBackend());
  await screen.findByTestId("customer-type");
  return result;
}

describe("Sell by keys", () => {
  it("goes down into the search results, adds with Enter's click, then Tab edits the last line", async () => {
    await renderSell();
    // Before the first sale the left half offers packages on hand; ↓ enters that list too.
    const first = await screen.findByTestId(`on-hand-${BLUE}`);
    await key(scanField(), "ArrowDown");
    expect(document.activeElement).toBe(first);
    await key(first, "ArrowUp");
    expect(document.activeElement).toBe(scanField());
    fireEvent.change(scanField(), { target: { value: "Blue" } });
    const hit = await screen.findByTestId(`search-result-${BLUE}`);
    await key(scanField(), "ArrowDown");
    expect(document.activeElement).toBe(hit);
    await key(hit, "Escape");
    expect(document.activeElement).toBe(scanField());
    await key(scanField(), "ArrowDown");
    await act(async () => {
      (document.activeElement as HTMLButtonElement).click();
    });
    await screen.findByTestId(`cart-line-${BLUE}`);
    expect(document.activeElement).toBe(scanField());
    await key(scanField(), "Tab");
    expect(document.activeElement).toBe(screen.getByTestId(`cart-qty-${BLUE}`));
  });

  it("lists what was sold last (ids shortened, full on hover) and prints the receipt", async () => {
    await renderSell();
    fireEvent.change(scanField(), { target: { value: BLUE } });
    await key(scanField(), "Enter");
    fireEvent.change(await screen.findByTestId(`cart-price-${BLUE}`), { target: { value: "10" } });
    await key(scanField(), "Enter");
    const receipt = await screen.findByTestId("receipt");
    const recent = await screen.findByTestId(`recent-${BLUE}`);
    const id = recent.querySelector(".id-short")!;
    expect(id.textContent).toBe("1A40…000001");
    expect(id.getAttribute("title")).toBe(BLUE);
    const print = vi.spyOn(window, "print").mockImplementation(() => undefined);
    fireEvent.click(screen.getByTestId("receipt-print"));
    expect(print).toHaveBeenCalledOnce();
    const printed = document.querySelector(".printed-receipt");
    expect(printed?.textContent).toContain(receipt.getAttribute("data-receipt"));
    expect(printed?.textContent).toContain(BLUE);
  });
});
