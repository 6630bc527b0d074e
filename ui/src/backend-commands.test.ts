// @vitest-environment node
/**
 * Every command `backend.ts` sends is documented in `docs/ipc.md` (a row of a command table), and
 * the compliance and purchase-limit commands are sent under their IPC names with their single
 * `req`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { createBackend } from "./backend";
import type { Invoker, Listener } from "./backend";

const IPC_DOC = readFileSync(fileURLToPath(new URL("../../docs/ipc.md", import.meta.url)), "utf8");
const noListen: Listener = () => Promise.resolve(() => undefined);

function sentCommands(): Map<string, Record<string, unknown> | undefined> {
  const sent = new Map<string, Record<string, unknown> | undefined>();
  const invoke = vi.fn<Invoker>((command, args) => {
    sent.set(command, args);
    return Promise.resolve(null);
  });
  const backend = createBackend(invoke, noListen) as unknown as Record<string, unknown>;
  for (const [name, method] of Object.entries(backend)) {
    if (name === "on" || typeof method !== "function") continue;
    void (method as (req: unknown) => Promise<unknown>)({ probe: name });
  }
  return sent;
}

describe("backend.ts commands", () => {
  it("are all documented in docs/ipc.md", () => {
    const sent = sentCommands();
    expect(sent.size).toBeGreaterThan(40);
    const undocumented = [...sent.keys()].filter((command) => !IPC_DOC.includes(`| \`${command}\` |`));
    expect(undocumented).toEqual([]);
  });

  it("send the compliance commands under their IPC names", () => {
    const sent = sentCommands();
    for (const command of ["export_outage_csv", "outage_report_page", "reconcile_day", "reconciliation_overview", "reconciliation_run", "resolve_difference", "set_state_deadline", "set_backup_settings"]) {
      expect(sent.get(command), command).toEqual({ req: expect.anything() });
    }
    for (const command of ["verify_audit", "state_deadlines", "backup_overview", "backup_now"]) {
      expect(sent.has(command), command).toBe(true);
      expect(sent.get(command), command).toBeUndefined();
    }
  });

  it("send the purchase-limit commands under their IPC names", () => {
    const sent = sentCommands();
    for (const command of ["limit_preview", "look_up_patient", "limit_items", "map_item", "set_limit_override", "clear_limit_override"]) {
      expect(sent.get(command), command).toEqual({ req: expect.anything() });
    }
    expect(sent.has("limit_rules")).toBe(true);
    expect(sent.get("limit_rules")).toBeUndefined();
  });
});
