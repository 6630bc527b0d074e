/**
 * Journey 7 (issue #14): purchase limits at the register. The demo sells in Colorado, where an
 * adult-use customer may buy at most 28 g of flower (or its equivalent) per transaction. A
 * budtender, at the register's smallest window (1024×768), puts 30 g of a flower package in the
 * cart: the running total shows the flower limit exceeded, completing is held back with the
 * message naming the limit and by how much (neither the button nor Enter sells), and the Complete
 * button is still inside the window. Lowered to 28 g — at the limit, which is allowed — the sale
 * completes and reaches Metrc with 28 g. Screenshot: the cart over the limit. Then an external
 * patient's sale: the demo licence requires how the patient was identified, so the register asks
 * for it, refuses the sale without it (naming the field), and with it the sale reaches Metrc
 * carrying it. Screenshot: the external patient's cart.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { BUDTENDER, GRAMS_LABEL, answerKeyPrompt, chipSays, firstRunDemo, login, receiptNumber } from "./lib/steps.mjs";
import { Keys, Session, waitFor } from "./lib/webdriver.mjs";

/** Colorado's adult-use limit per transaction (crates/limits/rules/CO.toml). */
const FLOWER_RULE = "adult-use-transaction";
const ROW = `[data-testid="limit-total-${FLOWER_RULE}"]`;

let app;
before(async () => {
  app = await RunningApp.launch({ label: "limits" });
  await firstRunDemo(app);
});
after(async () => app?.close());

/** Whether the element lies wholly inside the window's viewport. */
async function inWindow(s, element) {
  return s.execute(
    "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;",
    [Session.ref(element)],
  );
}

test("a cart over Colorado's 28 g of flower is held back with which limit and by how much, and sells at 28 g", () => withFailureShot(app, "7-purchase-limits", async () => {
    const s = app.session;
    await login(app, BUDTENDER);
    await answerKeyPrompt(app, BUDTENDER.key);
    await s.cmd("POST", "/window/rect", { width: 1024, height: 768 });
    const size = await waitFor("the window at 1024×768", async () => {
      const inner = await s.execute("return [window.innerWidth, window.innerHeight];");
      return inner[0] <= 1024 && inner[1] <= 768 ? inner : undefined;
    }, { timeoutMs: 10_000 });
    assert.ok(size[0] >= 900 && size[1] >= 650, `the window is about 1024×768 (inside: ${size.join("×")})`);

    await s.type(await s.byId("scan-input"), GRAMS_LABEL + Keys.ENTER);
    await s.byId(`cart-line-${GRAMS_LABEL}`);
    await s.fill(`cart-price-${GRAMS_LABEL}`, "9.00");
    await s.fill(`cart-qty-${GRAMS_LABEL}`, "30");

    // The running total: 30 of 28 g of flower per transaction, in the error style.
    await s.waitAttribute(ROW, "data-total", "30");
    const row = await s.find(ROW);
    assert.equal(await s.attribute(row, "data-limit"), "28");
    assert.equal(await s.attribute(row, "data-over"), "true");
    assert.match(await s.text(row), /30 \/ 28 g per transaction/);
    assert.equal(await s.attribute(await s.byId("limit-panel"), "data-over"), "true");

    // Completing is held back, saying which limit and by how much.
    const over = await s.byId("limit-over");
    assert.equal(await s.attribute(over, "data-rule"), FLOWER_RULE);
    const message = await s.text(over);
    assert.match(message, /the limit is 28(\.00)? g of flower per transaction/, message);
    assert.match(message, /this sale makes 30(\.00)? \(2(\.00)? over\)/, message);
    const complete = await s.byId("complete-sale");
    assert.equal(await s.property(complete, "disabled"), true, "Complete is disabled over the limit");
    assert.equal(await s.attribute(complete, "data-hold"), "over_limit");
    await s.type(await s.byId("scan-input"), Keys.ENTER);
    assert.equal(await inWindow(s, complete), true, "the Complete button stays inside a 1024×768 window");
    assert.equal(await inWindow(s, over), true, "so does the reason it is held back");
    await app.screenshot("sell-over-limit");
    assert.equal(await receiptNumber(app), null, "nothing was sold over the limit");
    assert.equal(await s.exists('[data-testid="sell-error"]'), false, "nothing was even sent");

    // At the limit it is allowed: the sale completes.
    await s.fill(`cart-qty-${GRAMS_LABEL}`, "28");
    await s.waitAttribute(ROW, "data-over", "false");
    assert.equal(await s.attribute(await s.find(ROW), "data-total"), "28");
    await s.gone('[data-testid="limit-over"]');
    await s.waitEnabled("complete-sale");
    await s.type(await s.byId("scan-input"), Keys.ENTER);
    const number = await waitFor("the receipt", async () => {
      if (await s.exists('[data-testid="sell-error"]')) {
        const error = await s.byId("sell-error");
        throw new Error(`the sale was refused: ${await s.attribute(error, "data-code")} ${await s.text(error)}`);
      }
      return (await receiptNumber(app)) ?? undefined;
    });
    assert.match(await s.text(await s.byId(`receipt-line-${GRAMS_LABEL}`)), /28 Grams/);

    // It reaches Metrc once, with 28 g.
    await chipSays(app, "in_step", { waiting: 0 });
    const receipts = await waitFor("the sale in Metrc", async () => {
      const found = (await app.emulatorReceipts()).filter((r) => r.external_receipt_number === number);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(receipts.length, 1, "the sale reached Metrc once");
    assert.deepEqual(receipts[0].transactions.map((t) => [t.package_label, Number(t.quantity)]), [[GRAMS_LABEL, 28]]);
}));

test("an external patient is asked how they were identified, refused without it, and Metrc gets it", () => withFailureShot(app, "7-external-patient", async () => {
    const s = app.session;
    await s.type(await s.byId("scan-input"), GRAMS_LABEL + Keys.ENTER);
    await s.byId(`cart-line-${GRAMS_LABEL}`);
    await s.fill(`cart-price-${GRAMS_LABEL}`, "9.00");
    await s.fill(`cart-qty-${GRAMS_LABEL}`, "1");
    assert.equal(await s.exists('[data-testid="identification-method"]'), false, "a consumer is not asked");
    await s.click(await s.find('[data-testid="customer-type"] option[value="ExternalPatient"]'));
    await s.fill("patient-number", "PAT-0001");
    const method = await s.byId("identification-method");
    assert.equal(await s.property(method, "required"), true, "the demo licence requires it");

    // Without it the register refuses, naming the field; nothing is sold.
    await s.clickId("complete-sale");
    const error = await s.byId("sell-error");
    assert.equal(await s.attribute(error, "data-code"), "invalid_input");
    assert.match(await s.text(error), /identification method/);
    assert.equal(await receiptNumber(app), null, "nothing was sold");

    await s.fill("identification-method", "Driver's License");
    assert.equal(await inWindow(s, await s.byId("complete-sale")), true, "Complete stays inside the window");
    await app.screenshot("sell-external-patient");
    await s.clickId("complete-sale");
    const number = await waitFor("the receipt", async () => (await receiptNumber(app)) ?? undefined);
    const sent = await waitFor("the sale in Metrc", async () =>
      (await app.emulatorReceipts()).find((r) => r.external_receipt_number === number));
    assert.equal(sent.sales_customer_type, "ExternalPatient");
    assert.equal(sent.patient_license_number, "PAT-0001");
    assert.equal(sent.identification_method, "Driver's License");
}));
