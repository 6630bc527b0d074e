/**
 * Journey 8 (issue #15): every screen at a register's sizes. A manager sells with the keyboard
 * only (search → add → quantity → price → complete → receipt → the next sale's scan), prints the
 * receipt (to a PDF of the page's print view by WeasyPrint, read back with pdftotext), then every screen of the
 * nav (Sync with a record Metrc refused, and its void dialog at the smallest size), the first-run wizard and the login are visited at 1024×768, 1366×768 and 1920×1080: none overflows sideways, every
 * control is at least 44 px, axe-core finds nothing serious or critical (at the smallest size), and
 * each is saved as docs/screenshots/<screen>-<width>x<height>.png.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { SIZES, checkScreen, setSize } from "./lib/layout.mjs";
import { GRAMS_LABEL, LICENCE, MANAGER, firstRunDemo, label, login, open, receiptNumber, sellByScanning } from "./lib/steps.mjs";
import { Keys, Session, waitFor } from "./lib/webdriver.mjs";

const SCREENS = ["sell", "inventory", "sync", "keys", "users", "settings", "audit", "store", "integrations", "demo"];

let app;
before(async () => {
  app = await RunningApp.launch({ label: "sizes" });
  // The first-run wizard is a screen too: checked at each size before it is answered.
  await app.session.waitAttribute('[data-testid="wizard"]', "data-step", "manager", 60_000);
  await withFailureShot(app, "8-wizard", async () => {
    for (const [i, size] of SIZES.entries()) {
      await setSize(app, size);
      await checkScreen(app, `wizard at ${size.width}×${size.height}`, { axe: i === 0 });
      await app.screenshot(`wizard-${size.width}x${size.height}`);
    }
  });
  await firstRunDemo(app);
});
after(async () => app?.close());

/** Presses keys wherever the focus is (WebDriver's key actions), then releases them. */
async function press(s, text) {
  const actions = [...text].flatMap((key) => [{ type: "keyDown", value: key }, { type: "keyUp", value: key }]);
  await s.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
  await s.cmd("DELETE", "/actions");
}

/** The `data-testid` of the focused element. */
const focused = (s) => s.execute("return document.activeElement?.getAttribute('data-testid') ?? null;");

test("a sale with the keyboard only, and its receipt printed to a PDF", () => withFailureShot(app, "8-keyboard-sale", async () => {
  const s = app.session;
  await setSize(app, SIZES[0]);
  await waitFor("the scan field focused", async () => ((await focused(s)) === "scan-input" ? true : undefined));
  // Search by part of a label, go down into the results and pick the first with Enter.
  const grams = GRAMS_LABEL;
  await press(s, grams.slice(-6));
  await s.byId(`search-result-${grams}`);
  await press(s, Keys.ARROW_DOWN);
  assert.equal(await focused(s), `search-result-${grams}`, "ArrowDown goes into the results");
  await press(s, Keys.ENTER);
  await s.byId(`cart-line-${grams}`);
  assert.equal(await focused(s), "scan-input", "back in the scan field after adding");
  // Tab from the scan field goes to the last line's quantity, Tab again to its price.
  await press(s, Keys.TAB);
  assert.equal(await focused(s), `cart-qty-${grams}`);
  await press(s, Keys.BACKSPACE + "2" + Keys.TAB);
  assert.equal(await focused(s), `cart-price-${grams}`);
  await press(s, "7.50" + Keys.ENTER);
  assert.equal(await focused(s), "scan-input", "Enter in a line returns to the scan field");
  // The running totals come from the debounced limit check: wait for them before measuring.
  await s.byId("limit-panel");
  await app.screenshot("sell-keyboard-cart");
  const inView = await s.execute(`
    const seen = (id) => { const r = document.querySelector('[data-testid="' + id + '"]')?.getBoundingClientRect();
      return r !== undefined && r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; };
    return { limits: seen("limit-panel"), complete: seen("complete-sale") };
  `);
  assert.deepEqual(inView, { limits: true, complete: true }, "the limits' running totals and Complete are in the 1024×768 window");
  await press(s, Keys.ENTER);
  const number = await waitFor("the receipt", () => receiptNumber(app));
  assert.match(await s.text(await s.byId("receipt-total")), /15\.00/);
  assert.equal(await focused(s), "scan-input", "ready for the next sale");
  // The next sale starts by scanning: the receipt gives way to the new cart.
  const next = label(14);
  await press(s, next + Keys.ENTER);
  await s.byId(`cart-line-${next}`);
  await press(s, Keys.ESCAPE);
  await s.gone(`[data-testid="cart-line-${next}"]`);

  // Print: the button calls the window's print; the print view holds the receipt only.
  await s.execute("window.__printed = 0; window.print = () => { window.__printed += 1; };");
  await sellOne(s, label(3));
  const printed = await waitFor("the receipt", async () => {
    const n = await receiptNumber(app);
    return n !== null && n !== number ? n : undefined;
  });
  await s.clickId("receipt-print");
  assert.equal(await s.execute("return window.__printed;"), 1, "Print receipt prints");
  // WebKitWebDriver has no POST /session/{id}/print (it answers "unknown command"), so the page as
  // it is in the window, with the app's own stylesheets, is printed by WeasyPrint (print media).
  const html = await s.execute(`
    const css = [...document.styleSheets].map((sheet) => [...sheet.cssRules].map((r) => r.cssText).join("\\n")).join("\\n");
    return "<!doctype html><html><head><meta charset='utf-8'><style>" + css + "</style></head>" + document.body.outerHTML + "</html>";
  `);
  const dir = mkdtempSync(join(tmpdir(), "stateline-receipt-"));
  try {
    writeFileSync(join(dir, "receipt.html"), html);
    execFileSync("weasyprint", [join(dir, "receipt.html"), join(dir, "receipt.pdf")], { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
    assert.equal(readFileSync(join(dir, "receipt.pdf")).subarray(0, 5).toString(), "%PDF-", "a PDF");
    const text = execFileSync("pdftotext", [join(dir, "receipt.pdf"), "-"], { encoding: "utf8" });
    assert.ok(text.includes(printed), `the printed receipt names ${printed}:\n${text}`);
    assert.ok(!text.includes("Cancel (Escape)"), "the print view is the receipt only");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}));

/** Scans a label, prices it at 5.00 and completes, by keys only. */
async function sellOne(s, pkg) {
  await press(s, pkg + Keys.ENTER);
  await s.byId(`cart-line-${pkg}`);
  await press(s, Keys.TAB + Keys.TAB + "5.00" + Keys.ENTER + Keys.ENTER);
}

test("every screen fits 1024×768, 1366×768 and 1920×1080, with touch-sized controls and no serious axe finding", () => withFailureShot(app, "8-register-sizes", async () => {
  const s = app.session;
  // A record Metrc refused, so Sync shows its widest row (History, Retry, Edit and resend, Void).
  const refused = label(9);
  await app.emulator(`/packages/${refused}/quantity`, { method: "PUT", body: { licenseNumber: LICENCE, quantity: 2 } });
  await sellByScanning(app, [{ label: refused, quantity: "5", price: "10.00" }]);
  await open(app, "sync");
  await s.find('[data-testid^="entry-row-"][data-state="rejected"]', 60_000);
  for (const [i, size] of SIZES.entries()) {
    await setSize(app, size);
    for (const screen of SCREENS) {
      await open(app, screen);
      await s.execute("window.scrollTo(0, 0); document.querySelector('.screen')?.scrollTo(0, 0);");
      await checkScreen(app, `${screen} at ${size.width}×${size.height}`, { axe: i === 0 });
      await app.screenshot(`${screen}-${size.width}x${size.height}`);
      if (screen === "sync" && i === 0) {
        // A dialog over the smallest window: the void dialog of the refused record.
        const row = await s.find('[data-testid^="entry-row-"][data-state="rejected"]');
        await s.clickId((await s.attribute(row, "data-testid")).replace("entry-row-", "entry-void-"));
        await s.byId("void-dialog");
        await checkScreen(app, `the void dialog at ${size.width}×${size.height}`, { axe: true });
        await s.clickId("void-dialog-cancel");
        await s.gone('[data-testid="void-dialog"]');
      }
    }
  }
  await s.clickId("logout");
  await s.byId(`login-user-${MANAGER.name}`);
  for (const [i, size] of SIZES.entries()) {
    await setSize(app, size);
    await checkScreen(app, `login at ${size.width}×${size.height}`, { axe: i === 0 });
    await app.screenshot(`login-${size.width}x${size.height}`);
  }
  await login(app, MANAGER);
  await s.byId("session-user");
  assert.ok(Session.ref, "logged in again");
}));
