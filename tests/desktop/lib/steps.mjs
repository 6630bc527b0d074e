/**
 * The steps the journeys share, each done the way a person does it in the window (test ids from
 * ui/TESTIDS.md): the first-run wizard in demo mode, logging in and out, the key prompt, moving
 * between screens, selling by scanning labels, and the demo panel's fault switches. Every wait is
 * a poll for a condition in the page, never a fixed sleep.
 */
import assert from "node:assert/strict";
import { Keys, waitFor } from "./webdriver.mjs";

/** The demo manager this suite creates, and the demo budtender the app adds for it. */
export const MANAGER = { name: "Max", pin: "2468" };
export const BUDTENDER = { name: "Bea", pin: "1234", key: "demo-budtender-key-1111" };
export const LICENCE = "403R-00001";
/** Demo packages (crates/metrc-emulator/README.md): grams, then each. */
export const GRAMS_LABEL = "1A4FF0100000022000000001";
export const label = (n) => `1A4FF01000000220000000${String(n).padStart(2, "0")}`;

const id = (testId) => `[data-testid="${testId}"]`;

/** The wizard in demo mode: create the manager, keep demo, start. Ends on the register. */
export async function firstRunDemo(app, { shots = false } = {}) {
  const s = app.session;
  await s.waitAttribute(id("wizard"), "data-step", "manager", 60_000);
  await s.fill("wizard-manager-name", MANAGER.name);
  await s.fill("wizard-manager-pin", MANAGER.pin);
  await s.fill("wizard-manager-pin-again", MANAGER.pin);
  await s.waitEnabled("wizard-next");
  if (shots) await app.screenshot("wizard-manager");
  await s.clickId("wizard-next");
  await s.waitAttribute(id("wizard"), "data-step", "environment");
  const environment = await s.byId("wizard-environment");
  assert.equal(await s.property(environment, "value"), "demo", "a first run proposes demo mode");
  if (shots) await app.screenshot("wizard-environment");
  await s.clickId("wizard-finish");
  await s.byId("screen-sell");
  const user = await s.byId("session-user");
  assert.equal(await s.attribute(user, "data-role"), "manager");
}

/** Logs out whoever is logged in (if anyone) and logs `user` in with the PIN typed + Enter. */
export async function login(app, user, { shotPin = null } = {}) {
  const s = app.session;
  if (await s.exists(id("logout"))) await s.clickId("logout");
  await s.clickId(`login-user-${user.name}`);
  const pin = await s.byId("pin-input");
  await s.type(pin, user.pin);
  if (shotPin) await app.screenshot(shotPin);
  await s.type(pin, Keys.ENTER);
  await waitFor(`${user.name} logged in`, async () =>
    (await s.exists(id("key-prompt"))) || (await s.exists(id("session-user"))) ? true : undefined);
}

/** At the key prompt: pastes `key`, saves it and opens the register. */
export async function answerKeyPrompt(app, key, { shot = null, shotSaved = null } = {}) {
  const s = app.session;
  await s.byId("key-prompt");
  if (shot) await app.screenshot(shot);
  await s.fill("key-input", key);
  await s.clickId("key-save");
  await waitFor("the key saved", async () => {
    if (await s.exists(id("key-error"))) {
      const error = await s.byId("key-error");
      throw new Error(`the key was refused: ${await s.attribute(error, "data-code")} ${await s.text(error)}`);
    }
    return (await s.exists(id("key-released"))) || (await s.exists(id("matrix"))) ? true : undefined;
  });
  if (shotSaved) {
    await s.byId("matrix-table");
    await app.screenshot(shotSaved);
  }
  await s.clickId("key-prompt-continue");
  await s.byId("screen-sell");
}

/** Opens a screen from the nav and waits for it. */
export async function open(app, screen) {
  await app.session.clickId(`nav-${screen}`);
  await app.session.byId(`screen-${screen}`);
}

/**
 * Sells `lines` ({label, quantity = "1", price = "10.00"} or a bare label): each label is scanned
 * (full label + Enter), its quantity and unit price typed, then Enter on the empty scan field
 * completes the sale. Returns the receipt number shown.
 */
export async function sellByScanning(app, lines, { shotCart = null } = {}) {
  const s = app.session;
  if (!(await s.exists(id("screen-sell")))) await open(app, "sell");
  for (const line of lines.map((l) => (typeof l === "string" ? { label: l } : l))) {
    const scan = await s.byId("scan-input");
    await s.type(scan, line.label + Keys.ENTER);
    await s.byId(`cart-line-${line.label}`);
    await s.fill(`cart-qty-${line.label}`, line.quantity ?? "1");
    await s.fill(`cart-price-${line.label}`, line.price ?? "10.00");
  }
  if (shotCart) await app.screenshot(shotCart);
  const before = await receiptNumber(app);
  await s.type(await s.byId("scan-input"), Keys.ENTER);
  return waitFor("the receipt", async () => {
    if (await s.exists(id("sell-error"))) {
      const error = await s.byId("sell-error");
      throw new Error(`the sale was refused: ${await s.attribute(error, "data-code")} ${await s.text(error)}`);
    }
    const number = await receiptNumber(app);
    return number !== null && number !== before ? number : undefined;
  });
}

/** The receipt number on screen, or null. */
export async function receiptNumber(app) {
  const found = await app.session.findAll(id("receipt"));
  return found.length === 0 ? null : app.session.attribute(found[0], "data-receipt");
}

/** Switches a demo-panel fault (`outage`, `network_down`, …; `revoke_key-<user>`) to `on`. */
export async function demoFault(app, fault, on) {
  const s = app.session;
  await open(app, "demo");
  const box = await s.byId(`demo-${fault}`);
  if ((await s.property(box, "checked")) !== on) await s.clickId(`demo-${fault}`);
  await waitFor(`demo fault ${fault} ${on ? "on" : "off"}`, async () =>
    (await s.property(await s.byId(`demo-${fault}`), "checked")) === on ? true : undefined);
}

/** Waits for the status chip's state (and, if given, its waiting count). */
export async function chipSays(app, state, { waiting, timeoutMs = 60_000 } = {}) {
  const s = app.session;
  return waitFor(`status chip ${state}${waiting === undefined ? "" : ` with ${waiting} waiting`}`, async () => {
    const chip = await s.find(id("status-chip"), 2_000);
    const now = await s.attribute(chip, "data-state");
    const count = Number(await s.attribute(chip, "data-waiting"));
    if (now !== state) return undefined;
    if (waiting !== undefined && count !== waiting) return undefined;
    return { state: now, waiting: count };
  }, { timeoutMs });
}
