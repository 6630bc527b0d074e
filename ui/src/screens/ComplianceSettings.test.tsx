/** Settings' deadlines and backups on the fake backend: an audited deadline edit, a refusal, backup settings, back up now, the restore command. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Settings } from "./Settings";

const noop = () => undefined;

describe("Settings: deadlines and backups", () => {
  it("edits a state's deadline; the change is audited and the row is no longer assumed", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Settings onState={noop} />, fake);
    const row = await screen.findByTestId("deadline-CO");
    expect(row.getAttribute("data-assumed")).toBe("true");
    fireEvent.click(within(row).getByTestId("deadline-edit-CO"));
    fireEvent.change(screen.getByTestId("deadline-hours"), { target: { value: "12" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("deadline-save"));
    });
    expect(fake.calls.find((c) => c.command === "set_state_deadline")?.req).toEqual({ state: "CO", hours: 12 });
    expect(fake.audit[0]).toMatchObject({ action: "deadline_changed", subject: "state CO", actor: "Mia" });
    await waitFor(() => expect(screen.getByTestId("deadline-CO").getAttribute("data-assumed")).toBe("false"));
    expect(screen.getByTestId("deadline-CO").textContent).toContain("12");
    expect(screen.getByTestId("deadline-CO").textContent).toContain("Mia");
  });

  it("keeps the editor open with the backend's refusal of an out-of-range deadline", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Settings onState={noop} />, fake);
    fireEvent.click(await screen.findByTestId("deadline-edit-OR"));
    fireEvent.change(screen.getByTestId("deadline-hours"), { target: { value: "0" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("deadline-save"));
    });
    expect((await screen.findByTestId("deadline-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(fake.compliance.deadlines.find((d) => d.state === "OR")?.hours).toBe(24);
  });

  it("saves the backup time and count, takes a backup now and lists it", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Settings onState={noop} />, fake);
    fireEvent.change(await screen.findByTestId("backup-time"), { target: { value: "02:30" } });
    fireEvent.change(screen.getByTestId("backup-keep"), { target: { value: "7" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("backup-settings-save"));
    });
    expect(fake.calls.find((c) => c.command === "set_backup_settings")?.req).toEqual({ daily_at: "02:30", keep: 7, time_zone: null });
    expect(await screen.findByText("Backup settings saved.")).toBeTruthy();
    expect(screen.getAllByTestId("backup-row")).toHaveLength(1);
    await act(async () => {
      fireEvent.click(screen.getByTestId("backup-now"));
    });
    expect((await screen.findByTestId("backup-done")).textContent).toContain("/data/backups/stateline-");
    await waitFor(() => expect(screen.getAllByTestId("backup-row")).toHaveLength(2));
  });

  it("warns when the app's last daily backup failed", async () => {
    const fake = new FakeBackend();
    fake.compliance.backupFailure = "could not create the backup folder /data/backups: No space left on device; check the disk and the folder permissions";
    renderAs("Mia", <Settings onState={noop} />, fake);
    expect((await screen.findByTestId("backup-failure")).textContent).toContain("No space left on device");
  });

  it("shows the CLI command to restore a backup and offers no restore button", async () => {
    renderAs("Mia", <Settings onState={noop} />);
    const restore = await screen.findByTestId("backup-restore");
    expect(screen.getByTestId("backup-restore-command").textContent).toBe('stateline --data-dir "/data" backup restore <FILE> --as <MANAGER>');
    expect(within(restore).queryByRole("button")).toBeNull();
  });

  it("shows a refused backup-settings change without saving it", async () => {
    const fake = new FakeBackend();
    renderAs("Mia", <Settings onState={noop} />, fake);
    fireEvent.change(await screen.findByTestId("backup-time"), { target: { value: "half past two" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("backup-settings-save"));
    });
    expect((await screen.findByTestId("backup-save-error")).getAttribute("data-code")).toBe("invalid_input");
    expect(fake.compliance.backupSettings.daily_at).toBe("03:00");
  });
});
