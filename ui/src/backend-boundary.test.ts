// @vitest-environment node
/**
 * Enforces the rule that only `src/backend.ts` talks to Tauri: any other source file that imports
 * `@tauri-apps/*` (static import, re-export, dynamic import or require) fails this test.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL(".", import.meta.url));
const TAURI_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']@tauri-apps\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(?:[cm]?[jt]sx?)$/.test(entry.name) ? [path] : [];
  });
}

describe("backend boundary", () => {
  it("lets only src/backend.ts import @tauri-apps", () => {
    const offenders = sourceFiles(SRC)
      .map((path) => relative(SRC, path).split("\\").join("/"))
      .filter((path) => path !== "backend.ts")
      .filter((path) => TAURI_IMPORT.test(readFileSync(join(SRC, path), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("recognises the imports it is looking for", () => {
    expect(TAURI_IMPORT.test(readFileSync(join(SRC, "backend.ts"), "utf8"))).toBe(true);
    // Built from parts so that this file itself holds no import of the package.
    const pkg = ["@tauri", "apps/api"].join("-");
    expect(TAURI_IMPORT.test(`const m = await import("${pkg}/core");`)).toBe(true);
    expect(TAURI_IMPORT.test(`export * from '${pkg}';`)).toBe(true);
    expect(TAURI_IMPORT.test(`const text = "see ${pkg} docs";`)).toBe(false);
  });
});
