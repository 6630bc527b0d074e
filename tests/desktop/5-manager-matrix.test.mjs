/**
 * Journey 5 (issue #5): a manager validates keys on the Keys screen and reads the matrix: a table
 * with a row per licence and a cell per Metrc area, and a verdict. His own demo key may do
 * everything a dispensary can (plants and harvests do not apply); the budtender's key, which he
 * sets for her, may sell but not, for one, read transfers, so its verdict names missing
 * permissions. Screenshots: Keys, both matrices, Users, Settings, and at 1024×768 Settings › Store
 * server (the join form) and the Store screen of a register on its own.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { BUDTENDER, LICENCE, MANAGER, firstRunDemo, open } from "./lib/steps.mjs";
import { waitFor } from "./lib/webdriver.mjs";

let app;
before(async () => {
  app = await RunningApp.launch({ label: "matrix" });
  await firstRunDemo(app);
});
after(async () => app?.close());

/** The matrix shown inside `scope` (a CSS selector): its verdict and the licence row's outcome per area. */
async function readMatrix(scope) {
  const s = app.session;
  return waitFor(`the matrix in ${scope}`, async () => {
    const verdicts = await s.findAll(`${scope} [data-testid="matrix-verdict"]`);
    if (verdicts.length === 0) return undefined;
    const cells = await s.findAll(`${scope} [data-testid="matrix-row-${LICENCE}"] [data-area]`);
    if (cells.length === 0) return undefined;
    const areas = {};
    for (const cell of cells) areas[await s.attribute(cell, "data-area")] = await s.attribute(cell, "data-outcome");
    return { verdict: await s.attribute(verdicts[0], "data-verdict"), areas };
  });
}

test("a manager validates keys and reads the matrix", () => withFailureShot(app, "5-manager-matrix", async () => {
    const s = app.session;
    await open(app, "keys");
    const lastFour = await waitFor("the key list to load", async () => {
      const status = await s.byId("my-key-status");
      return (await s.attribute(status, "data-state")) === "loaded" ? s.attribute(status, "data-last-four") : undefined;
    });
    assert.equal(lastFour, "2222", "the demo manager key is saved (only its last four shown)");
    await app.screenshot("keys");

    await s.clickId("key-validate");
    const mine = await readMatrix('[data-testid="my-key"]');
    assert.equal(mine.verdict, "all_good", JSON.stringify(mine));
    assert.equal(mine.areas.Sales, "allowed");
    assert.equal(mine.areas.Packages, "allowed");
    assert.equal(mine.areas.Transfers, "allowed");
    assert.equal(mine.areas.Plants, "not_applicable", "a dispensary grows no plants");
    assert.ok(Object.keys(mine.areas).length >= 6, `every area has a cell: ${JSON.stringify(mine.areas)}`);
    await s.execute('document.querySelector("[data-testid=\\"my-key\\"] [data-testid=\\"matrix\\"]").scrollIntoView();');
    await app.screenshot("matrix");

    // He sets the budtender's key for her, then validates it.
    await s.clickId(`user-key-set-${BUDTENDER.name}`);
    await s.fill("user-key-input", BUDTENDER.key);
    await s.clickId("user-key-save");
    await waitFor("her key saved", async () => {
      const shown = await s.text(await s.byId(`user-key-last-four-${BUDTENDER.name}`));
      return shown.includes("1111") ? true : undefined;
    });
    await s.clickId(`user-key-validate-${BUDTENDER.name}`);
    const hers = await readMatrix('[data-testid="user-keys"]');
    assert.equal(hers.verdict, "missing_permissions", JSON.stringify(hers));
    assert.equal(hers.areas.Sales, "allowed", "she may sell");
    assert.equal(hers.areas.Transfers, "not_allowed", "she may not read transfers");
    await s.execute('document.querySelector("[data-testid=\\"user-keys\\"] [data-testid=\\"matrix\\"]").scrollIntoView();');
    await app.screenshot("matrix-budtender");

    await open(app, "users");
    await s.byId(`user-row-${MANAGER.name}`);
    await s.byId(`user-row-${BUDTENDER.name}`);
    await app.screenshot("users");

    await open(app, "settings");
    await s.byId("settings-form");
    await s.byId(`settings-licence-${LICENCE}`);
    await app.screenshot("settings");

    // The store screens at the smallest supported window (a register on its own: no store server here).
    await s.cmd("POST", "/window/rect", { width: 1024, height: 768 }).catch(() => undefined);
    await s.byId("store-join-form");
    assert.equal(await s.execute('return document.querySelector("[data-testid=\\"store-port\\"]").value;'), "5432");
    // The resize may re-lay the page out after a scroll: scroll until the section stays in view.
    for (let tries = 0; ; tries++) {
      const inView = await s.execute(
        'const e = document.querySelector("[data-testid=\\"settings-store\\"]"); e.scrollIntoView(); ' +
          "const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight / 2;",
      );
      await new Promise((done) => setTimeout(done, 200));
      const stillInView = await s.execute(
        'const r = document.querySelector("[data-testid=\\"settings-store\\"]").getBoundingClientRect(); ' +
          "return r.top >= 0 && r.top < window.innerHeight / 2;",
      );
      if (inView && stillInView) break;
      assert.ok(tries < 20, "the store section of Settings never stayed in view");
    }
    await app.screenshot("settings-store");
    await open(app, "store");
    await s.byId("store-alone");
    await app.screenshot("store");
    await s.cmd("POST", "/window/rect", { width: 1280, height: 960 }).catch(() => undefined);
}));
