/**
 * Journey 1 (issue #5): the first run. A fresh data folder opens on the wizard; the manager is
 * created, demo mode is kept, and the register opens with the demo licence's inventory to sell
 * from. Screenshots: the wizard's steps, the empty register, inventory and its adjust dialog.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { GRAMS_LABEL, firstRunDemo, open } from "./lib/steps.mjs";

let app;
before(async () => {
  app = await RunningApp.launch({ label: "first-run" });
});
after(async () => app?.close());

test("first run: the wizard creates the manager, keeps demo mode and lands on the register", () => withFailureShot(app, "1-first-run", async () => {
    const s = app.session;
    assert.equal(await s.title(), "Stateline");
    await firstRunDemo(app, { shots: true });

    const sell = await s.byId("nav-sell");
    assert.equal(await s.attribute(sell, "aria-current"), "page", "the register is the screen shown");
    for (const screen of ["inventory", "sync", "keys", "users", "settings", "audit", "demo"]) {
      assert.ok(await s.exists(`[data-testid="nav-${screen}"]`), `a manager in demo mode sees ${screen}`);
    }
    await s.byId("scan-input");
    await app.screenshot("sell");

    // The demo licence's packages are there to sell from.
    await open(app, "inventory");
    await s.byId(`package-row-${GRAMS_LABEL}`);
    await s.byId("manifests");
    await app.screenshot("inventory");

    // The manager may adjust a package (reasons from Metrc); the dialog is only looked at here.
    await s.clickId(`package-adjust-${GRAMS_LABEL}`);
    await s.byId("adjust-dialog");
    await s.find('[data-testid="adjust-reason"] option:not([value=""])');
    await app.screenshot("inventory-adjust");
    await s.clickId("adjust-dialog-cancel");
    await s.gone('[data-testid="adjust-dialog"]');
}));
