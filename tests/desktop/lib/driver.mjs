/**
 * Starts and stops tauri-driver, which in turn runs WebKitWebDriver, which runs the app. All three
 * share a process group of their own, so `stop()` ends every one of them, and so does this
 * process's exit. Start-up is bounded: a driver that never answers fails the test. `env` is added
 * to the environment all three inherit (the app's data folder, for one).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { command, waitFor } from "./webdriver.mjs";

function tauriDriverPath() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const cargoBin = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", "tauri-driver");
  return existsSync(cargoBin) ? cargoBin : "tauri-driver";
}

/** A loopback TCP port nobody listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts tauri-driver on `port` with WebKitWebDriver on `nativePort`; both default to free ports
 * picked by the OS, so runs beside other WebDriver users on the machine do not collide.
 */
export async function startDriver({ port, nativePort, env = {}, startTimeoutMs = 20_000 } = {}) {
  port ??= await freePort();
  nativePort ??= await freePort();
  const args = ["--port", String(port), "--native-port", String(nativePort)];
  const nativeDriver = process.env.NATIVE_WEBDRIVER ?? "/usr/bin/WebKitWebDriver";
  if (existsSync(nativeDriver)) args.push("--native-driver", nativeDriver);

  const child = spawn(tauriDriverPath(), args, {
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NO_AT_BRIDGE: "1", ...env },
  });
  let exited = false;
  const spawnFailure = new Promise((_, reject) => {
    child.once("error", (error) => reject(new Error(`could not start tauri-driver: ${error.message}`)));
    child.once("exit", (code, signal) => {
      exited = true;
      reject(new Error(`tauri-driver exited early (code ${code}, signal ${signal})`));
    });
  });
  spawnFailure.catch(() => {});

  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);

  // The group may outlive its leader (WebKitWebDriver left behind when tauri-driver fails), so it
  // is killed whether or not tauri-driver is still running.
  const stop = async () => {
    process.removeListener("exit", onExit);
    if (exited) {
      killGroup("SIGKILL");
      return;
    }
    killGroup("SIGTERM");
    const gone = new Promise((resolve) => child.once("exit", resolve));
    const timer = setTimeout(() => killGroup("SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
    killGroup("SIGKILL");
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      spawnFailure,
      waitFor("tauri-driver to answer /status", async () => {
        await command(baseUrl, "GET", "/status", undefined, 2_000);
        return true;
      }, { timeoutMs: startTimeoutMs }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}
