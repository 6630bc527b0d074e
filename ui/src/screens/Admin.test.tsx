/** Manager screens on the fake backend: users, audit, settings, and the demo panel. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Audit } from "./Audit";
import { Demo } from "./Demo";
import { Settings } from "./Settings";
import { Users } from "./Users";

describe("Users", () => {
  it("adds a user, empties the PIN field and shows a name clash by its code", async () => {
    const { fake } = renderAs("Mia", <Users />);
    await screen.findByTestId("user-row-Bea");
    fireEvent.change(screen.getByTestId("add-user-name"), { target: { value: "Cal" } });
    fireEvent.change(screen.getByTestId("add-user-pin"), { target: { value: "5555" } });
    await act(async () => {
      fireEvent.submit(screen.getByTestId("add-user-form"));
    });
    expect(await screen.findByTestId("user-row-Cal")).toBeTruthy();
    expect((screen.getByTestId("add-user-pin") as HTMLInputElement).value).toBe("");
    expect(fake.users.some((u) => u.name === "Cal" && u.role === "budtender")).toBe(true);
    fireEvent.change(screen.getByTestId("add-user-name"), { target: { value: "bea" } });
    fireEvent.change(screen.getByTestId("add-user-pin"), { target: { value: "5555" } });
    await act(async () => {
      fireEvent.submit(screen.getByTestId("add-user-form"));
    });
    expect((await screen.findByTestId("add-user-error")).getAttribute("data-code")).toBe("user_exists");
  });

  it("resets a locked user's PIN, which unlocks them", async () => {
    const fake = new FakeBackend();
    fake.users.find((u) => u.name === "Bea")!.locked = true;
    renderAs("Mia", <Users />, fake);
    expect((await screen.findByTestId("user-row-Bea")).textContent).toContain("locked");
    fireEvent.click(screen.getByTestId("user-reset-Bea"));
    fireEvent.change(screen.getByTestId("reset-pin-input"), { target: { value: "4321" } });
    await act(async () => {
      fireEvent.submit(screen.getByTestId("reset-pin-form"));
    });
    await waitFor(() => expect(screen.getByTestId("user-row-Bea").textContent).toContain("active"));
    expect(fake.users.find((u) => u.name === "Bea")?.pin).toBe("4321");
  });
});

describe("Audit", () => {
  it("lists entries newest first and refetches when one is appended", async () => {
    const { fake } = renderAs("Mia", <Audit />);
    await screen.findByTestId("audit-table");
    expect(screen.queryAllByTestId("audit-row")).toHaveLength(0);
    const entry = fake.addEntry("rejected", "Bea");
    await act(async () => {
      await fake.voidEntry({ id: entry.id, reason: "double scan" });
    });
    const rows = await screen.findAllByTestId("audit-row");
    expect(rows[0]?.getAttribute("data-action")).toBe("entry_voided");
    expect(rows[0]?.textContent).toContain("double scan");
  });
});

describe("Settings", () => {
  it("saves the register settings in one command and the vendor key write-only", async () => {
    const { fake } = renderAs("Mia", <Settings onState={vi.fn()} />);
    fireEvent.change(await screen.findByTestId("settings-object-limit"), { target: { value: "25" } });
    await act(async () => {
      fireEvent.submit(screen.getByTestId("settings-form"));
    });
    expect(await screen.findByTestId("settings-saved")).toBeTruthy();
    expect(fake.settings.object_limit).toBe(25);
    const vendor = screen.getByTestId("settings-vendor-key") as HTMLInputElement;
    fireEvent.change(vendor, { target: { value: "vendor-key-XYZ12345" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("settings-vendor-key-save"));
    });
    expect(vendor.value).toBe("");
    expect(fake.vendorKeySet).toBe(true);
    expect(document.body.innerHTML).not.toContain("vendor-key-XYZ");
  });
});

describe("Demo panel", () => {
  it("switches a fault on and revokes one user's key", async () => {
    const { fake } = renderAs("Bea", <Demo />);
    const outage = (await screen.findByTestId("demo-outage")) as HTMLInputElement;
    expect(outage.checked).toBe(false);
    await act(async () => {
      fireEvent.click(outage);
    });
    await waitFor(() => expect((screen.getByTestId("demo-outage") as HTMLInputElement).checked).toBe(true));
    const button = await screen.findByTestId("demo-revoke_key-Bea");
    await act(async () => {
      fireEvent.click(button);
    });
    expect(fake.calls.filter((c) => c.command === "set_demo_fault").map((c) => c.req)).toEqual([
      { fault: "outage", on: true, user: null },
      { fault: "revoke_key", on: true, user: "Bea" },
    ]);
    await waitFor(() => expect((screen.getByTestId("demo-revoke_key-Bea") as HTMLInputElement).checked).toBe(true));
  });
});
