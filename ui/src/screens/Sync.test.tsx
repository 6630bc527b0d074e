/** The Sync screen on the fake backend: void with a reason, edit and resend, events, drain progress, history, filters. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend, LICENCE, emptyCounts } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Sync } from "./Sync";

function withRejected() {
  const fake = new FakeBackend();
  const entry = fake.addEntry("rejected", "Bea", { kind: "sale", customer_type: "Consumer", lines: [{ label: "1A4000000000000000000001", quantity: "1", price: "10.00" }] });
  return { fake, entry };
}

describe("Sync", () => {
  it("tells where a user's key is when her records wait for it and another register holds it", async () => {
    const fake = new FakeBackend();
    const waiting = { ...emptyCounts(), waiting_for_key: 2, waiting: 2 };
    fake.status = {
      ...fake.status,
      users: [
        { licence: LICENCE, user: "Bea", counts: waiting, key_problem: null },
        { licence: LICENCE, user: "Cy", counts: waiting, key_problem: null },
      ],
    };
    // 16:12 UTC is 09:12 in Denver (the licence's zone) in November.
    fake.keysElsewhere = [{ user: "bea", register_name: "Register 1", register_seen_at: "2026-11-23T16:12:00Z", last_four: "1234" }];
    renderAs("Mia", <Sync />, fake);
    const bea = await screen.findByTestId(`sync-users-${LICENCE}/Bea`);
    await waitFor(() => expect(bea.textContent).toContain("Bea's key is on Register 1 (last seen 09:12)"));
    expect(bea.textContent).toContain("sent to Metrc from there");
    expect(screen.getByTestId(`sync-users-${LICENCE}/Cy`).textContent).not.toContain("key is on");
  });

  it("voids a record only with a reason, and the reason reaches the backend", async () => {
    const { fake, entry } = withRejected();
    renderAs("Mia", <Sync />, fake);
    fireEvent.click(await screen.findByTestId(`entry-void-${entry.id}`));
    const confirm = screen.getByTestId("void-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("void-reason"), { target: { value: "   " } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("void-reason"), { target: { value: "Customer returned it before it was sent" } });
    expect(confirm.disabled).toBe(false);
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect(fake.calls.find((c) => c.command === "void_entry")?.req).toEqual({ id: entry.id, reason: "Customer returned it before it was sent" });
    await waitFor(() => expect(screen.getByTestId(`entry-row-${entry.id}`).getAttribute("data-state")).toBe("voided"));
    expect(screen.queryByTestId("void-dialog")).toBeNull();
  });

  it("shows the backend's refusal in the void dialog and keeps it open", async () => {
    const { fake, entry } = withRejected();
    renderAs("Mia", <Sync />, fake);
    fireEvent.click(await screen.findByTestId(`entry-void-${entry.id}`));
    fireEvent.change(screen.getByTestId("void-reason"), { target: { value: "duplicate" } });
    fake.failNext("void_entry", { code: "entry_has_dependents", message: "Void the later records on this package first." });
    await act(async () => {
      fireEvent.click(screen.getByTestId("void-dialog-confirm"));
    });
    expect((await screen.findByTestId("void-error")).getAttribute("data-code")).toBe("entry_has_dependents");
    expect(screen.getByTestId("void-dialog")).toBeTruthy();
  });

  it("does not offer void, retry of refused records or edit to a budtender", async () => {
    const { fake, entry } = withRejected();
    renderAs("Bea", <Sync />, fake);
    await screen.findByTestId(`entry-row-${entry.id}`);
    expect(screen.queryByTestId(`entry-void-${entry.id}`)).toBeNull();
    expect(screen.queryByTestId(`entry-retry-${entry.id}`)).toBeNull();
    expect(screen.queryByTestId(`entry-edit-${entry.id}`)).toBeNull();
  });

  it("edits a refused sale's lines and resends it", async () => {
    const { fake, entry } = withRejected();
    renderAs("Mia", <Sync />, fake);
    fireEvent.click(await screen.findByTestId(`entry-edit-${entry.id}`));
    const quantity = await screen.findByTestId("edit-quantity-0");
    fireEvent.change(quantity, { target: { value: "0.5" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("edit-dialog-confirm"));
    });
    expect(fake.calls.find((c) => c.command === "edit_and_resend")?.req).toEqual({
      id: entry.id,
      edit: { kind: "sale_lines", lines: [{ label: "1A4000000000000000000001", quantity: "0.5", price: "10.00" }] },
    });
  });

  it("refetches the records when the backend says they changed (no polling)", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    await screen.findByTestId("sync-entries");
    const entry = fake.addEntry("pending", "Bea");
    expect(screen.queryByTestId(`entry-row-${entry.id}`)).toBeNull();
    act(() => fake.emit("records_changed", { licence: null }));
    expect(await screen.findByTestId(`entry-row-${entry.id}`)).toBeTruthy();
  });

  it("shows drain progress from the status and the per-user counts", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    await screen.findByTestId("sync-entries");
    expect(screen.queryByTestId("sync-progress")).toBeNull();
    act(() =>
      fake.emit("status_changed", {
        ...fake.status,
        waiting: 30,
        drain: { total: 120, remaining: 30 },
        users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 30, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 0, waiting: 30 }, key_problem: null }],
      }),
    );
    expect((await screen.findByTestId("sync-progress")).textContent).toContain("90 of 120 sent");
    expect(screen.getByTestId("sync-users-403R-00001/Bea").textContent).toContain("30");
    expect(screen.getByTestId("backlog-chart").querySelector("path")).not.toBeNull();
  });

  it("shows a record's history", async () => {
    const { fake, entry } = withRejected();
    fake.attempts.set(entry.id, [{ at: "2026-11-23T14:00:00Z", outcome: "rejected", http_status: 400, message: "Package is not active." }]);
    renderAs("Mia", <Sync />, fake);
    fireEvent.click(await screen.findByTestId(`entry-history-${entry.id}`));
    expect((await screen.findByTestId(`entry-attempts-${entry.id}`)).textContent).toContain("HTTP 400");
  });

  it("shows one user's records when their row is picked", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    await screen.findByTestId("sync-entries");
    act(() =>
      fake.emit("status_changed", {
        ...fake.status,
        users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 1, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 0, waiting: 1 }, key_problem: null }],
      }),
    );
    const button = await screen.findByTestId("sync-users-pick-403R-00001/Bea");
    await act(async () => {
      fireEvent.click(button);
    });
    expect(fake.calls.filter((c) => c.command === "list_entries").at(-1)?.req).toMatchObject({ licence: "403R-00001", user: "Bea" });
    await act(async () => {
      fireEvent.click(screen.getByTestId("sync-show-all"));
    });
    expect(fake.calls.filter((c) => c.command === "list_entries").at(-1)?.req).toMatchObject({ licence: null, user: null });
  });
});
