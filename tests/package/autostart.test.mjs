/**
 * Start at login, in the installed app (run by tests/package/install.sh inside tests/desktop/run.sh):
 * the app runs with HOME in a temp folder; a manager turns Settings › Start at login on, and the
 * autostart entry appears in $HOME/.config/autostart (where the plugin writes it, whatever
 * XDG_CONFIG_HOME says) starting the app's own binary; turned off, it is gone.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RunningApp, appPath, withFailureShot } from "../desktop/lib/app.mjs";
import { firstRunDemo, open } from "../desktop/lib/steps.mjs";
import { waitFor } from "../desktop/lib/webdriver.mjs";

const HOME = mkdtempSync(join(tmpdir(), "stateline-autostart-home-"));
const entries = () => {
  const dir = join(HOME, ".config", "autostart");
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
};

let app;
before(async () => {
  app = await RunningApp.launch({ label: "autostart", env: { HOME } });
  await firstRunDemo(app);
});
after(async () => {
  await app?.close();
  rmSync(HOME, { recursive: true, force: true });
});

test("Settings › Start at login writes and removes the autostart entry", () => withFailureShot(app, "package-autostart", async () => {
  const s = app.session;
  await open(app, "settings");
  const box = await s.byId("settings-autostart-toggle");
  await waitFor("the box enabled", async () => ((await s.property(box, "disabled")) === false ? true : undefined));
  assert.equal(await s.property(box, "checked"), false, "off until turned on");
  assert.deepEqual(entries(), []);

  await s.clickId("settings-autostart-toggle");
  const [entry] = await waitFor("the autostart entry", async () => (entries().length === 1 ? entries() : undefined));
  assert.ok(readFileSync(entry, "utf8").includes(`Exec=${appPath()}`), `${entry} starts ${appPath()}`);
  assert.equal(await s.property(await s.byId("settings-autostart-toggle"), "checked"), true);

  await s.clickId("settings-autostart-toggle");
  await waitFor("the autostart entry removed", async () => (entries().length === 0 ? true : undefined));
}));
