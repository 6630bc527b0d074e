/**
 * Journey 6 (issue #5): Metrc rejects a sale, and a manager voids it with a reason, then finds the
 * void in the audit log. The rejection is a real one: Metrc's count of a package is corrected at
 * Metrc (the emulator's control API sets it to 2 g, as another system would) while the register
 * still holds its own count, so selling 5 g is fine locally and Metrc refuses the row. The void is
 * kept locally, is never sent, and the audit log names the record and the reason.
 * Screenshots: Sync with the rejected record and its history, the void dialog, the audit log.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { LICENCE, MANAGER, firstRunDemo, label, open, sellByScanning } from "./lib/steps.mjs";
import { Session, waitFor } from "./lib/webdriver.mjs";

const REASON = "Metrc had 2 g left after the count correction; customer refunded";

let app;
before(async () => {
  app = await RunningApp.launch({ label: "void" });
  await firstRunDemo(app);
});
after(async () => app?.close());

test("a manager voids a rejected record with a reason and finds it in the audit log", () => withFailureShot(app, "6-void-rejected", async () => {
    const s = app.session;
    const pkg = label(9);
    await app.emulator(`/packages/${pkg}/quantity`, { method: "PUT", body: { licenseNumber: LICENCE, quantity: 2 } });
    const number = await sellByScanning(app, [{ label: pkg, quantity: "5", price: "10.00" }]);

    await open(app, "sync");
    const rowOf = async (state) => {
      for (const row of await s.findAll('[data-testid^="entry-row-"]')) {
        if ((await s.attribute(row, "data-client-id")) === number && (await s.attribute(row, "data-state")) === state) {
          return (await s.attribute(row, "data-testid")).replace("entry-row-", "");
        }
      }
      return undefined;
    };
    const entry = await waitFor("the sale rejected by Metrc", () => rowOf("rejected"), { timeoutMs: 60_000 });
    await s.click(await s.find('[data-testid="sync-filter"] option[value="rejected"]'));
    await s.clickId(`entry-history-${entry}`);
    await s.byId(`entry-attempts-${entry}`);
    await s.execute("arguments[0].scrollIntoView({ block: 'center' });", [Session.ref(await s.byId(`entry-details-${entry}`))]);
    await app.screenshot("sync-rejected");

    await s.clickId(`entry-void-${entry}`);
    await s.byId("void-dialog");
    assert.equal(await s.property(await s.byId("void-dialog-confirm"), "disabled"), true, "no void without a reason");
    await s.fill("void-reason", REASON);
    await app.screenshot("void-dialog");
    await s.clickId("void-dialog-confirm");
    await s.gone('[data-testid="void-dialog"]');
    await s.click(await s.find('[data-testid="sync-filter"] option[value="voided"]'));
    await waitFor("the record voided", () => rowOf("voided"));
    assert.equal((await app.emulatorReceipts()).filter((r) => r.external_receipt_number === number).length, 0, "Metrc never took it");

    await open(app, "audit");
    const row = await waitFor("the void in the audit log", async () => {
      for (const r of await s.findAll('[data-testid="audit-row"][data-action="record_voided"]')) {
        if ((await s.text(r)).includes(REASON)) return r;
      }
      return undefined;
    });
    const text = await s.text(row);
    assert.ok(text.includes(MANAGER.name), `the audit row names who voided it: ${text}`);
    await app.screenshot("audit");
}));
