/** The Sync screen's store scope: the whole store or one register, other registers read-only, how fresh the copy is. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { StoreEntryView } from "../api";
import { FakeBackend, LICENCE, T0 } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Sync } from "./Sync";

function peer(register: string, name: string, seq: number, state: StoreEntryView["state"]): StoreEntryView {
  return {
    register_id: register,
    register_name: name,
    this_register: false,
    own: null,
    seq,
    client_id: `SL-${register}-${seq}`,
    kind: "sale",
    licence: LICENCE,
    acting_user: "Bea",
    state,
    occurred_at: T0,
  };
}

function inAStore(): FakeBackend {
  const fake = new FakeBackend();
  fake.storeMembership = { host: "store.local", port: 5432, database: "store", user: "stateline", register_name: "Register 1", register_id: "reg-1", tls: "not encrypted" };
  fake.knownRegisters = [
    { id: "reg-1", name: "Register 1", this_register: true, current: true },
    { id: "reg-2", name: "Register 2", this_register: false, current: true },
    { id: "reg-3", name: "Register 3", this_register: false, current: false },
  ];
  // 17:42 UTC is 10:42 in Denver (the licence's zone) in November.
  fake.storeAsOf = "2026-11-23T17:42:00Z";
  fake.peerEntries = [peer("reg-2", "Register 2", 7, "rejected"), peer("reg-3", "Register 3", 2, null)];
  return fake;
}

describe("Sync in a store", () => {
  it("offers no scope on a register in no store", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    await screen.findByTestId("sync-entries");
    await waitFor(() => expect(fake.calls.some((c) => c.command === "store_registers")).toBe(true));
    expect(screen.queryByTestId("sync-scope")).toBeNull();
  });

  it("lists the whole store with each record's register, the others' read-only, and says as of when", async () => {
    const fake = inAStore();
    const mine = fake.addEntry("rejected", "Bea", { kind: "sale", customer_type: "Consumer", lines: [{ label: "1A4000000000000000000001", quantity: "1", price: "10.00" }] });
    renderAs("Mia", <Sync />, fake);
    const picker = (await screen.findByTestId("sync-scope")) as HTMLSelectElement;
    expect([...picker.options].map((o) => o.text)).toEqual(["This register", "The whole store", "Register 2", "Register 3 (left the store)"]);
    expect(await screen.findByTestId(`entry-void-${mine.id}`)).toBeTruthy();

    fireEvent.change(picker, { target: { value: "store" } });
    const table = await screen.findByTestId("sync-store-entries");
    await waitFor(() => expect(screen.getByTestId("peer-row-SL-reg-2-7")).toBeTruthy());
    expect(fake.calls.find((c) => c.command === "list_store_entries")?.req).toMatchObject({ scope: { kind: "store" } });
    expect(screen.getByTestId("sync-scope-as-of").textContent).toContain("as of the last store sync 10:42");
    const theirs = screen.getByTestId("peer-row-SL-reg-2-7");
    expect(theirs.textContent).toContain("Register 2");
    expect(theirs.textContent).toContain("refused by Metrc");
    expect(theirs.querySelectorAll("button")).toHaveLength(0);
    expect(screen.getByTestId("peer-row-SL-reg-3-2").textContent).toContain("not reported yet");
    expect(table.textContent).toContain("Register 1 (this one)");
    expect(screen.getByTestId(`entry-void-${mine.id}`)).toBeTruthy();
  });

  it("shows one other register's records only", async () => {
    const fake = inAStore();
    fake.addEntry("pending", "Max", { kind: "sale", customer_type: "Consumer", lines: [] });
    renderAs("Mia", <Sync />, fake);
    fireEvent.change(await screen.findByTestId("sync-scope"), { target: { value: "register:reg-2" } });
    await waitFor(() => expect(screen.getByTestId("peer-row-SL-reg-2-7")).toBeTruthy());
    expect(fake.calls.filter((c) => c.command === "list_store_entries").at(-1)?.req).toMatchObject({ scope: { kind: "register", register_id: "reg-2" } });
    expect(screen.queryByTestId("peer-row-SL-reg-3-2")).toBeNull();
    expect(screen.getByTestId("sync-store-entries").querySelectorAll("[data-testid^='entry-row-']")).toHaveLength(0);

    fireEvent.change(screen.getByTestId("sync-scope"), { target: { value: "" } });
    expect(await screen.findByTestId("sync-entries")).toBeTruthy();
    expect(screen.queryByTestId("sync-scope-as-of")).toBeNull();
  });
});
