/**
 * Journey 4 (issue #5): a budtender's Metrc key is revoked mid-shift (demo panel). Her next sale is
 * still recorded with a receipt, but Metrc refuses her key: she is asked for a new key and the
 * chip says whose key is the problem. The manager meanwhile sells and his sales reach Metrc. Once
 * the emulator issues her a new key and she pastes it, her waiting sale goes out too.
 * Screenshots: the key problem as she sees it, and the Sync screen with her record waiting.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { BUDTENDER, MANAGER, answerKeyPrompt, chipSays, demoFault, firstRunDemo, label, login, open, sellByScanning } from "./lib/steps.mjs";
import { waitFor } from "./lib/webdriver.mjs";

let app;
before(async () => {
  app = await RunningApp.launch({ label: "revoked" });
  await firstRunDemo(app);
});
after(async () => app?.close());

/** Waits until Metrc holds the receipt with this number, and returns how many copies it holds. */
async function heldByMetrc(number) {
  return waitFor(`receipt ${number} in Metrc`, async () => {
    const n = (await app.emulatorReceipts()).filter((r) => r.external_receipt_number === number).length;
    return n > 0 ? n : undefined;
  }, { timeoutMs: 60_000 });
}

test("a key revoked mid-shift asks that budtender for a new key while the others keep flowing", () => withFailureShot(app, "4-key-revoked", async () => {
    const s = app.session;
    await login(app, BUDTENDER);
    await answerKeyPrompt(app, BUDTENDER.key);
    const first = await sellByScanning(app, [{ label: label(5), quantity: "1", price: "15.00" }]);
    assert.equal(await heldByMetrc(first), 1);

    await demoFault(app, `revoke_key-${BUDTENDER.name}`, true);
    const waiting = await sellByScanning(app, [{ label: label(6), quantity: "1", price: "15.00" }]);
    assert.ok(waiting, "the register still gives a receipt");

    // Metrc refuses her key: she is asked for a new one; the chip names the key problem.
    await waitFor("the key prompt or the key-problem banner", async () =>
      (await s.exists('[data-testid="key-prompt"]')) || (await s.exists('[data-testid="key-problem-banner"]')) ? true : undefined,
    { timeoutMs: 60_000 });
    await chipSays(app, "key_problem", { waiting: 1 });
    if (await s.exists('[data-testid="key-prompt"]')) {
      await app.screenshot("key-prompt-revoked");
      await s.clickId("key-prompt-continue");
    }
    await s.byId("key-problem-banner");
    await app.screenshot("key-problem-banner");

    // The manager's sales keep flowing under his key.
    await login(app, MANAGER);
    await s.byId("screen-sell");
    const managers = await sellByScanning(app, [{ label: label(7), quantity: "2", price: "15.00" }]);
    assert.equal(await heldByMetrc(managers), 1, "the manager's sale reached Metrc");
    await chipSays(app, "key_problem", { waiting: 1 });
    assert.equal((await app.emulatorReceipts()).filter((r) => r.external_receipt_number === waiting).length, 0,
      "her sale waits for her key");
    await open(app, "sync");
    await waitFor("her record waiting for her key", async () => {
      for (const row of await s.findAll('[data-testid^="entry-row-"]')) {
        if ((await s.attribute(row, "data-state")) === "waiting_for_key" && (await s.attribute(row, "data-client-id")) === waiting) return true;
      }
      return undefined;
    });
    await app.screenshot("sync-waiting-for-key");

    // The emulator gives her a new key (switching the fault off); she pastes it and her sale goes out.
    await demoFault(app, `revoke_key-${BUDTENDER.name}`, false);
    let description = "";
    const newKey = await waitFor("the demo panel to show her new key", async () => {
      description = await s.text(await s.byId("demo-revoke_key"));
      return /demo-[a-z]+-key-\d+/.exec(description.replace(BUDTENDER.key, ""))?.[0];
    }, { timeoutMs: 10_000 }).catch(() => undefined);
    assert.ok(newKey, `the demo panel shows the new key: ${description}`);
    await login(app, BUDTENDER);
    if (await s.exists('[data-testid="key-prompt"]')) {
      await answerKeyPrompt(app, newKey);
    } else {
      await s.clickId("key-problem-fix");
      await s.fill("key-problem-input", newKey);
      await s.clickId("key-problem-save");
    }
    assert.equal(await heldByMetrc(waiting), 1, "her waiting sale reached Metrc once, under her new key");
    await chipSays(app, "in_step", { waiting: 0 });
}));
