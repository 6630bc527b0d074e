// @vitest-environment node
/**
 * The UI reads the time only through `clock.ts`: any other module (tests excepted) that calls
 * `Date.now()` or `new Date()` with no argument fails this test.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL(".", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

describe("the clock boundary", () => {
  it("no module but clock.ts reads the computer's clock", () => {
    const offenders = sources(SRC)
      .filter((path) => relative(SRC, path) !== "clock.ts")
      .filter((path) => /Date\.now\(\)|new Date\(\s*\)/.test(readFileSync(path, "utf8")))
      .map((path) => relative(SRC, path));
    expect(offenders).toEqual([]);
  });

  it("would catch a module that does", () => {
    expect(/Date\.now\(\)|new Date\(\s*\)/.test("const t = Date.now();")).toBe(true);
    expect(/Date\.now\(\)|new Date\(\s*\)/.test("const d = new Date();")).toBe(true);
    expect(/Date\.now\(\)|new Date\(\s*\)/.test("const d = new Date(at);")).toBe(false);
  });
});
