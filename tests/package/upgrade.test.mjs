/**
 * Upgrades keep the queue (run by tests/package/upgrade.sh, inside tests/desktop/run.sh's Xvfb and
 * keychain): the PREVIOUS package is installed; its app (/usr/bin/stateline-app) runs the first-run
 * wizard in demo mode, Metrc goes down (demo panel: outage) and two sales are made, which wait. The
 * app is stopped with the sales still waiting, the NEW package is installed over the old one
 * (`apt-get install ./….deb`, an upgrade), and the new app is started on the same data folder: the
 * manager logs in, Metrc is up, the backlog drains, and Metrc (the emulator, asked through its
 * control API) holds each of the two sales exactly once, stamped with the time it was made at the
 * register before the upgrade. Needs STATELINE_NEW_DEB and the old package installed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RunningApp, withFailureShot } from "../desktop/lib/app.mjs";
import { MANAGER, chipSays, demoFault, firstRunDemo, label, login, open, sellByScanning } from "../desktop/lib/steps.mjs";
import { waitFor } from "../desktop/lib/webdriver.mjs";

const BIN = "/usr/bin/stateline-app";
const ZONE = "America/Denver";
const NEW_DEB = process.env.STATELINE_NEW_DEB;
const sudo = process.getuid() === 0 ? [] : ["sudo"];

/** A UTC instant as the licence's wall-clock time, `YYYY-MM-DDTHH:MM:SS` (how Metrc stores it). */
function wallClock(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

const installedVersion = () => execFileSync("dpkg-query", ["-W", "-f=${Version}", "stateline"], { encoding: "utf8" });

/** Stops the window, the driver and the app, keeping the data folder. */
async function stop(app) {
  await app.session?.delete().catch(() => undefined);
  await app.driver.stop();
  await waitFor("the app's process gone", async () => (app.pid() === undefined ? true : undefined), { timeoutMs: 20_000 });
}

test("sales made offline under the previous package drain exactly once, with their times, after the upgrade", async () => {
  assert.ok(NEW_DEB, "STATELINE_NEW_DEB names the new package");
  const dataDir = mkdtempSync(join(tmpdir(), "stateline-upgrade-"));
  const oldVersion = installedVersion();
  const sales = [];
  try {
    const before = await RunningApp.launch({ app: BIN, label: "upgrade-old", dataDir });
    await withFailureShot(before, "upgrade-old", async () => {
      await firstRunDemo(before);
      await chipSays(before, "in_step");
      await demoFault(before, "outage", true);
      for (const lines of [[{ label: label(2), quantity: "1", price: "8.00" }], [{ label: label(3), quantity: "2", price: "9.00" }]]) {
        const start = Date.now();
        const number = await sellByScanning(before, lines);
        sales.push({ number, before: start, after: Date.now() });
      }
      await chipSays(before, "metrc_unavailable", { waiting: 2 });
      assert.equal((await before.emulatorReceipts()).length, 0, "Metrc holds none of the sales yet");
    });
    await stop(before);

    execFileSync(...(sudo.length ? ["sudo", ["apt-get", "install", "-y", "-q", NEW_DEB]] : ["apt-get", ["install", "-y", "-q", NEW_DEB]]), {
      stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    const newVersion = installedVersion();
    assert.notEqual(newVersion, oldVersion, `the package was upgraded (${oldVersion} -> ${newVersion})`);

    const after = await RunningApp.launch({ app: BIN, label: "upgrade-new", dataDir });
    await withFailureShot(after, "upgrade-new", async () => {
      const s = after.session;
      await login(after, MANAGER);
      await demoFault(after, "outage", false);
      const upgraded = Date.now();
      await open(after, "sync");
      await s.clickId("sync-now");
      await chipSays(after, "in_step", { waiting: 0, timeoutMs: 120_000 });
      const receipts = await after.emulatorReceipts();
      for (const sale of sales) {
        const held = receipts.filter((r) => r.external_receipt_number === sale.number);
        assert.equal(held.length, 1, `Metrc holds sale ${sale.number} exactly once`);
        const at = held[0].sales_date_time.slice(0, 19);
        assert.ok(at >= wallClock(sale.before - 1_000) && at <= wallClock(sale.after + 1_000),
          `sale ${sale.number} carries the time it was made (${at}), between ${wallClock(sale.before)} and ${wallClock(sale.after)}`);
        assert.ok(at < wallClock(upgraded), `sale ${sale.number} is stamped before the upgrade (${at})`);
      }
      assert.equal(receipts.length, sales.length, "Metrc holds nothing else");
    });
    await after.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
