/** Compliance across the store on the fake backend: the Store screen's deadlines and chain check, the Audit screen's store scope. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { AuditEntryView } from "../api";
import { FakeBackend, LICENCE, T0 } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Audit } from "./Audit";
import { Store } from "./Store";

function inAStore(): FakeBackend {
  const fake = new FakeBackend();
  fake.storeMembership = { host: "10.0.0.5", port: 5432, database: "store", user: "stateline", register_name: "Register 1", register_id: "reg-1", tls: "not encrypted" };
  fake.storeLinkView = { ...fake.storeLinkView, joined: true, connected: true, last_success: T0 };
  fake.knownRegisters = [
    { id: "reg-1", name: "Register 1", this_register: true, current: true },
    { id: "reg-2", name: "Register 2", this_register: false, current: true },
  ];
  // 17:42 UTC is 10:42 in Denver (the licence's zone) in November.
  fake.storeAsOf = "2026-11-23T17:42:00Z";
  return fake;
}

function entry(seq: number, at: string, action: string): AuditEntryView {
  return { seq, at, actor: "Bea", action, subject: `subject ${seq}`, detail: "" };
}

describe("Store screen: compliance across the store", () => {
  it("lists every register's records near or past their deadline, as of the last store sync", async () => {
    const fake = inAStore();
    fake.storeDeadlinesView = {
      at: T0,
      as_of: fake.storeAsOf,
      rows: [
        {
          register_id: "reg-2",
          register_name: "Register 2",
          this_register: false,
          client_id: "SL-reg-2-7",
          kind: "sale",
          licence: LICENCE,
          acting_user: "Bea",
          occurred_at: "2026-11-22T15:00:00Z",
          state: "waiting_for_key",
          deadline_at: "2026-11-23T15:00:00Z",
          warning: "overdue",
        },
      ],
      truncated: false,
      registers: [
        { register_id: "reg-1", register_name: "Register 1", this_register: true, open: 2, soon: 0, overdue: 0 },
        { register_id: "reg-2", register_name: "Register 2", this_register: false, open: 4, soon: 0, overdue: 1 },
      ],
    };
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, fake);
    const row = await screen.findByTestId("store-deadline-SL-reg-2-7");
    expect(row.getAttribute("data-warning")).toBe("overdue");
    expect(row.textContent).toContain("Register 2");
    expect(row.textContent).toContain("past the deadline");
    // 15:00 UTC is 8:00 in the morning in Denver.
    expect(row.textContent).toContain("8:00:00 AM");
    expect(screen.getByTestId("store-deadlines-register-Register 2").textContent).toContain("4");
    expect(screen.getByTestId("store-deadlines-as-of").textContent).toContain("as of the last store sync 10:42");
  });

  it("verifies every register's audit chain and names the broken entry", async () => {
    const fake = inAStore();
    fake.storeChains = [
      { register_id: "reg-1", register_name: "Register 1", this_register: true, verification: { result: "intact", entries: 40, head_hash: "abcdef0123456789" }, code: null },
      {
        register_id: "reg-2",
        register_name: "Register 2",
        this_register: false,
        verification: { result: "broken", seq: 17, reason: "entry 17's content does not match its hash: it was edited" },
        code: "audit_chain_broken",
      },
    ];
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, fake);
    const verify = await screen.findByTestId("store-verify-audits");
    await act(async () => {
      fireEvent.click(verify);
    });
    const broken = await screen.findByTestId("store-audit-chain-Register 2");
    expect(broken.getAttribute("data-code")).toBe("audit_chain_broken");
    expect(broken.textContent).toContain("Broken at entry 17");
    expect(screen.getByTestId("store-audit-chain-Register 1").textContent).toContain("OK — 40 entries");
    expect(screen.getByTestId("store-audit-chains-summary").textContent).toContain("1 register(s) have a broken audit chain");
  });

  it("says plainly when the store server cannot be read for the chains", async () => {
    const fake = inAStore();
    fake.storeServer.reachable = false;
    renderAs("Mia", <Store onOpenSettings={() => undefined} />, fake);
    const verify = await screen.findByTestId("store-verify-audits");
    await act(async () => {
      fireEvent.click(verify);
    });
    expect(await screen.findByTestId("store-audit-chains-unreachable")).toBeTruthy();
    expect(screen.getByTestId("store-audit-chains-error").getAttribute("data-code")).toBe("store_server_unreachable");
    expect(screen.queryByTestId("store-audit-chains-table")).toBeNull();
  });
});

describe("Audit screen: the store scope", () => {
  it("reads another register's log, or every register's by time, from the store server", async () => {
    const fake = inAStore();
    fake.storeAudit.set("reg-1", [entry(1, "2026-11-23T15:00:00Z", "sale_recorded")]);
    fake.storeAudit.set("reg-2", [entry(1, "2026-11-23T14:00:00Z", "key_set"), entry(2, "2026-11-23T16:00:00Z", "sale_void")]);
    renderAs("Mia", <Audit />, fake);
    const picker = await screen.findByTestId("audit-scope");
    fireEvent.change(picker, { target: { value: "register:reg-2" } });
    await waitFor(() => expect(screen.getAllByTestId("store-audit-row")).toHaveLength(2));
    expect(screen.getAllByTestId("store-audit-row").map((r) => r.getAttribute("data-seq"))).toEqual(["2", "1"]);
    expect(screen.queryByTestId("audit-table")).toBeNull();

    fireEvent.change(picker, { target: { value: "store" } });
    await waitFor(() => expect(screen.getAllByTestId("store-audit-row")).toHaveLength(3));
    expect(screen.getAllByTestId("store-audit-row").map((r) => `${r.getAttribute("data-register")}#${r.getAttribute("data-seq")}`)).toEqual([
      "reg-2#2",
      "reg-1#1",
      "reg-2#1",
    ]);

    fireEvent.change(picker, { target: { value: "" } });
    expect(await screen.findByTestId("audit-table")).toBeTruthy();
  });

  it("says plainly when the store server cannot be reached", async () => {
    const fake = inAStore();
    fake.storeServer.reachable = false;
    renderAs("Mia", <Audit />, fake);
    fireEvent.change(await screen.findByTestId("audit-scope"), { target: { value: "register:reg-2" } });
    expect(await screen.findByTestId("store-audit-unreachable")).toBeTruthy();
    expect(screen.getByTestId("store-audit-error").getAttribute("data-code")).toBe("store_server_unreachable");
  });

  it("offers no scope on a register in no store", async () => {
    renderAs("Mia", <Audit />);
    expect(await screen.findByTestId("audit-table")).toBeTruthy();
    expect(screen.queryByTestId("audit-scope")).toBeNull();
  });
});
