/**
 * The Integrations screen on the fake backend: the local API on and off (this computer or the
 * store network with the fingerprint to pin, a port in use by its code), an integration created
 * with its token shown once and copied, revoking after a confirmation, mapping a clerk, and the
 * call log in words from its codes.
 */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Integrations } from "./Integrations";

const type = (id: string, text: string) => fireEvent.change(screen.getByTestId(id), { target: { value: text } });
const submit = async (id: string) => {
  await act(async () => {
    fireEvent.submit(screen.getByTestId(id));
  });
};

async function createIntegration(name: string) {
  type("integration-name", name);
  await submit("integration-new");
  return (await screen.findByTestId("integration-token")) as HTMLInputElement;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Integrations › Local API", () => {
  it("turns the API on for this computer and shows where it answers, then off", async () => {
    const { fake } = renderAs("Mia", <Integrations />);
    const running = await screen.findByTestId("api-running");
    expect(running.getAttribute("data-running")).toBe("no");
    expect((screen.getByTestId("api-port") as HTMLInputElement).value).toBe("7420");
    fireEvent.click(screen.getByTestId("api-enabled"));
    await submit("api-settings");
    expect((await screen.findByTestId("api-url")).textContent).toBe("http://127.0.0.1:7420");
    expect(screen.queryByTestId("api-fingerprint")).toBeNull();
    expect(fake.calls.find((c) => c.command === "set_api_settings")?.req).toEqual({ enabled: true, port: 7420, lan: false, door_enabled: false, door_port: 7421 });
    fireEvent.click(screen.getByTestId("api-enabled"));
    await submit("api-settings");
    await waitFor(() => expect(screen.getByTestId("api-running").getAttribute("data-running")).toBe("no"));
    expect(screen.queryByTestId("api-url")).toBeNull();
  });

  it("opens it to the store network over TLS with the fingerprint to pin, and the door on its port", async () => {
    const { fake } = renderAs("Mia", <Integrations />);
    await screen.findByTestId("api-running");
    fireEvent.click(screen.getByTestId("api-enabled"));
    fireEvent.click(screen.getByTestId("api-lan"));
    fireEvent.click(screen.getByTestId("door-enabled"));
    type("door-port", "7500");
    await submit("api-settings");
    expect((await screen.findByTestId("api-url")).textContent).toMatch(/^https:\/\//);
    expect(screen.getByTestId("api-fingerprint").textContent).toBe(fake.integrations.fingerprint);
    expect(screen.getByTestId("door-url").textContent).toBe("http://127.0.0.1:7500");
    expect(fake.integrations.settings).toEqual({ enabled: true, port: 7420, lan: true, door_enabled: true, door_port: 7500 });
  });

  it("names a port in use by its code, and refuses a port that is not a number before sending", async () => {
    const fake = new FakeBackend();
    fake.integrations.takenPorts.add(7420);
    renderAs("Mia", <Integrations />, fake);
    await screen.findByTestId("api-running");
    fireEvent.click(screen.getByTestId("api-enabled"));
    await submit("api-settings");
    const problem = await screen.findByTestId("api-problem");
    expect(problem.getAttribute("data-code")).toBe("api_listen_failed");
    expect(problem.textContent).toMatch(/port is in use/);
    expect(screen.getByTestId("api-problem-message").textContent).toMatch(/choose another port/);
    type("api-port", "74x0");
    expect(screen.getByTestId("api-port-invalid")).toBeTruthy();
    expect((screen.getByTestId("api-save") as HTMLButtonElement).disabled).toBe(true);
    type("api-port", "80");
    await submit("api-settings");
    expect((await screen.findByTestId("api-save-error")).getAttribute("data-code")).toBe("invalid_input");
  });
});

describe("Integrations › integrations", () => {
  it("creates an integration and shows its token once, with a copy button", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { fake } = renderAs("Mia", <Integrations />);
    await screen.findByTestId("integration-new");
    fireEvent.click(screen.getByTestId("integration-scope-inventory"));
    const token = await createIntegration("Front counter POS");
    expect(token.value).toMatch(/^slk_/);
    expect(token.readOnly).toBe(true);
    expect(screen.getByTestId("integration-token-warning").textContent).toMatch(/you will not see it again/);
    expect(fake.calls.find((c) => c.command === "create_integration")?.req).toEqual({ name: "Front counter POS", scopes: ["record", "status", "inventory"] });
    await act(async () => {
      fireEvent.click(screen.getByTestId("integration-token-copy"));
    });
    expect(writeText).toHaveBeenCalledWith(token.value);
    expect(screen.getByTestId("integration-token-copied").textContent).toMatch(/Copied/);
    const row = await screen.findByTestId("integration-row-1");
    expect(row.textContent).toContain(token.value.slice(0, 8));
    expect(row.textContent).not.toContain(token.value);
    expect(row.textContent).toContain("record, status, inventory");
    expect(row.textContent).toContain("by Mia");
    expect(within(row).getByTestId("integration-last-used-1").textContent).toBe("never");
    // Done: the token is gone from the screen for good; no command returns it.
    fireEvent.click(screen.getByTestId("integration-token-done"));
    expect(screen.queryByTestId("integration-token")).toBeNull();
    expect(document.body.textContent).not.toContain(token.value);
    expect(JSON.stringify(await fake.listIntegrations())).not.toContain(token.value);
  });

  it("selects the token for Ctrl+C when the clipboard cannot be used", async () => {
    Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new Error("denied")) }, configurable: true });
    renderAs("Mia", <Integrations />);
    await screen.findByTestId("integration-new");
    const token = await createIntegration("Back office");
    await act(async () => {
      fireEvent.click(screen.getByTestId("integration-token-copy"));
    });
    expect(screen.getByTestId("integration-token-copied").textContent).toMatch(/Ctrl\+C/);
    expect(document.activeElement).toBe(token);
  });

  it("shows a refused name by its code, and needs a scope", async () => {
    renderAs("Mia", <Integrations />);
    await screen.findByTestId("integration-new");
    await createIntegration("Front counter POS");
    fireEvent.click(screen.getByTestId("integration-token-done"));
    type("integration-name", "Front counter POS");
    await submit("integration-new");
    expect((await screen.findByTestId("integration-create-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(screen.queryByTestId("integration-token")).toBeNull();
    fireEvent.click(screen.getByTestId("integration-scope-record"));
    fireEvent.click(screen.getByTestId("integration-scope-status"));
    expect((screen.getByTestId("integration-create") as HTMLButtonElement).disabled).toBe(true);
  });

  it("revokes only after a confirmation; the POS's next call is refused with token_revoked", async () => {
    const { fake } = renderAs("Mia", <Integrations />);
    await screen.findByTestId("integration-new");
    const token = (await createIntegration("Front counter POS")).value;
    fireEvent.click(screen.getByTestId("integration-token-done"));
    fireEvent.click(await screen.findByTestId("integration-revoke-1"));
    expect(screen.getByTestId("integration-revoke-dialog").textContent).toMatch(/cannot be undone/);
    fireEvent.click(screen.getByTestId("integration-revoke-dialog-cancel"));
    expect(fake.integrations.list[0]!.revoked_at).toBeNull();
    fireEvent.click(screen.getByTestId("integration-revoke-1"));
    await act(async () => {
      fireEvent.click(screen.getByTestId("integration-revoke-dialog-confirm"));
    });
    expect((await screen.findByTestId("integration-revoked-1")).textContent).toContain("by Mia");
    expect(screen.getByTestId("integration-row-1").getAttribute("data-revoked")).toBe("yes");
    expect(screen.queryByTestId("integration-revoke-1")).toBeNull();
    expect(fake.integrations.posCall(token, "POST", "/v1/sales")).toEqual({ status: 401, code: "token_revoked" });
  });

  it("maps a POS clerk id to a user, and removes the mapping", async () => {
    const { fake } = renderAs("Mia", <Integrations />);
    await screen.findByTestId("integration-new");
    expect(screen.queryByTestId("integration-clerks")).toBeNull();
    await createIntegration("Front counter POS");
    await screen.findByTestId("integration-clerks");
    await waitFor(() => expect((screen.getByTestId("integration-clerk-user") as HTMLSelectElement).value).toBe("Mia"));
    type("integration-clerk-id", "clerk-07");
    type("integration-clerk-user", "Bea");
    await submit("integration-clerks");
    expect((await screen.findByTestId("integration-clerk-done")).textContent).toContain("clerk-07 now sells as Bea");
    expect(fake.integrations.clerks.get("1:clerk-07")).toBe("Bea");
    // The mapping is listed once the list is read again (the change is audited).
    expect((await screen.findByTestId("integration-clerk-list")).textContent).toContain("clerk-07 sells as Bea");
    type("integration-clerk-id", "clerk-07");
    type("integration-clerk-user", "");
    expect(screen.getByTestId("integration-clerk-save").textContent).toBe("Remove mapping");
    await submit("integration-clerks");
    expect(fake.integrations.clerks.has("1:clerk-07")).toBe(false);
    await screen.findByTestId("integration-clerk-none");
    expect(fake.calls.filter((c) => c.command === "map_integration_clerk").map((c) => c.req)).toEqual([
      { id: 1, clerk: "clerk-07", user: "Bea" },
      { id: 1, clerk: "clerk-07", user: null },
    ]);
  });
});

describe("Integrations › recent calls", () => {
  it("lists the calls in words from their codes, and reads them again after a record was made", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const fake = new FakeBackend();
      const { token } = fake.integrations.create("Front counter POS", ["record"], "Mia");
      fake.integrations.posCall(token, "POST", "/v1/sales");
      fake.integrations.posCall("slk_wrong", "GET", "/v1/status");
      renderAs("Mia", <Integrations />, fake);
      const rows = await screen.findAllByTestId("integration-call");
      expect(rows.map((r) => r.getAttribute("data-code"))).toEqual(["unauthorized", ""]);
      expect(rows[0]!.textContent).toContain("no valid token");
      expect(rows[0]!.textContent).toContain("refused: no token, or an unknown one (401)");
      expect(rows[1]!.textContent).toContain("Front counter POS");
      expect(rows[1]!.textContent).toContain("POST /v1/sales");
      expect(rows[1]!.textContent).toContain("recorded (201)");
      // The same ticket again (a replay) is answered 200 without a code; a revoked token is refused.
      fake.integrations.calls.unshift({ integration: 1, at: fake.integrations.calls[0]!.at, method: "POST", route: "/v1/sales", status: 200, code: null });
      act(() => fake.emit("records_changed", { licence: "403R-00001" }));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1500);
      });
      await waitFor(() => expect(screen.getAllByTestId("integration-call")).toHaveLength(3));
      expect(screen.getAllByTestId("integration-call")[0]!.textContent).toContain("answered (already recorded) (200)");
      expect(screen.getByTestId("integration-last-used-1").textContent).not.toBe("never");
    } finally {
      vi.useRealTimers();
    }
  });

  it("filters the calls by integration", async () => {
    const fake = new FakeBackend();
    const a = fake.integrations.create("Front counter POS", ["record"], "Mia");
    const b = fake.integrations.create("Back office", ["status"], "Mia");
    fake.integrations.posCall(a.token, "POST", "/v1/sales");
    fake.integrations.posCall(b.token, "GET", "/v1/status");
    renderAs("Mia", <Integrations />, fake);
    expect(await screen.findAllByTestId("integration-call")).toHaveLength(2);
    await act(async () => {
      type("integration-calls-filter", String(b.integration.id));
    });
    await waitFor(() => expect(screen.getAllByTestId("integration-call")).toHaveLength(1));
    expect(screen.getByTestId("integration-call").textContent).toContain("GET /v1/status");
    expect(fake.calls.filter((c) => c.command === "integration_calls").at(-1)?.req).toEqual({ integration: b.integration.id, limit: 50 });
  });
});
