/**
 * The app window opens on the embedded UI and shows the placeholder screen. Saves a screenshot to
 * docs/screenshots/placeholder.png for people to look at.
 *
 * Needs a display (run under Xvfb, see run.sh), tauri-driver and the built app
 * (target/debug/stateline-app, or STATELINE_APP).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startDriver } from "./lib/driver.mjs";
import { Session, waitFor } from "./lib/webdriver.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const APP = process.env.STATELINE_APP
  ?? join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target"), "debug", "stateline-app");
const SCREENSHOTS = join(ROOT, "docs", "screenshots");
const PORT = Number(process.env.TAURI_DRIVER_PORT ?? 4444);

let driver;
let session;

before(async () => {
  assert.ok(existsSync(APP), `the app is not built at ${APP}: run cargo build -p stateline-app`);
  assert.ok(process.env.DISPLAY, "no DISPLAY: run under Xvfb (tests/desktop/run.sh does)");
  driver = await startDriver({ port: PORT, nativePort: PORT + 1 });
  session = await Session.create(driver.baseUrl, { "tauri:options": { application: APP } });
});

after(async () => {
  if (session) await session.delete().catch((error) => console.error(`closing the session: ${error.message}`));
  if (driver) await driver.stop();
});

test("the window opens on the placeholder screen", async () => {
  const heading = await session.find('[data-testid="app-title"]');
  assert.equal(await session.text(heading), "Stateline");
  assert.equal(await session.title(), "Stateline");

  const tagline = await session.find('[data-testid="app-tagline"]');
  assert.equal(await session.text(tagline), "Register companion — demo mode coming soon");

  // The version comes from the Rust side over IPC, so it proves the bridge works.
  const version = await session.find('[data-testid="app-version"]');
  assert.match(await session.text(version), /^Version \d+\.\d+\.\d+/);

  const png = await waitFor("a screenshot", async () => {
    const shot = await session.screenshot();
    return shot.length > 1_000 ? shot : undefined;
  }, { timeoutMs: 15_000 });
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "screenshot is not a PNG");
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, "placeholder.png"), png);
});
