/** backend.ts over a stand-in invoker and listener: request shape, `{code, message}` normalisation, unsubscribing. */
import { describe, expect, it, vi } from "vitest";
import { toAppError } from "./api";
import { createBackend } from "./backend";
import type { Invoker, Listener } from "./backend";

const noListen: Listener = () => Promise.resolve(() => undefined);

describe("backend.ts", () => {
  it("sends each command's request as its single `req` argument and returns the result", async () => {
    const invoke = vi.fn<Invoker>().mockResolvedValue({ client_id: "SL-1" });
    const backend = createBackend(invoke, noListen);
    const req = { licence: null, lines: [{ label: "A", quantity: "1", price: "5.00" }], customer_type: "Consumer", patient_number: null, caregiver_number: null };
    await expect(backend.completeSale(req)).resolves.toEqual({ client_id: "SL-1" });
    expect(invoke).toHaveBeenCalledWith("complete_sale", { req });
    await backend.syncNow();
    expect(invoke).toHaveBeenLastCalledWith("sync_now", undefined);
    await backend.quit(true);
    expect(invoke).toHaveBeenLastCalledWith("quit", { force: true });
  });

  it("passes the backend's {code, message} through unchanged (extra fields dropped)", async () => {
    const backend = createBackend(() => Promise.reject({ code: "wrong_pin", message: "Wrong PIN. 4 tries left.", extra: 1 }), noListen);
    await expect(backend.login({ name: "Bea", pin: "0000" })).rejects.toEqual({ code: "wrong_pin", message: "Wrong PIN. 4 tries left." });
  });

  it("normalises anything else to {code: internal, message}", async () => {
    const fails = (thrown: unknown) => createBackend(() => Promise.reject(thrown), noListen).appState();
    await expect(fails("command app_state not found")).rejects.toEqual({ code: "internal", message: "command app_state not found" });
    await expect(fails(new Error("IPC broke"))).rejects.toEqual({ code: "internal", message: "IPC broke" });
    await expect(fails(JSON.stringify({ code: "not_logged_in", message: "Log in first." }))).rejects.toEqual({ code: "not_logged_in", message: "Log in first." });
    const odd = await fails(42).catch((e: unknown) => e);
    expect(odd).toMatchObject({ code: "internal" });
    expect((odd as { message: string }).message.length).toBeGreaterThan(10);
  });

  it("normalises a synchronous throw of the invoker too", async () => {
    const backend = createBackend(() => {
      throw new TypeError("window.__TAURI_INTERNALS__ is undefined");
    }, noListen);
    await expect(backend.syncStatus()).rejects.toEqual({ code: "internal", message: "window.__TAURI_INTERNALS__ is undefined" });
  });

  it("delivers event payloads and stops after unsubscribe, even before listen has resolved", async () => {
    let deliver: (payload: unknown) => void = () => undefined;
    let resolveListen: (unlisten: () => void) => void = () => undefined;
    const unlisten = vi.fn();
    const listen: Listener = (_event, handler) => {
      deliver = handler;
      return new Promise((resolve) => {
        resolveListen = resolve;
      });
    };
    const backend = createBackend(vi.fn<Invoker>(), listen);
    const seen: unknown[] = [];
    const off = backend.on("records_changed", (p) => seen.push(p));
    deliver({ licence: "L1" });
    off();
    deliver({ licence: "L2" });
    resolveListen(unlisten);
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual([{ licence: "L1" }]);
    expect(unlisten).toHaveBeenCalledTimes(1);
  });

  it("toAppError keeps the message of a plain string and never returns an empty one", () => {
    expect(toAppError("")).toMatchObject({ code: "internal" });
    expect(toAppError("").message).not.toBe("");
  });
});
