/**
 * The first-run wizard through the whole App on the fake backend: demo, sandbox, resuming an
 * interrupted setup, and the optional store server step (on its own, joining, a refused login).
 */
import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { FakeBackend } from "../testing/fakeBackend";
import { JOINED_PAUSE_MS } from "./WizardStoreStep";

async function click(testId: string) {
  await act(async () => {
    fireEvent.click(screen.getByTestId(testId));
  });
}

function type(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

/** A sandbox setup up to the store server step: manager, Metrc, vendor key, own key, one licence. */
async function throughLicences() {
  await createManager();
  await screen.findByTestId("wizard-step-environment");
  fireEvent.change(screen.getByTestId("wizard-environment"), { target: { value: "sandbox" } });
  type("wizard-state", "CO");
  await click("wizard-next");
  await screen.findByTestId("wizard-step-vendor");
  type("wizard-vendor-key", "vendor-secret-123456");
  await click("wizard-next");
  await screen.findByTestId("wizard-step-key");
  type("wizard-key-input", "manager-secret-key-ABCD");
  await click("wizard-key-save");
  await screen.findByTestId("matrix-verdict");
  await click("wizard-next");
  await screen.findByTestId("wizard-step-licences");
  await click("wizard-next");
  return screen.findByTestId("wizard-step-store");
}

async function joinStore(password: string) {
  await click("wizard-store-join");
  type("store-host", "10.0.0.5");
  type("store-port", "5433");
  type("store-database", "store");
  type("store-user", "stateline");
  type("store-password", password);
  type("store-register-name", "Register 2");
  await act(async () => {
    fireEvent.submit(screen.getByTestId("store-join-form"));
  });
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
    await click("wizard-next");

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
          requires_identification_method: false,
          sells_to_consumers: true,
        },
      ],
    });
    expect(await screen.findByTestId("wizard-step-store")).toBeTruthy();
    await click("wizard-finish");
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

describe("first-run wizard: the store server step", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("comes after the licences, with working on its own chosen", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await throughLicences();
    expect(screen.getByTestId("wizard").getAttribute("data-step")).toBe("store");
    expect(document.querySelector('.steps [aria-current="step"]')?.textContent).toBe("Store server");
    expect((screen.getByTestId("wizard-store-alone") as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId("wizard-store-join") as HTMLInputElement).checked).toBe(false);
    expect(screen.queryByTestId("store-join-form")).toBeNull();
    expect(fake.calls.some((c) => c.command === "bind_licences")).toBe(true);
  });

  it("on its own: one click opens the register without asking the store server", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await throughLicences();
    await click("wizard-finish");
    expect(await screen.findByTestId("session-user")).toBeTruthy();
    expect(screen.queryByTestId("wizard")).toBeNull();
    expect(fake.calls.some((c) => c.command === "store_join")).toBe(false);
    expect(fake.storeMembership).toBeNull();
  });

  it("joins with what was typed, shows the store and its registers, then opens the register", async () => {
    const fake = new FakeBackend({ firstRun: true });
    const passwords: string[] = [];
    const join = fake.storeJoin;
    fake.storeJoin = (req) => {
      passwords.push(req.password);
      return join(req);
    };
    render(<App backend={fake} />);
    await throughLicences();
    await click("wizard-store-join");
    expect((screen.getByTestId("store-port") as HTMLInputElement).value).toBe("5432");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await joinStore("store-secret");
    expect(fake.calls.filter((c) => c.command === "store_join").map((c) => c.req)).toEqual([
      { host: "10.0.0.5", port: 5433, database: "store", user: "stateline", password: "(hidden)", register_name: "Register 2", tls: false, ca_file: null },
    ]);
    expect(passwords).toEqual(["store-secret"]);
    expect((screen.getByTestId("wizard-step-store") as HTMLElement).getAttribute("data-joined")).toBe("true");
    expect(fake.storeMembership).toMatchObject({ host: "10.0.0.5", port: 5433, database: "store", user: "stateline", register_name: "Register 2" });
    expect(screen.getByTestId("wizard-store-joined").textContent).toContain("Register 2");
    expect(screen.getByTestId("wizard-store-joined").textContent).toContain("10.0.0.5:5433");
    expect(screen.getByTestId("wizard-store-registers").textContent).toContain("Register 2 (this register)");
    expect(document.body.innerHTML).not.toContain("store-secret");
    await act(async () => {
      vi.advanceTimersByTime(JOINED_PAUSE_MS);
    });
    vi.useRealTimers();
    expect(await screen.findByTestId("session-user")).toBeTruthy();
    expect(screen.queryByTestId("wizard")).toBeNull();
  });

  it("opens the register at once with Start Stateline after a join", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await throughLicences();
    await joinStore("store-secret");
    expect(await screen.findByTestId("wizard-store-joined")).toBeTruthy();
    await click("wizard-finish");
    expect(await screen.findByTestId("session-user")).toBeTruthy();
  });

  it("a refused login keeps the step, with the message under its heading and the password cleared", async () => {
    const fake = new FakeBackend({ firstRun: true });
    render(<App backend={fake} />);
    await throughLicences();
    await joinStore("wrong-password");
    const error = await screen.findByTestId("store-join-error");
    expect(error.getAttribute("data-code")).toBe("store_server_login_refused");
    expect(screen.getByTestId("store-join-error-heading").textContent).toMatch(/refused the user or password/);
    expect(error.textContent).toMatch(/check the user and password/);
    expect(screen.getByTestId("wizard").getAttribute("data-step")).toBe("store");
    expect(screen.queryByTestId("wizard-store-joined")).toBeNull();
    expect((screen.getByTestId("store-password") as HTMLInputElement).value).toBe("");
    expect((screen.getByTestId("store-password") as HTMLInputElement).type).toBe("password");
    expect((screen.getByTestId("store-host") as HTMLInputElement).value).toBe("10.0.0.5");
    expect(document.body.innerHTML).not.toContain("wrong-password");
    expect(fake.storeMembership).toBeNull();
    expect(screen.queryByTestId("session-user")).toBeNull();

    type("store-password", "store-secret");
    await act(async () => {
      fireEvent.submit(screen.getByTestId("store-join-form"));
    });
    expect(await screen.findByTestId("wizard-store-joined")).toBeTruthy();
    expect(screen.queryByTestId("store-join-error")).toBeNull();
  });
});
