/**
 * Starts the real app for one test: a fresh data folder of its own (STATELINE_DATA_DIR), its own
 * tauri-driver (which hands the environment down to WebKitWebDriver and the app) and one WebDriver
 * session on its window. Also finds the app's process and, in demo mode, the address of the
 * embedded Metrc emulator the app started (from the app's own listening loopback sockets in
 * /proc), so a test can ask the emulator what Metrc holds.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startDriver } from "./driver.mjs";
import { Session, waitFor } from "./webdriver.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SCREENSHOTS = process.env.STATELINE_SCREENSHOTS ?? join(ROOT, "docs", "screenshots");
/** TAURI_DRIVER_PORT fixes tauri-driver's port (WebKitWebDriver gets the next); otherwise free ports. */
const PORT = process.env.TAURI_DRIVER_PORT ? Number(process.env.TAURI_DRIVER_PORT) : undefined;

/** The app binary: STATELINE_APP, else target/<profile>/stateline-app. */
export function appPath(profile = "debug") {
  if (process.env.STATELINE_APP) return resolve(process.env.STATELINE_APP);
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
  return join(target, profile, "stateline-app");
}

/** One running app with a fresh data folder and a WebDriver session on its window. */
export class RunningApp {
  /**
   * Starts the app; `env` is added to the app's environment. `dataDir` reuses a data folder
   * instead of a fresh one; `deferSession` starts only the driver (the caller creates the session).
   */
  static async launch({ app = appPath(), env = {}, label = "journey", dataDir: reuse = null, deferSession = false } = {}) {
    assert.ok(existsSync(app), `the app is not built at ${app}: run cargo build -p stateline-app`);
    assert.ok(process.env.DISPLAY, "no DISPLAY: run under Xvfb (tests/desktop/run.sh does)");
    const dataDir = reuse ?? mkdtempSync(join(tmpdir(), `stateline-e2e-${label}-`));
    const driver = await startDriver({ port: PORT, nativePort: PORT === undefined ? undefined : PORT + 1, env: { STATELINE_DATA_DIR: dataDir, ...env } });
    if (deferSession) return new RunningApp({ app, dataDir, driver, session: null });
    try {
      const session = await Session.create(driver.baseUrl, { "tauri:options": { application: app } });
      // A bigger window than the default, so screenshots show whole screens.
      await session.cmd("POST", "/window/rect", { width: 1280, height: 960 }).catch(() => undefined);
      return new RunningApp({ app, dataDir, driver, session });
    } catch (error) {
      await driver.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  constructor({ app, dataDir, driver, session }) {
    this.app = app;
    this.dataDir = dataDir;
    this.driver = driver;
    this.session = session;
  }

  /** Ends the session, the driver and the app, and removes the data folder. */
  async close() {
    await this.session?.delete().catch((error) => console.error(`closing the session: ${error.message}`));
    await this.driver.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The app's process id (the process running the app binary with this data folder). */
  pid() {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/exe`).replace(/ \(deleted\)$/, "") !== this.app) continue;
        const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
        if (environ.includes(`STATELINE_DATA_DIR=${this.dataDir}`)) return Number(entry);
      } catch {
        // The process ended while we looked, or is not ours to read.
      }
    }
    return undefined;
  }

  /**
   * The base URL of the embedded emulator: the app's one loopback listening socket that answers
   * the emulator's control API (`GET /__emulator/faults`).
   */
  async emulatorUrl() {
    if (this.emulatorBase) return this.emulatorBase;
    const pid = await waitFor("the app's process", async () => this.pid(), { timeoutMs: 10_000 });
    for (const port of listeningLoopbackPorts(pid)) {
      const url = `http://127.0.0.1:${port}`;
      try {
        const response = await fetch(`${url}/__emulator/faults`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) {
          this.emulatorBase = url;
          return url;
        }
      } catch {
        // Not the emulator.
      }
    }
    throw new Error(`no emulator control API among the app's (pid ${pid}) listening loopback ports`);
  }

  /** GETs (or with `body`, sends) a JSON request to the emulator's control API. */
  async emulator(path, { method = "GET", body } = {}) {
    const response = await fetch(`${await this.emulatorUrl()}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    assert.ok(response.ok, `emulator ${method} ${path} -> ${response.status}: ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  /** Every receipt the emulator holds for the licence (active and voided), as Metrc stores it. */
  async emulatorReceipts(licence = "403R-00001") {
    const state = await this.emulator(`/state?licenseNumber=${encodeURIComponent(licence)}`);
    return state.receipts;
  }

  /** Saves a PNG of the window as docs/screenshots/<name>.png. */
  async screenshot(name) {
    const png = await waitFor(`a screenshot for ${name}`, async () => {
      const shot = await this.session.screenshot();
      return shot.length > 1_000 ? shot : undefined;
    }, { timeoutMs: 15_000 });
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "screenshot is not a PNG");
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), png);
  }
}

/**
 * Runs `body(app)` and, if it throws, saves the window as tests/desktop/failures/<name>.png
 * (for looking at what the test saw) before passing the error on.
 */
export async function withFailureShot(app, name, body) {
  try {
    await body(app);
  } catch (error) {
    try {
      const png = await app.session.screenshot();
      const dir = join(ROOT, "tests", "desktop", "failures");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.png`), png);
    } catch {
      // No window to take a picture of.
    }
    throw error;
  }
}

/** Ports of the process's listening TCP sockets on 127.0.0.1 (IPv4). */
function listeningLoopbackPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const [addr, port] = cols[1].split(":");
    const listening = cols[3] === "0A";
    if (listening && addr === "0100007F" && inodes.has(cols[9])) ports.push(parseInt(port, 16));
  }
  return ports;
}
