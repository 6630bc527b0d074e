/** Reconciliation on the Sync screen with the fake backend: the daily run, a run for a chosen day, a manager's confirmed fix, refusals. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { facilityDay } from "./days";
import { Sync } from "./Sync";

describe("Reconciliation", () => {
  it("shows the last daily run with each difference's kind, values and suggested fix", async () => {
    renderAs("Mia", <Sync />);
    const report = await screen.findByTestId("reconcile-report");
    expect(report.textContent).toContain("Daily run for 2026-11-22");
    const rows = within(report).getAllByTestId("reconcile-difference");
    expect(rows.map((r) => r.getAttribute("data-kind"))).toEqual(["missing_in_metrc", "duplicate_external_number"]);
    expect(rows[1]!.textContent).toContain("receipt 901");
    expect(rows[1]!.textContent).toContain("receipt 902");
    expect(rows[1]!.textContent).toContain("void the duplicate receipt");
    expect(within(rows[0]!).getByTestId("reconcile-fix-resend_sale")).toBeTruthy();
    expect(within(rows[0]!).queryByTestId("reconcile-fix-void_in_metrc")).toBeNull();
    expect((await screen.findByTestId("reconcile-daily-check")).textContent).toContain("the run for 2026-11-22 ran");
  });

  it("runs a chosen day and shows what it found", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    const day = (await screen.findByTestId("reconcile-day")) as HTMLInputElement;
    expect(day.value).toBe(facilityDay("America/Denver", 1));
    fireEvent.change(day, { target: { value: "2026-11-21" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("reconcile-run"));
    });
    expect(fake.calls.find((c) => c.command === "reconcile_day")?.req).toEqual({ licence: "403R-00001", day: "2026-11-21" });
    await waitFor(() => expect(screen.getByTestId("reconcile-report").textContent).toContain("Run for 2026-11-21"));
    expect(screen.getByTestId("reconcile-summary").textContent).toContain("1 sales still on their way");
    const row = screen.getByTestId("reconcile-difference");
    expect(row.getAttribute("data-kind")).toBe("quantity_differs");
    expect(row.textContent).toContain("1A4000000000000000000001");
  });

  it("applies a fix only after the manager confirms it, with the note, and shows who resolved it", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    const report = await screen.findByTestId("reconcile-report");
    const duplicate = within(report).getAllByTestId("reconcile-difference")[1]!;
    fireEvent.click(within(duplicate).getByTestId("reconcile-fix-void_in_metrc"));
    const dialog = screen.getByTestId("fix-dialog");
    expect(dialog.textContent).toContain("This voids receipt 902 in Metrc");
    expect(fake.calls.some((c) => c.command === "resolve_difference")).toBe(false);
    fireEvent.click(screen.getByTestId("fix-dialog-cancel"));
    expect(fake.calls.some((c) => c.command === "resolve_difference")).toBe(false);

    fireEvent.click(within(duplicate).getByTestId("reconcile-fix-void_in_metrc"));
    fireEvent.change(screen.getByTestId("fix-note"), { target: { value: "Sent twice by the old register" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("fix-dialog-confirm"));
    });
    expect(fake.calls.find((c) => c.command === "resolve_difference")?.req).toEqual({ id: 2, fix: "void_in_metrc", note: "Sent twice by the old register" });
    expect(fake.audit[0]).toMatchObject({ action: "reconciliation_action", actor: "Mia" });
    await waitFor(() => {
      const resolved = screen.getAllByTestId("reconcile-difference")[1]!;
      expect(within(resolved).getByTestId("reconcile-resolved").textContent).toContain("Void the receipt in Metrc by Mia: Sent twice by the old register");
    });
    expect(screen.queryByTestId("fix-dialog")).toBeNull();
  });

  it("keeps the dialog open with the backend's refusal", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Sync />, fake);
    const first = (await screen.findAllByTestId("reconcile-difference"))[0]!;
    fireEvent.click(within(first).getByTestId("reconcile-fix-resend_sale"));
    fake.failNext("resolve_difference", { code: "metrc_unreachable", message: "Metrc cannot be reached. Try again when it is." });
    await act(async () => {
      fireEvent.click(screen.getByTestId("fix-dialog-confirm"));
    });
    expect((await screen.findByTestId("fix-error")).getAttribute("data-code")).toBe("metrc_unreachable");
    expect(screen.getByTestId("fix-dialog")).toBeTruthy();
  });

  it("refetches when records change (a daily run finished) without polling", async () => {
    const fake = new FakeBackend();
    fake.compliance.runs = [];
    fake.compliance.dailyChecks = [];
    renderAs("Mia", <Sync />, fake);
    await screen.findByText(/No daily run yet/);
    fake.compliance.runs = [(await import("../testing/fakeCompliance")).sampleDailyRun()];
    act(() => fake.emit("records_changed", { licence: "403R-00001" }));
    expect((await screen.findByTestId("reconcile-report")).textContent).toContain("Daily run for 2026-11-22");
  });

  it("is not shown to a budtender", async () => {
    const fake = new FakeBackend();
    renderAs("Bea", <Sync />, fake);
    await screen.findByTestId("sync-entries");
    expect(screen.queryByTestId("reconciliation")).toBeNull();
    expect(fake.calls.some((c) => c.command === "reconciliation_overview")).toBe(false);
    await expect(fake.reconcileDay({ licence: null, day: "2026-11-22" })).rejects.toMatchObject({ code: "not_allowed" });
  });
});
