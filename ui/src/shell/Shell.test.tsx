/** The logged-in shell through the whole App on the fake backend: nav by permission, status events, locks, quitting, key problems. */
import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { FakeBackend } from "../testing/fakeBackend";
import { testClock } from "../testing/testClock";

async function loginAs(fake: FakeBackend, name: string, pin: string) {
  render(<App backend={fake} />);
  fireEvent.click(await screen.findByTestId(`login-user-${name}`));
  fireEvent.change(screen.getByTestId("pin-input"), { target: { value: pin } });
  await act(async () => {
    fireEvent.submit(screen.getByTestId("pin-input").closest("form")!);
  });
  const cont = screen.queryByTestId("key-prompt-continue");
  if (cont !== null) fireEvent.click(cont);
  await screen.findByTestId("session-user");
}

const navs = () => screen.getAllByRole("link").map((a) => a.getAttribute("data-testid"));

describe("Shell", () => {
  it("hides manager screens from a budtender", async () => {
    await loginAs(new FakeBackend(), "Bea", "1234");
    expect(navs()).toEqual(["nav-sell", "nav-inventory", "nav-sync", "nav-keys", "nav-demo"]);
  });

  it("shows a manager every screen, and the demo panel only in demo mode", async () => {
    await loginAs(new FakeBackend(), "Mia", "9999");
    expect(navs()).toEqual(["nav-sell", "nav-inventory", "nav-sync", "nav-keys", "nav-users", "nav-settings", "nav-audit", "nav-store", "nav-integrations", "nav-demo"]);
  });

  it("has no demo panel outside demo mode", async () => {
    await loginAs(new FakeBackend({ demo: false }), "Mia", "9999");
    expect(screen.queryByTestId("nav-demo")).toBeNull();
  });

  it("switches screens from the nav and marks the current one", async () => {
    await loginAs(new FakeBackend(), "Mia", "9999");
    fireEvent.click(screen.getByTestId("nav-audit"));
    expect(screen.getByTestId("screen-audit")).toBeTruthy();
    expect(screen.getByTestId("nav-audit").getAttribute("aria-current")).toBe("page");
  });

  it("keeps the status chip up to date from status events", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    expect((await screen.findByTestId("status-chip")).getAttribute("data-state")).toBe("in_step");
    act(() => fake.emit("status_changed", { ...fake.status, health: "offline", waiting: 3 }));
    expect(screen.getByTestId("status-chip").getAttribute("data-state")).toBe("offline");
  });

  it("returns to the login when the backend locks the session (idle lock)", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    fake.session = null;
    act(() => fake.emit("session_changed", fake.state()));
    expect(await screen.findByTestId("pin-input")).toBeTruthy();
  });

  it("asks before quitting while records wait, and quits only when confirmed", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    act(() => fake.emit("quit_requested", { waiting: 4 }));
    expect(screen.getByTestId("quit-dialog").textContent).toContain("4 records have not reached Metrc");
    await act(async () => {
      fireEvent.click(screen.getByTestId("quit-dialog-confirm"));
    });
    expect(fake.calls.find((c) => c.command === "quit")?.req).toEqual({ force: true });
  });

  it("returns to the login when a command finds the session gone", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    fireEvent.click(screen.getByTestId("nav-sync"));
    fake.session = null;
    const button = await screen.findByTestId("sync-now");
    await act(async () => {
      fireEvent.click(button);
    });
    expect(await screen.findByTestId("pin-input")).toBeTruthy();
  });

  it("asks only the user whose key Metrc refused mid-shift for a new one, in place", async () => {
    const fake = new FakeBackend();
    fake.keys.set("user:Bea", { lastFour: "1111", verdict: "all_good", checkedAt: "2026-11-23T14:00:00Z" });
    await loginAs(fake, "Bea", "1234");
    expect(screen.queryByTestId("key-problem-banner")).toBeNull();
    const refused = { ...fake.status, health: "key_problem" as const, users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 0, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 2, waiting: 2 }, key_problem: "Metrc refused Bea's key." }] };
    act(() => fake.emit("status_changed", refused));
    const banner = await screen.findByTestId("key-problem-banner");
    expect(banner.textContent).toContain("Metrc refused Bea's key.");
    expect(screen.getByTestId("screen-sell")).toBeTruthy();
    fireEvent.click(screen.getByTestId("key-problem-fix"));
    fireEvent.change(screen.getByTestId("key-problem-input"), { target: { value: "demo-budtender-key-2222" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("key-problem-save"));
    });
    expect(fake.keys.get("user:Bea")?.lastFour).toBe("2222");
    act(() => fake.emit("status_changed", { ...refused, health: "in_step", users: [] }));
    expect(screen.queryByTestId("key-problem-banner")).toBeNull();
  });

  it("does not bother a user whose key is fine when another's is refused", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Mia", "9999");
    act(() => fake.emit("status_changed", { ...fake.status, health: "key_problem", users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 0, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 2, waiting: 2 }, key_problem: "Metrc refused Bea's key." }] }));
    expect(screen.getByTestId("status-label").textContent).toBe("Key problem (Bea)");
    expect(screen.queryByTestId("key-problem-banner")).toBeNull();
  });

  it("asks for a key again when the backend says one is needed after the prompt was skipped", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    expect(screen.getByTestId("screen-sell")).toBeTruthy();
    fake.keys.set("user:Bea", { lastFour: "1111", verdict: "all_good", checkedAt: "2026-11-23T14:00:00Z" });
    act(() => fake.emit("session_changed", fake.state()));
    expect(screen.queryByTestId("key-prompt")).toBeNull();
    fake.keys.set("user:Bea", { lastFour: "1111", verdict: "key_invalid", checkedAt: "2026-11-23T14:00:00Z" });
    act(() => fake.emit("session_changed", fake.state()));
    expect(await screen.findByTestId("key-prompt")).toBeTruthy();
  });

  it("tells the backend about activity for the idle lock, at most once per 30 seconds", async () => {
    const fake = new FakeBackend();
    await loginAs(fake, "Bea", "1234");
    const touches = () => fake.calls.filter((c) => c.command === "touch").length;
    const before = touches();
    fireEvent.pointerDown(window);
    fireEvent.keyDown(window, { key: "a" });
    fireEvent.pointerDown(window);
    expect(touches() - before).toBe(1);
    testClock.advance(31_000);
    fireEvent.pointerDown(window);
    expect(touches() - before).toBe(2);
  });

  it("keeps selling without a vendor key and points a manager to Settings", async () => {
    const fake = new FakeBackend({ demo: false });
    await loginAs(fake, "Mia", "9999");
    expect(screen.getByTestId("vendor-key-banner")).toBeTruthy();
    expect(screen.getByTestId("screen-sell")).toBeTruthy();
    fireEvent.click(screen.getByTestId("vendor-key-banner-open"));
    expect(screen.getByTestId("screen-settings")).toBeTruthy();
  });

  it("shows no vendor key banner in demo mode", async () => {
    await loginAs(new FakeBackend(), "Mia", "9999");
    expect(screen.queryByTestId("vendor-key-banner")).toBeNull();
  });

  it("jumps between screens with Alt+number", async () => {
    await loginAs(new FakeBackend(), "Mia", "9999");
    fireEvent.keyDown(window, { key: "3", altKey: true });
    expect(screen.getByTestId("screen-sync")).toBeTruthy();
    fireEvent.keyDown(window, { key: "1", altKey: true });
    expect(screen.getByTestId("screen-sell")).toBeTruthy();
    // A manager in demo mode has ten screens: Alt+9 is Integrations, Alt+0 the demo panel.
    fireEvent.keyDown(window, { key: "9", altKey: true });
    expect(screen.getByTestId("screen-integrations")).toBeTruthy();
    fireEvent.keyDown(window, { key: "0", altKey: true });
    expect(screen.getByTestId("screen-demo")).toBeTruthy();
  });

  it("warns above every screen while the store server is unreachable, and stops once it is back", async () => {
    const fake = new FakeBackend();
    fake.storeMembership = { host: "10.0.0.5", port: 5432, database: "store", user: "stateline", register_name: "Register 1", register_id: "reg-1", tls: "not encrypted" };
    fake.storeLinkView = { ...fake.storeLinkView, joined: true, connected: true };
    await loginAs(fake, "Bea", "1234");
    expect(screen.getByTestId("screen-sell")).toBeTruthy();
    expect(screen.queryByTestId("store-banner")).toBeNull();
    // 17:42 UTC is 10:42 in Denver (the licence's zone) in November.
    act(() => fake.setStoreLink({ connected: false, unreachable_since: "2026-11-23T17:42:00Z", failures: 1, last_error: "store_server_unreachable" }));
    expect(screen.getByTestId("store-banner").textContent).toBe("Store server unreachable since 10:42 — counts may be behind. Selling goes on.");
    act(() => fake.setStoreLink({ failures: 2 }));
    expect(screen.getByTestId("store-banner").textContent).toContain("since 10:42");
    act(() => fake.setStoreLink({ connected: true, unreachable_since: null, failures: 0, last_error: null }));
    expect(screen.queryByTestId("store-banner")).toBeNull();
  });

  it("shows the banner at once when the link was already cut off before the screen opened", async () => {
    const fake = new FakeBackend();
    fake.storeLinkView = { ...fake.storeLinkView, joined: true, connected: false, unreachable_since: "2026-11-23T17:42:00Z", failures: 3 };
    await loginAs(fake, "Bea", "1234");
    expect((await screen.findByTestId("store-banner")).textContent).toContain("since 10:42");
  });

  it("opens the Store screen for a manager, which points to Settings on a register on its own", async () => {
    await loginAs(new FakeBackend(), "Mia", "9999");
    fireEvent.click(screen.getByTestId("nav-store"));
    fireEvent.click(await screen.findByTestId("store-open-settings"));
    expect(await screen.findByTestId("settings-store")).toBeTruthy();
  });
});
