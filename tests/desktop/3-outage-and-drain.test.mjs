/**
 * Journey 3 (issue #5): Metrc goes down (demo panel: Metrc outage). The status chip says so and
 * counts what waits, and selling goes on with receipts at once. When Metrc is back the backlog
 * drains: the chip returns to "in step" with nothing waiting, and the embedded emulator (asked
 * through its control API, at the address the app listens on) holds every sale exactly once,
 * stamped with the time it was made at the register, not the time it was delivered.
 * Screenshots: the demo panel, the register during the outage, the Sync screen before and after.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { chipSays, demoFault, firstRunDemo, label, open, sellByScanning } from "./lib/steps.mjs";
import { waitFor } from "./lib/webdriver.mjs";

const ZONE = "America/Denver";

/** A UTC instant as the licence's wall-clock time, `YYYY-MM-DDTHH:MM:SS` (how Metrc stores it). */
function wallClock(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

let app;
before(async () => {
  app = await RunningApp.launch({ label: "outage" });
  await firstRunDemo(app);
});
after(async () => app?.close());

test("an outage: the chip says so, selling goes on; afterwards the backlog drains once, with original times", () => withFailureShot(app, "3-outage-and-drain", async () => {
    const s = app.session;
    await chipSays(app, "in_step");

    await demoFault(app, "outage", true);
    await app.screenshot("demo-panel");

    const sales = [];
    const sell = async (lines) => {
      const before = Date.now();
      const number = await sellByScanning(app, lines);
      sales.push({ number, before, after: Date.now() });
    };
    await sell([{ label: label(2), quantity: "1", price: "8.00" }]);
    const down = await chipSays(app, "metrc_unavailable");
    assert.ok(down.waiting >= 1, `the chip counts the sale that waits (${down.waiting})`);
    await sell([{ label: label(3), quantity: "2", price: "9.00" }]);
    await sell([{ label: label(15), quantity: "1", price: "4.00" }, { label: label(4), quantity: "0.5", price: "20.00" }]);
    await chipSays(app, "metrc_unavailable", { waiting: 3 });
    await s.byId("status-waiting");
    await app.screenshot("sell-outage");

    await open(app, "sync");
    await s.byId("backlog-chart");
    for (const row of await s.findAll('[data-testid^="entry-row-"]')) {
      assert.notEqual(await s.attribute(row, "data-state"), "confirmed", "nothing reached Metrc during the outage");
    }
    await app.screenshot("sync-outage");
    assert.equal((await app.emulatorReceipts()).length, 0, "Metrc holds none of the sales yet");

    await demoFault(app, "outage", false);
    const outageEnded = Date.now();
    await open(app, "sync");
    await s.clickId("sync-now");
    await chipSays(app, "in_step", { waiting: 0, timeoutMs: 120_000 });
    await waitFor("every record confirmed on the Sync screen", async () => {
      const rows = await s.findAll('[data-testid^="entry-row-"]');
      const states = await Promise.all(rows.map((r) => s.attribute(r, "data-state")));
      return states.length === 3 && states.every((x) => x === "confirmed") ? true : undefined;
    });
    await app.screenshot("sync");

    const receipts = await app.emulatorReceipts();
    for (const sale of sales) {
      const held = receipts.filter((r) => r.external_receipt_number === sale.number);
      assert.equal(held.length, 1, `Metrc holds sale ${sale.number} exactly once`);
      const at = held[0].sales_date_time.slice(0, 19);
      assert.ok(at >= wallClock(sale.before - 1_000) && at <= wallClock(sale.after + 1_000),
        `sale ${sale.number} carries the time it was made (${at}), between ${wallClock(sale.before)} and ${wallClock(sale.after)}`);
      assert.ok(at <= wallClock(outageEnded), `sale ${sale.number} is stamped with a time before the outage ended (${at}), not when it was delivered`);
    }
    assert.equal(receipts.length, sales.length, "Metrc holds nothing else");
}));
