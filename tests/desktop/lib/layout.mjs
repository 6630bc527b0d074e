/**
 * Checks of a screen as it is in the real window (issue #15): the window set to a register's size
 * through WebDriver's window rect, no horizontal overflow (the page's and the main content area's
 * `scrollWidth <= clientWidth`), every visible control at least 44 px, and axe-core's
 * accessibility rules (injected into the page) with no serious or critical violation.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { waitFor } from "./webdriver.mjs";

/** The register sizes every screen is checked at. */
export const SIZES = [
  { width: 1024, height: 768 },
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Sets the window to `width`×`height` and waits until the page's viewport is that size. */
export async function setSize(app, { width, height }) {
  const s = app.session;
  await s.cmd("POST", "/window/rect", { width, height });
  await waitFor(`a ${width}×${height} viewport`, async () => {
    const [w, h] = await s.execute("return [window.innerWidth, window.innerHeight];");
    return w === width && h === height ? true : undefined;
  }, { timeoutMs: 10_000 });
}

/** Sideways overflow of the page and of the main content area (`.screen`), in px (0 = none). */
export async function overflow(app) {
  return app.session.execute(`
    const doc = document.documentElement;
    const main = document.querySelector(".screen");
    const over = (el) => (el ? Math.max(0, el.scrollWidth - el.clientWidth) : 0);
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && el.getClientRects().length > 0)
      .slice(0, 5)
      .map((el) => (el.getAttribute("data-testid") ?? el.tagName.toLowerCase() + "." + el.className) + ":" + Math.round(el.getBoundingClientRect().right));
    return { page: over(doc), main: over(main), wide };
  `);
}

/**
 * Visible controls smaller than 44 px either way: buttons, text fields, selects, links; a
 * checkbox or radio counts by its label (the label is the touch target).
 */
export async function smallTargets(app) {
  return app.session.execute(`
    const out = [];
    for (const el of document.querySelectorAll("button, input, select, textarea, a[href], [role=button]")) {
      if (el.type === "hidden" || el.getClientRects().length === 0) continue;
      const target = (el.type === "checkbox" || el.type === "radio") ? (el.closest("label") ?? el) : el;
      const r = target.getBoundingClientRect();
      if (r.width < 44 - 0.5 || r.height < 44 - 0.5) {
        out.push((el.getAttribute("data-testid") ?? el.tagName.toLowerCase() + ":" + (el.textContent ?? "").trim().slice(0, 20)) + " " + Math.round(r.width) + "x" + Math.round(r.height));
      }
    }
    return out;
  `);
}

/** axe-core's serious and critical violations on the page now, as "rule: target…" strings. */
export async function axeViolations(app) {
  const s = app.session;
  if (!(await s.execute("return typeof window.axe === 'object';"))) await s.execute(`${AXE_SOURCE}; return true;`, [], 60_000);
  const result = await s.executeAsync(`
    const done = arguments[arguments.length - 1];
    window.axe.run(document, { resultTypes: ["violations"] }).then(
      (r) => (window.__axeChecked = (window.__axeChecked ?? 0) + r.passes.length + r.violations.length, done(r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", ")))),
      (e) => done(["axe failed: " + e]),
    );
  `, [], 60_000);
  return result;
}

/** Asserts the page fits sideways, its controls are touch-sized and (with `axe`) it passes axe-core. */
export async function checkScreen(app, name, { axe = false } = {}) {
  const over = await overflow(app);
  assert.ok(over.page === 0 && over.main === 0, `${name} overflows sideways: ${JSON.stringify(over)}`);
  assert.deepEqual(await smallTargets(app), [], `${name}: controls under 44 px`);
  if (axe) {
    assert.deepEqual(await axeViolations(app), [], `${name}: axe-core serious/critical violations`);
    assert.ok((await app.session.execute("return window.__axeChecked ?? 0;")) > 0, `${name}: axe-core checked nothing`);
  }
}
