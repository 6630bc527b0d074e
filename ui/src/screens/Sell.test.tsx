/** The register on the fake backend: scanner input, Enter completes, Escape cancels, focus stays on the scan field, refusals by code. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Sell } from "./Sell";

const BLUE = "1A4000000000000000000001";
const GUMMIES = "1A4000000000000000000002";

function scanField() {
  return screen.getByTestId("scan-input") as HTMLInputElement;
}

/** What a barcode scanner does: types the label fast, then presses Enter. */
async function scan(label: string) {
  const field = scanField();
  for (let i = 1; i <= label.length; i++) fireEvent.change(field, { target: { value: label.slice(0, i) } });
  await act(async () => {
    fireEvent.keyDown(field, { key: "Enter" });
  });
}

async function press(key: string) {
  await act(async () => {
    fireEvent.keyDown(scanField(), { key });
  });
}

function setPrice(label: string, price: string) {
  fireEvent.change(screen.getByTestId(`cart-price-${label}`), { target: { value: price } });
}

async function renderSell(fake = new FakeBackend()) {
  const result = renderAs("Bea", <Sell />, fake);
  await screen.findByTestId("customer-type");
  return result;
}

describe("Sell", () => {
  it("starts with the focus in the scan field", async () => {
    await renderSell();
    expect(document.activeElement).toBe(scanField());
  });

  it("adds the exact scanned label to the cart, clears the field and keeps the focus there", async () => {
    const { fake } = await renderSell();
    await scan(BLUE);
    const line = await screen.findByTestId(`cart-line-${BLUE}`);
    expect(fake.calls.filter((c) => c.command === "search_packages").map((c) => c.req)).toEqual([{ query: BLUE, licence: "403R-00001", limit: 8 }]);
    expect(line.textContent).toContain("Blue Dream 3.5g");
    expect((screen.getByTestId(`cart-qty-${BLUE}`) as HTMLInputElement).value).toBe("1");
    expect(scanField().value).toBe("");
    expect(document.activeElement).toBe(scanField());
    await scan(BLUE);
    await waitFor(() => expect((screen.getByTestId(`cart-qty-${BLUE}`) as HTMLInputElement).value).toBe("2"));
  });

  it("Enter on the empty scan field completes the sale and shows the receipt at once", async () => {
    const { fake } = await renderSell();
    await scan(BLUE);
    setPrice(BLUE, "12.5");
    fireEvent.change(screen.getByTestId(`cart-qty-${BLUE}`), { target: { value: "2" } });
    fireEvent.keyDown(screen.getByTestId(`cart-qty-${BLUE}`), { key: "Enter" });
    expect(document.activeElement).toBe(scanField());
    await press("Enter");
    const receipt = await screen.findByTestId("receipt");
    expect(receipt.getAttribute("data-receipt")).toBe(fake.receipts[0]!.client_id);
    expect(Number(receipt.getAttribute("data-elapsed-ms"))).toBeGreaterThanOrEqual(0);
    expect(within(receipt).getByTestId("receipt-total").textContent).toBe("$25.00");
    expect(screen.queryByTestId(`cart-line-${BLUE}`)).toBeNull();
    expect(document.activeElement).toBe(scanField());
    expect(fake.calls.find((c) => c.command === "complete_sale")?.req).toEqual({
      licence: "403R-00001",
      customer_type: "Consumer",
      patient_number: null,
      caregiver_number: null,
      identification_method: null,
      lines: [{ label: BLUE, quantity: "2", price: "25.00" }],
    });
  });

  it("Escape clears a half-typed search first, then cancels the cart; the focus stays in the scan field", async () => {
    const { fake } = await renderSell();
    await scan(BLUE);
    fireEvent.change(scanField(), { target: { value: "gum" } });
    expect(await screen.findByTestId(`search-result-${GUMMIES}`)).toBeTruthy();
    await press("Escape");
    expect(scanField().value).toBe("");
    expect(screen.getByTestId(`cart-line-${BLUE}`)).toBeTruthy();
    await press("Escape");
    expect(screen.queryByTestId(`cart-line-${BLUE}`)).toBeNull();
    expect(document.activeElement).toBe(scanField());
    expect(fake.calls.some((c) => c.command === "complete_sale")).toBe(false);
  });

  it("adds a package picked from the search results by name", async () => {
    await renderSell();
    fireEvent.change(scanField(), { target: { value: "gummies" } });
    fireEvent.click(await screen.findByTestId(`search-result-${GUMMIES}`));
    expect(screen.getByTestId(`cart-line-${GUMMIES}`)).toBeTruthy();
    expect(document.activeElement).toBe(scanField());
  });

  it("shows the backend's refusal of more than is on hand by its code, and keeps the cart", async () => {
    const { fake } = await renderSell();
    await scan(GUMMIES);
    fireEvent.change(screen.getByTestId(`cart-qty-${GUMMIES}`), { target: { value: "5" } });
    setPrice(GUMMIES, "20");
    fireEvent.click(screen.getByTestId("complete-sale"));
    const error = await screen.findByTestId("sell-error");
    expect(error.getAttribute("data-code")).toBe("insufficient_quantity");
    expect(error.textContent).toContain("Only 2 Each of Gummies 10pk on hand");
    expect(screen.getByTestId(`cart-line-${GUMMIES}`).getAttribute("data-over")).toBe("true");
    expect(screen.queryByTestId("receipt")).toBeNull();
    expect(fake.receipts).toHaveLength(0);
    expect(document.activeElement).toBe(scanField());
  });

  it("says so when a scanned label is not on hand, without adding anything", async () => {
    await renderSell();
    await scan("1A40000000000000000000ZZ");
    expect((await screen.findByTestId("scan-notice")).textContent).toContain("No package on hand matches");
    expect(screen.getByTestId("cart").textContent).toContain("Scan a package");
  });

  it("asks a patient, not a consumer, for the number the licence requires, and sends it", async () => {
    const fake = new FakeBackend();
    fake.licences[0]!.requires_patient_number = true;
    await renderSell(fake);
    await scan(BLUE);
    setPrice(BLUE, "10");
    expect(screen.queryByTestId("patient-number")).toBeNull();
    fireEvent.change(screen.getByTestId("customer-type"), { target: { value: "Patient" } });
    const patient = (await screen.findByTestId("patient-number")) as HTMLInputElement;
    expect(patient.required).toBe(true);
    fireEvent.change(patient, { target: { value: "P-123" } });
    await press("Enter");
    await screen.findByTestId("receipt");
    expect(fake.calls.find((c) => c.command === "complete_sale")?.req).toMatchObject({ patient_number: "P-123" });
  });

  it("asks an external patient how they were identified where the licence requires it, and sends it", async () => {
    const fake = new FakeBackend();
    fake.licences[0]!.requires_identification_method = true;
    await renderSell(fake);
    await scan(BLUE);
    setPrice(BLUE, "10");
    fireEvent.change(screen.getByTestId("customer-type"), { target: { value: "Patient" } });
    expect(screen.queryByTestId("identification-method")).toBeNull();
    fireEvent.change(screen.getByTestId("customer-type"), { target: { value: "ExternalPatient" } });
    fireEvent.change(await screen.findByTestId("patient-number"), { target: { value: "OUT-77" } });
    const method = (await screen.findByTestId("identification-method")) as HTMLInputElement;
    expect(method.required).toBe(true);
    expect(method.labels?.[0]?.textContent).toContain("(required)");
    fireEvent.change(method, { target: { value: "  Driver's License " } });
    await press("Enter");
    await screen.findByTestId("receipt");
    expect(fake.calls.find((c) => c.command === "complete_sale")?.req).toMatchObject({
      customer_type: "ExternalPatient",
      patient_number: "OUT-77",
      identification_method: "Driver's License",
    });
  });

  it("offers a medical-only licence's patient types only, and shows the backend's refusal by field", async () => {
    const fake = new FakeBackend();
    fake.licences[0]!.sells_to_consumers = false;
    fake.licences[0]!.requires_patient_number = true;
    await renderSell(fake);
    const types = screen.getByTestId("customer-type") as HTMLSelectElement;
    await waitFor(() => expect(types.value).toBe("Patient"));
    expect([...types.options].map((o) => o.value)).not.toContain("Consumer");
    await scan(BLUE);
    setPrice(BLUE, "10");
    await press("Enter");
    expect((await screen.findByTestId("sell-error")).textContent).toContain("patient number");
    expect(screen.queryByTestId("receipt")).toBeNull();
  });

  it("refuses to complete a line without a price, in words, without calling the backend", async () => {
    const { fake } = await renderSell();
    await scan(BLUE);
    await press("Enter");
    expect((await screen.findByTestId("sell-error")).getAttribute("data-code")).toBe("price_missing");
    expect(fake.calls.some((c) => c.command === "complete_sale")).toBe(false);
  });

  it("sends typing back to the scan field when a button had the focus", async () => {
    await renderSell();
    await scan(BLUE);
    const remove = screen.getByTestId(`cart-remove-${BLUE}`);
    remove.focus();
    expect(document.activeElement).toBe(remove);
    fireEvent.keyDown(remove, { key: "1" });
    expect(document.activeElement).toBe(scanField());
  });
});
