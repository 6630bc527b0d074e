/** The Audit screen's reports on the fake backend: verifying the chain, the outage report as a saved CSV and as a printable page. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Audit } from "./Audit";
import { facilityDay } from "./days";

describe("Audit reports", () => {
  it("verifies the audit log: intact with the entry count and head hash, then the first broken entry", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Audit />, fake);
    const verify = await screen.findByTestId("audit-verify-run");
    await act(async () => {
      fireEvent.click(verify);
    });
    const intact = await screen.findByTestId("audit-verify-intact");
    expect(intact.textContent).toContain(`${fake.audit.length} entries checked`);
    expect(screen.getByTestId("audit-head-hash").textContent).toBe("ab".repeat(32));

    fake.compliance.verification = { result: "broken", seq: 7, reason: "entry 7's content does not match its hash: it was edited" };
    await act(async () => {
      fireEvent.click(screen.getByTestId("audit-verify-run"));
    });
    const broken = await screen.findByTestId("audit-verify-broken");
    expect(broken.textContent).toContain("Broken at entry #7");
    expect(broken.textContent).toContain("it was edited");
    expect(screen.queryByTestId("audit-verify-intact")).toBeNull();
  });

  it("forgets a verification result when an entry is appended after it", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Audit />, fake);
    const verify = await screen.findByTestId("audit-verify-run");
    await act(async () => {
      fireEvent.click(verify);
    });
    await screen.findByTestId("audit-verify-intact");
    act(() => fake.emit("audit_appended", { action: "key_set" }));
    expect(screen.queryByTestId("audit-verify-intact")).toBeNull();
  });

  it("saves the outage report for the chosen days as CSV and shows where", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Audit />, fake);
    const from = (await screen.findByTestId("outage-from")) as HTMLInputElement;
    expect(from.value).toBe(facilityDay("America/Denver", 6));
    fireEvent.change(from, { target: { value: "2026-11-20" } });
    fireEvent.change(screen.getByTestId("outage-to"), { target: { value: "2026-11-22" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("outage-csv"));
    });
    expect(fake.calls.find((c) => c.command === "export_outage_csv")?.req).toEqual({ from: "2026-11-20", to: "2026-11-22", licence: null });
    expect((await screen.findByTestId("outage-saved")).textContent).toContain("Saved 2 records");
    expect(screen.getByTestId("outage-path").textContent).toBe("/data/exports/outage-20261123T140000Z.csv");
  });

  it("shows a period that ends before it starts as the backend's refusal", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Audit />, fake);
    fireEvent.change(await screen.findByTestId("outage-from"), { target: { value: "2026-11-22" } });
    fireEvent.change(screen.getByTestId("outage-to"), { target: { value: "2026-11-20" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("outage-csv"));
    });
    expect((await screen.findByTestId("outage-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(screen.queryByTestId("outage-saved")).toBeNull();
  });

  it("shows the printable page in a sandboxed frame without scripts and prints it", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Audit />, fake);
    const showPage = await screen.findByTestId("outage-page");
    await act(async () => {
      fireEvent.click(showPage);
    });
    const frame = (await screen.findByTestId("outage-frame")) as HTMLIFrameElement;
    expect(frame.getAttribute("srcdoc")).toContain("<td>SL-3</td>");
    const sandbox = frame.getAttribute("sandbox") ?? "";
    expect(sandbox).not.toContain("allow-scripts");
    expect(screen.getByTestId("outage-preview").getAttribute("data-rows")).toBe("2");
    const print = vi.fn();
    await waitFor(() => expect(frame.contentWindow).not.toBeNull());
    Object.defineProperty(frame.contentWindow, "print", { value: print, configurable: true });
    fireEvent.click(screen.getByTestId("outage-print"));
    expect(print).toHaveBeenCalledTimes(1);
    fireEvent.click(screen.getByTestId("outage-close"));
    expect(screen.queryByTestId("outage-frame")).toBeNull();
  });
});
