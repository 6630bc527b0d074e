/** The first-run wizard through the whole App on the fake backend: demo, sandbox, and resuming an interrupted setup. */
import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { FakeBackend } from "../testing/fakeBackend";

async function click(testId: string) {
  await act(async () => {
    fireEvent.click(screen.getByTestId(testId));
  });
}

function type(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

async function createManager() {
  expect(await screen.findByTestId("wizard-step-manager")).toBeTruthy();
  type("wizard-manager-name", "Mia");
  type("wizard-manager-pin", "2468");
  type("wizard-manager-pin-again", "2468");
  await click("wizard-next");
}

describe("first-run wizard", () => {
  it("demo: creates the manager and opens the register logged in, with the demo panel", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await createManager();
    expect(await screen.findByTestId("wizard-step-environment")).toBeTruthy();
    await click("wizard-finish");
    expect((await screen.findByTestId("session-user")).textContent).toBe("Mia (manager)");
    expect(screen.getByTestId("nav-demo")).toBeTruthy();
    expect(fake.users.map((u) => u.name)).toEqual(["Mia", "Bea"]);
    expect(fake.calls.find((c) => c.command === "create_first_manager")?.req).toEqual({ name: "Mia", pin: "2468" });
    expect(document.body.innerHTML).not.toContain("2468");
  });

  it("sandbox: environment and state, vendor key, own key with matrix, licences with time zones, then the register", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await createManager();
    await screen.findByTestId("wizard-step-environment");
    fireEvent.change(screen.getByTestId("wizard-environment"), { target: { value: "sandbox" } });
    type("wizard-state", "co");
    await click("wizard-next");
    expect(fake.calls.find((c) => c.command === "choose_environment")?.req).toEqual({ environment: "sandbox", state_code: "CO" });

    expect(await screen.findByTestId("wizard-step-vendor")).toBeTruthy();
    type("wizard-vendor-key", "vendor-secret-123456");
    await click("wizard-next");

    expect(await screen.findByTestId("wizard-step-key")).toBeTruthy();
    const key = screen.getByTestId("wizard-key-input") as HTMLInputElement;
    fireEvent.change(key, { target: { value: "manager-secret-key-ABCD" } });
    await click("wizard-key-save");
    expect(key.value).toBe("");
    expect((await screen.findByTestId("matrix-verdict")).getAttribute("data-verdict")).toBe("all_good");
    expect(fake.calls.find((c) => c.command === "discover_licences")?.req).toEqual({ key: "manager-secret-key-ABCD" });
    expect(document.body.innerHTML).not.toContain("manager-secret");
    await click("wizard-next");

    expect(await screen.findByTestId("wizard-step-licences")).toBeTruthy();
    const retail = screen.getByTestId("wizard-licence-402R-00042") as HTMLInputElement;
    const grow = screen.getByTestId("wizard-licence-403-X0001") as HTMLInputElement;
    expect(retail.checked).toBe(true);
    expect(grow.checked).toBe(false);
    expect((screen.getByTestId("wizard-timezone-402R-00042") as HTMLInputElement).value).toBe("America/Denver");
    type("wizard-deadline-402R-00042", "48");
    await click("wizard-finish");

    expect(fake.calls.find((c) => c.command === "bind_licences")?.req).toEqual({
      licences: [
        {
          number: "402R-00042",
          name: "Main Street Dispensary",
          time_zone: "America/Denver",
          reporting_deadline_hours: 48,
          object_limit: null,
          requires_patient_number: false,
          requires_caregiver_number: false,
        },
      ],
    });
    expect(await screen.findByTestId("session-user")).toBeTruthy();
    expect(screen.queryByTestId("key-prompt")).toBeNull();
    expect(screen.queryByTestId("nav-demo")).toBeNull();
    expect(document.body.innerHTML).not.toContain("vendor-secret");
  });

  it("will not go on while the two PINs differ", async () => {
    render(<App backend={new FakeBackend({ firstRun: true })} />);
    await screen.findByTestId("wizard-step-manager");
    type("wizard-manager-name", "Mia");
    type("wizard-manager-pin", "2468");
    type("wizard-manager-pin-again", "2469");
    expect((screen.getByTestId("wizard-next") as HTMLButtonElement).disabled).toBe(true);
  });

  it("resumes an interrupted setup after the manager logs in, at the first step not done", async () => {
    const fake = new FakeBackend({ firstRun: true, demo: false });
    fake.users = [{ name: "Mia", role: "manager", pin: "2468", failed: 0, locked: false }];
    fake.stateCode = "CO";
    fake.vendorKeySet = true;
    render(<App backend={fake} />);
    fireEvent.click(await screen.findByTestId("login-user-Mia"));
    fireEvent.change(screen.getByTestId("pin-input"), { target: { value: "2468" } });
    await act(async () => {
      fireEvent.submit(screen.getByTestId("pin-input").closest("form")!);
    });
    expect(await screen.findByTestId("wizard-step-key")).toBeTruthy();
  });

  it("moves on when the manager was created although the command reported a problem", async () => {
    const fake = new FakeBackend({ firstRun: true });
    const create = fake.createFirstManager;
    fake.createFirstManager = async (req) => {
      await create(req);
      throw { code: "keychain_unavailable", message: "No keychain service is running: start gnome-keyring and try again." };
    };
    render(<App backend={fake} />);
    await createManager();
    expect(await screen.findByTestId("wizard-step-environment")).toBeTruthy();
    expect(screen.getByTestId("wizard-error").getAttribute("data-code")).toBe("keychain_unavailable");
  });
});
