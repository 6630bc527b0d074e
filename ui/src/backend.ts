/**
 * The one door between the UI and the Rust side: the only module that imports `@tauri-apps/*`
 * (a test enforces it). Everything else calls these functions, so components stay testable in a
 * plain browser or jsdom, where the functions answer as if no backend were there.
 */
import { getVersion } from "@tauri-apps/api/app";
import { isTauri } from "@tauri-apps/api/core";

/** True when the page runs inside the Stateline window, false in a plain browser or a test. */
export function inDesktopApp(): boolean {
  return isTauri();
}

/** The app's version from the Rust side, or `null` outside the desktop app. */
export async function appVersion(): Promise<string | null> {
  return inDesktopApp() ? getVersion() : null;
}
