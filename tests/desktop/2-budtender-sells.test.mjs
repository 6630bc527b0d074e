/**
 * Journey 2 (issue #5): a budtender logs in with her PIN, is asked for her Metrc key, pastes the
 * demo key, sees what it may do, and sells: a scanned label goes into the cart, Enter on the empty
 * scan field completes, the receipt shows at once, and the sale reaches Metrc (the receipt's
 * record turns confirmed and nothing waits). Screenshots: login, PIN, key prompt, cart, receipt.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { BUDTENDER, GRAMS_LABEL, answerKeyPrompt, chipSays, firstRunDemo, label, login, sellByScanning } from "./lib/steps.mjs";
import { Session, waitFor } from "./lib/webdriver.mjs";

let app;
before(async () => {
  app = await RunningApp.launch({ label: "budtender" });
  await firstRunDemo(app);
});
after(async () => app?.close());

test("a budtender logs in, pastes her key and sells by scanning", () => withFailureShot(app, "2-budtender-sells", async () => {
    const s = app.session;
    await s.clickId("logout");
    await s.byId(`login-user-${BUDTENDER.name}`);
    await app.screenshot("login");
    await login(app, BUDTENDER, { shotPin: "login-pin" });

    // No key yet: the prompt asks for one; the demo key is accepted and its matrix shown.
    await s.byId("key-prompt");
    const chip = await s.byId("status-chip");
    assert.ok(await s.attribute(chip, "data-state"), "the key prompt carries the status chip");
    await answerKeyPrompt(app, BUDTENDER.key, { shot: "key-prompt", shotSaved: "key-prompt-saved" });
    const user = await s.byId("session-user");
    assert.equal(await s.attribute(user, "data-role"), "budtender");
    for (const managerOnly of ["users", "settings", "audit"]) {
      assert.equal(await s.exists(`[data-testid="nav-${managerOnly}"]`), false, `a budtender does not see ${managerOnly}`);
    }

    const other = label(14);
    const number = await sellByScanning(app, [
      { label: GRAMS_LABEL, quantity: "3.5", price: "12.00" },
      { label: other, quantity: "2", price: "5.25" },
    ], { shotCart: "sell-cart" });
    assert.ok(number, "the receipt has a number");
    await s.byId(`receipt-line-${GRAMS_LABEL}`);
    await s.byId(`receipt-line-${other}`);
    assert.match(await s.text(await s.byId("receipt-total")), /52\.50/);
    const scan = await s.byId("scan-input");
    const focused = await s.execute("return document.activeElement === arguments[0];", [Session.ref(scan)]);
    assert.equal(focused, true, "the focus is back in the scan field");
    await app.screenshot("receipt");

    // The sale reaches Metrc under her key: nothing waits and the emulator holds it once.
    await chipSays(app, "in_step", { waiting: 0 });
    const receipts = await waitFor("the sale in Metrc", async () => {
      const found = (await app.emulatorReceipts()).filter((r) => r.external_receipt_number === number);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(receipts.length, 1, "the sale reached Metrc once");
    assert.deepEqual(receipts[0].transactions.map((t) => t.package_label).sort(), [GRAMS_LABEL, other].sort());
}));
