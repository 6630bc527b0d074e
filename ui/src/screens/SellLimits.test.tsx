/**
 * Purchase limits at the register, on the fake backend's Colorado rules (28 g of flower per
 * transaction for adult use): the running totals follow the cart, a cart over a limit cannot be
 * completed and says which limit and by how much, a blocked cart says why, a patient is looked
 * up, and a sale held for a manager's approval is sent again with it. Refusals by their code.
 */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend, LICENCE } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Sell } from "./Sell";

const BLUE = "1A4000000000000000000001";
const BULK = "1A4000000000000000000003";
const GUMMIES = "1A4000000000000000000002";
const TINCTURE = "1A4000000000000000000009";
const FLOWER_RULE = "limit-total-adult-use-transaction";

async function scan(label: string) {
  const field = screen.getByTestId("scan-input");
  fireEvent.change(field, { target: { value: label } });
  await act(async () => {
    fireEvent.keyDown(field, { key: "Enter" });
  });
  await screen.findByTestId(`cart-line-${label}`);
}

function setQuantity(label: string, quantity: string) {
  fireEvent.change(screen.getByTestId(`cart-qty-${label}`), { target: { value: quantity } });
}

function setPrice(label: string, price: string) {
  fireEvent.change(screen.getByTestId(`cart-price-${label}`), { target: { value: price } });
}

function completeButton() {
  return screen.getByTestId("complete-sale") as HTMLButtonElement;
}

async function renderSell(fake = new FakeBackend(), user = "Bea") {
  const result = renderAs(user, <Sell />, fake);
  await screen.findByTestId("customer-type");
  return result;
}

/** Waits until the flower row shows `total` (the debounced preview answered). */
async function flowerTotal(total: string) {
  await waitFor(() => expect(screen.getByTestId(FLOWER_RULE).getAttribute("data-total")).toBe(total));
  return screen.getByTestId(FLOWER_RULE);
}

function previews(fake: FakeBackend) {
  return fake.calls.filter((c) => c.command === "limit_preview").map((c) => c.req as { lines: { quantity: string }[]; customer_type: string; patient_number: string | null });
}

async function choosePatient(number: string) {
  fireEvent.change(screen.getByTestId("customer-type"), { target: { value: "Patient" } });
  fireEvent.change(await screen.findByTestId("patient-number"), { target: { value: number } });
}

describe("Sell: purchase limits", () => {
  it("shows the running total of every limit and follows the quantities, checking once the typing stops", async () => {
    const { fake } = await renderSell();
    expect(screen.queryByTestId("limit-panel")).toBeNull();
    await scan(BULK);
    const row = await flowerTotal("1");
    expect(row.getAttribute("data-limit")).toBe("28");
    expect(row.getAttribute("data-over")).toBe("false");
    expect(row.textContent).toContain("Flower");
    expect(row.textContent).toContain("1 / 28 g per transaction");
    const concentrate = screen.getByTestId("limit-total-adult-use-concentrate-day");
    expect(concentrate.getAttribute("data-certain")).toBe("false");
    expect(concentrate.textContent).toContain("(unconfirmed)");
    expect(concentrate.textContent).toContain("0 / 8 g per day");
    expect(screen.getByTestId("limit-scope").textContent).toContain("this sale alone");
    expect(previews(fake).at(-1)).toEqual({ licence: LICENCE, customer_type: "Consumer", patient_number: null, lines: [{ label: BULK, quantity: "1", price: "0.00" }] });

    const before = previews(fake).length;
    setQuantity(BULK, "2");
    setQuantity(BULK, "21");
    setQuantity(BULK, "21.5");
    expect((await flowerTotal("21.5")).textContent).toContain("21.5 / 28 g per transaction");
    expect(previews(fake).slice(before).map((r) => r.lines[0]!.quantity)).toEqual(["21.5"]);

    await scan(BLUE);
    await flowerTotal("25");
    expect(completeButton().disabled).toBe(false);
  });

  it("never lets the answer for an older cart replace the one for the cart as it stands", async () => {
    const fake = new FakeBackend();
    const answer = fake.limitPreview;
    let release: () => void = () => undefined;
    let calls = 0;
    fake.limitPreview = (req) => {
      calls += 1;
      if (calls > 1) return answer(req);
      return new Promise((resolve) => {
        release = () => resolve(answer(req));
      });
    };
    await renderSell(fake);
    await scan(BULK);
    await waitFor(() => expect(calls).toBe(1));
    setQuantity(BULK, "20");
    await flowerTotal("20");
    await act(async () => release());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getByTestId(FLOWER_RULE).getAttribute("data-total")).toBe("20");
  });

  it("holds a cart over a limit back, saying which limit and by how much, until it fits", async () => {
    const { fake } = await renderSell();
    await scan(BULK);
    setPrice(BULK, "10");
    setQuantity(BULK, "30");
    const row = await flowerTotal("30");
    expect(row.getAttribute("data-over")).toBe("true");
    expect(screen.getByTestId("limit-panel").getAttribute("data-over")).toBe("true");
    const over = screen.getByTestId("limit-over");
    expect(over.getAttribute("data-rule")).toBe("adult-use-transaction");
    expect(over.textContent).toContain("the limit is 28.00 g of flower per transaction; this sale makes 30.00 (2.00 over)");
    expect(completeButton().disabled).toBe(true);
    expect(completeButton().getAttribute("data-hold")).toBe("over_limit");
    await act(async () => {
      fireEvent.keyDown(screen.getByTestId("scan-input"), { key: "Enter" });
    });
    expect(fake.calls.some((c) => c.command === "complete_sale")).toBe(false);

    setQuantity(BULK, "28");
    await flowerTotal("28");
    expect(screen.queryByTestId("limit-over")).toBeNull();
    expect(completeButton().disabled).toBe(false);
    await act(async () => {
      fireEvent.click(completeButton());
    });
    expect(within(await screen.findByTestId("receipt")).getByTestId(`receipt-line-${BULK}`).textContent).toContain("28 Grams");
  });

  it("names the most exceeded limit when several are exceeded", async () => {
    const fake = new FakeBackend();
    fake.limits.perUnit.set("Gummies 10pk", { concentrate: 3 });
    await renderSell(fake);
    await scan(BULK);
    setQuantity(BULK, "10");
    await scan(GUMMIES);
    setQuantity(GUMMIES, "3");
    // 9 g of concentrate is 12.5% over its 8 g a day; 10 g of flower plus 9 g × 3.5 is 48% over 28 g.
    await flowerTotal("41.5");
    expect(screen.getByTestId("limit-total-adult-use-concentrate-day").getAttribute("data-over")).toBe("true");
    expect(screen.getByTestId("limit-over").getAttribute("data-rule")).toBe("adult-use-transaction");
    expect(screen.getByTestId("limit-over").textContent).toContain("this sale makes 41.50 (13.50 over)");
    expect(completeButton().disabled).toBe(true);
  });

  it("shows the backend's over_limit refusal when the sale is refused all the same", async () => {
    const fake = new FakeBackend();
    await renderSell(fake);
    await scan(BULK);
    setPrice(BULK, "10");
    await flowerTotal("1");
    const message = "This sale is over the adult-use-transaction limit: the limit is 28.00 g of flower per transaction; this sale makes 29.00 (1.00 over). Take items off the cart until it fits.";
    fake.failNext("complete_sale", { code: "over_limit", message });
    await act(async () => {
      fireEvent.click(completeButton());
    });
    const error = await screen.findByTestId("sell-error");
    expect(error.getAttribute("data-code")).toBe("over_limit");
    expect(error.textContent).toBe(message);
    expect(screen.getByTestId(`cart-line-${BULK}`)).toBeTruthy();
  });

  it("shows why a blocked cart cannot be sold and does not offer to complete it", async () => {
    const fake = new FakeBackend();
    fake.packages.push({ label: TINCTURE, licence: LICENCE, item_name: "House Tincture 30ml", unit_of_measure: "Each", on_hand: "4", metrc_quantity: "4", local_only: false, last_modified: null });
    await renderSell(fake);
    await scan(TINCTURE);
    const blocked = await screen.findByTestId("limit-blocked");
    expect(blocked.getAttribute("data-code")).toBe("item_not_mapped");
    expect(blocked.textContent).toContain("House Tincture 30ml cannot be sold under the purchase limits yet");
    expect(blocked.textContent).toContain("A manager can map it on the Inventory screen");
    expect(completeButton().disabled).toBe(true);
    expect(completeButton().getAttribute("data-hold")).toBe("item_not_mapped");

    // A manager maps it elsewhere: the inventory_changed event checks the cart again.
    fake.limits.perUnit.set("House Tincture 30ml", { infused_thc: 300 });
    act(() => fake.emit("inventory_changed", { licence: LICENCE }));
    await waitFor(() => expect(screen.queryByTestId("limit-blocked")).toBeNull());
    expect(screen.getByTestId(FLOWER_RULE).getAttribute("data-total")).toBe("10.5");
    expect(completeButton().disabled).toBe(false);
  });

  it("asks a manager to approve a medical sale without Metrc's reading and sends it again with the approval", async () => {
    const fake = new FakeBackend();
    fake.limits.withoutData = "manager_override";
    fake.limits.metrcReachable = false;
    await renderSell(fake);
    await scan(BLUE);
    setPrice(BLUE, "30");
    await choosePatient("PAT-0001");
    await waitFor(() => expect(screen.getByTestId("limit-blocked").getAttribute("data-code")).toBe("manager_approval_needed"));
    expect(completeButton().disabled).toBe(false);

    await act(async () => {
      fireEvent.click(completeButton());
    });
    expect((await screen.findByTestId("sell-error")).getAttribute("data-code")).toBe("manager_approval_needed");
    const dialog = await screen.findByTestId("approval-dialog");
    expect(dialog.textContent).toContain("needs a manager's approval");
    const confirm = screen.getByTestId("approval-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    await screen.findByRole("option", { name: "Mia" });
    fireEvent.change(screen.getByTestId("approval-pin"), { target: { value: "1111" } });
    fireEvent.change(screen.getByTestId("approval-reason"), { target: { value: "Metrc down; card checked by hand" } });
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect((await screen.findByTestId("approval-error")).getAttribute("data-code")).toBe("wrong_pin");
    expect((screen.getByTestId("approval-pin") as HTMLInputElement).value).toBe("");
    expect(fake.receipts).toHaveLength(0);

    fireEvent.change(screen.getByTestId("approval-pin"), { target: { value: "9999" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("approval-dialog-confirm"));
    });
    await screen.findByTestId("receipt");
    expect(screen.queryByTestId("approval-dialog")).toBeNull();
    expect(fake.calls.filter((c) => c.command === "complete_sale").at(-1)?.req).toEqual({
      licence: LICENCE,
      customer_type: "Patient",
      patient_number: "PAT-0001",
      caregiver_number: null,
      identification_method: null,
      lines: [{ label: BLUE, quantity: "1", price: "30.00" }],
      approval: { manager: "Mia", pin: "9999", reason: "Metrc down; card checked by hand" },
    });
  });

  it("looks a patient up in Metrc, counts against the allotment, and says when the reading is an old one", async () => {
    const fake = new FakeBackend();
    fake.licences[0]!.requires_patient_number = true;
    await renderSell(fake);
    await scan(BULK);
    await choosePatient("PAT-0002");
    await waitFor(() => expect(screen.getByTestId("limit-panel").getAttribute("data-basis")).toBe("adult_use_without_reading"));
    fireEvent.click(screen.getByTestId("patient-lookup"));
    const reading = await screen.findByTestId("patient-reading");
    expect(reading.getAttribute("data-state")).toBe("active");
    expect(reading.getAttribute("data-fresh")).toBe("true");
    expect(reading.textContent).toContain("Read from Metrc");
    expect(screen.getByTestId("patient-registration-0").textContent).toContain("2.83 g flower");
    expect(fake.calls.find((c) => c.command === "look_up_patient")?.req).toEqual({ licence: LICENCE, patient_number: "PAT-0002" });

    // The reading is used at once: the allotment is a limit of its own, in days.
    const allotment = await screen.findByTestId("limit-total-metrc-allotment:REG-0002:flower");
    expect(allotment.textContent).toContain("Metrc allotment REG-0002");
    expect(allotment.textContent).toContain("1 / 2.83 g per 30 days");
    expect(screen.getByTestId("limit-panel").getAttribute("data-basis")).toBe("patient_reading");
    expect(screen.getByTestId("limit-scope").textContent).toContain("this register's sales");
    setPrice(BULK, "10");
    setQuantity(BULK, "3");
    await waitFor(() => expect(screen.getByTestId("limit-over").getAttribute("data-rule")).toBe("metrc-allotment:REG-0002:flower"));
    expect(screen.getByTestId("limit-over").textContent).toContain("(0.17 over)");

    fake.limits.metrcReachable = false;
    fireEvent.click(screen.getByTestId("patient-lookup"));
    await waitFor(() => expect(screen.getByTestId("patient-reading").getAttribute("data-fresh")).toBe("false"));
    expect(screen.getByTestId("patient-reading").textContent).toContain("Last reading, from");
    expect(screen.getByTestId("patient-reading-note").textContent).toContain("the last reading kept here is used");
  });

  it("makes an unknown or inactive patient plain, and the cart blocked", async () => {
    const fake = new FakeBackend();
    await renderSell(fake);
    await scan(BLUE);
    await choosePatient("PAT-0404");
    fireEvent.click(screen.getByTestId("patient-lookup"));
    const unknown = await screen.findByTestId("patient-reading");
    expect(unknown.getAttribute("data-state")).toBe("unknown");
    expect(unknown.getAttribute("role")).toBe("alert");
    expect(unknown.textContent).toContain("Metrc does not know patient PAT-0404");
    await waitFor(() => expect(screen.getByTestId("limit-blocked").getAttribute("data-code")).toBe("patient_not_eligible"));
    expect(completeButton().disabled).toBe(true);

    fireEvent.change(screen.getByTestId("patient-number"), { target: { value: "PAT-0003" } });
    expect(screen.queryByTestId("patient-reading")).toBeNull();
    fireEvent.click(screen.getByTestId("patient-lookup"));
    await waitFor(() => expect(screen.getByTestId("patient-reading").getAttribute("data-state")).toBe("inactive"));
    expect(screen.getByTestId("patient-registration-0").getAttribute("data-active")).toBe("false");
  });

  it("shows refusals of the limits' commands by their code and leaves the decision to the sale", async () => {
    const fake = new FakeBackend();
    fake.failNext("limit_preview", { code: "storage_error", message: "The local database could not be read. Restart Stateline." });
    await renderSell(fake);
    await scan(BULK);
    setPrice(BULK, "10");
    expect((await screen.findByTestId("limit-error")).getAttribute("data-code")).toBe("storage_error");
    expect(completeButton().disabled).toBe(false);

    await choosePatient("PAT-0001");
    fake.failNext("look_up_patient", { code: "metrc_key_refused", message: "Metrc refused your key; paste a new one on the Keys screen." });
    fireEvent.click(screen.getByTestId("patient-lookup"));
    expect((await screen.findByTestId("patient-lookup-error")).getAttribute("data-code")).toBe("metrc_key_refused");
    expect(screen.queryByTestId("patient-reading")).toBeNull();
  });
});
