/** The Store screen on the fake backend: a register on its own, a joined one, refreshes on `store_changed`. */
import { act, fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { StoreKeyView } from "../api";
import { FakeBackend, LICENCE, T0 } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Store } from "./Store";

function joined(): FakeBackend {
  const fake = new FakeBackend();
  fake.storeMembership = { host: "10.0.0.5", port: 5432, database: "store", user: "stateline", register_name: "Register 1", register_id: "reg-1", tls: "not encrypted" };
  fake.storeLinkView = { ...fake.storeLinkView, joined: true, connected: true, last_success: T0 };
  fake.storeServer.registers = [
    { id: "reg-1", name: "Register 1", app_version: "0.1.0", last_seen_at: T0, records: 12, open: 2, this_register: true },
    { id: "reg-2", name: "Register 2", app_version: "0.1.0", last_seen_at: "2026-11-23T13:50:00Z", records: 7, open: 1, this_register: false },
  ];
  fake.storeServer.backlog = [
    { licence: LICENCE, acting_user: "Bea", open: 3, oldest: "2026-11-23T11:00:00Z" },
    { licence: LICENCE, acting_user: "Cy", open: 1, oldest: "2026-11-22T08:00:00Z" },
  ];
  fake.storeServer.keys = [
    key({ user: "Bea", register_name: "Register 2", last_four: "1234", newest: true }),
    key({ user: "Bea", register_name: "Register 1", this_register: true, last_four: "9999", newest: false }),
    key({ user: null, register_name: "Register 1", this_register: true, last_four: "7777", verdict: "key_invalid" }),
  ];
  return fake;
}

function key(k: Partial<StoreKeyView>): StoreKeyView {
  return {
    user: null,
    register_name: "Register 1",
    this_register: false,
    register_seen_at: T0,
    last_four: "0000",
    saved_at: T0,
    verdict: "all_good",
    newest: true,
    ...k,
  };
}

describe("Store screen", () => {
  it("says a register on its own is on its own and points to Settings", async () => {
    const open = vi.fn();
    renderAs("Mia", <Store onOpenSettings={open} />);
    expect(await screen.findByTestId("store-alone")).toBeTruthy();
    fireEvent.click(screen.getByTestId("store-open-settings"));
    expect(open).toHaveBeenCalled();
  });

  it("shows the link, every register and the backlog with the oldest record's age", async () => {
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, joined());
    expect((await screen.findByTestId("store-link-state")).textContent).toMatch(/Connected/);
    expect(screen.getByTestId("store-register-Register 1").textContent).toMatch(/this register/);
    const two = screen.getByTestId("store-register-Register 2").textContent ?? "";
    expect(two).toMatch(/0\.1\.0/);
    expect(two).toMatch(/7/);
    const backlog = screen.getByTestId("store-backlog-Bea").textContent ?? "";
    expect(backlog).toContain(LICENCE);
    expect(backlog).toContain("3 h old");
    // The licence reports within 24 h: Bea's oldest has 21 h left, Cy's is 6 h late.
    expect(backlog).toContain("due in 21 h");
    const late = screen.getByTestId("store-backlog-Cy").textContent ?? "";
    expect(late).toContain("overdue by 6 h");
  });

  it("shows whose key is where, by its last four, with a rotated key's older copy marked", async () => {
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, joined());
    const current = await screen.findByTestId("store-key-Bea-Register 2");
    expect(current.textContent).toContain("…1234");
    expect(current.textContent).not.toMatch(/older copy/);
    const stale = screen.getByTestId("store-key-Bea-Register 1");
    expect(stale.textContent).toMatch(/this register/);
    expect(stale.textContent).toMatch(/older copy/);
    expect(stale.getAttribute("data-newest")).toBe("false");
    const facility = screen.getByTestId("store-key-facility-Register 1").textContent ?? "";
    expect(facility).toContain("Facility key");
    expect(facility).toContain("Refused by Metrc");
  });

  it("refreshes on store_changed: unreachable since when, and back", async () => {
    const fake = joined();
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, fake);
    await screen.findByTestId("store-registers");
    fake.storeServer.reachable = false;
    // 17:42 UTC is 10:42 in Denver (the licence's zone) in November.
    await act(async () => fake.setStoreLink({ connected: false, unreachable_since: "2026-11-23T17:42:00Z", failures: 1, last_error: "store_server_unreachable" }));
    expect((await screen.findByTestId("store-server-unreachable")).textContent).toMatch(/cannot be reached/);
    expect(screen.getByTestId("store-link-state").textContent).toContain("unreachable since 10:42");
    expect(screen.queryByTestId("store-registers")).toBeNull();
    fake.storeServer.reachable = true;
    fake.storeServer.registers.push({ id: "reg-3", name: "Register 3", app_version: "0.1.0", last_seen_at: T0, records: 0, open: 0, this_register: false });
    await act(async () => fake.setStoreLink({ connected: true, unreachable_since: null, failures: 0, last_error: null }));
    expect(await screen.findByTestId("store-register-Register 3")).toBeTruthy();
    expect(screen.getByTestId("store-link-state").textContent).toMatch(/Connected/);
  });

  it("is a manager's: a budtender gets the refusal", async () => {
    renderAs("Bea", <Store onOpenSettings={() => undefined} />);
    expect((await screen.findByTestId("store-error")).getAttribute("data-code")).toBe("not_allowed");
  });
});
