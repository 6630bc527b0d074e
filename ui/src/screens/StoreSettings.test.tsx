/** Settings › Store server on the fake backend: joining (errors by code, the password cleared), leaving (confirmation, "leave anyway"). */
import { act, fireEvent, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { StoreSettings } from "./StoreSettings";

const value = (id: string) => (screen.getByTestId(id) as HTMLInputElement).value;
const type = (id: string, text: string) => fireEvent.change(screen.getByTestId(id), { target: { value: text } });

async function fillAndJoin(password: string) {
  type("store-host", "10.0.0.5");
  type("store-database", "store");
  type("store-user", "stateline");
  type("store-password", password);
  type("store-register-name", "Register 2");
  await act(async () => {
    fireEvent.submit(screen.getByTestId("store-join-form"));
  });
}

describe("Settings › Store server", () => {
  it("joins with the port 5432 by default and clears the password", async () => {
    const { fake } = renderAs("Mia", <StoreSettings />);
    await screen.findByTestId("store-join-form");
    expect(value("store-port")).toBe("5432");
    await fillAndJoin("store-secret");
    expect((await screen.findByTestId("store-membership")).textContent).toContain("Register 2");
    const sent = fake.calls.find((c) => c.command === "store_join")?.req as Record<string, unknown>;
    expect(sent).toMatchObject({ host: "10.0.0.5", port: 5432, database: "store", user: "stateline", register_name: "Register 2", tls: false, ca_file: null });
    expect(screen.getByTestId("store-tls-state").textContent).toBe("not encrypted");
    expect(fake.audit.some((a) => a.action === "store_membership_changed")).toBe(true);
  });

  it("joins over TLS with the store's CA file, and refuses an unreadable one by its code", async () => {
    const { fake } = renderAs("Mia", <StoreSettings />);
    await screen.findByTestId("store-join-form");
    expect(screen.queryByTestId("store-ca-file")).toBeNull();
    fireEvent.click(screen.getByTestId("store-tls"));
    type("store-ca-file", "/nowhere/ca.pem");
    await fillAndJoin("store-secret");
    expect((await screen.findByTestId("store-join-error")).getAttribute("data-code")).toBe("invalid_store_server");
    type("store-ca-file", "/etc/stateline/store-ca.pem");
    await fillAndJoin("store-secret");
    expect((await screen.findByTestId("store-tls-state")).textContent).toBe("TLS, checked against /etc/stateline/store-ca.pem");
    const sent = fake.calls.filter((c) => c.command === "store_join").at(-1)?.req as Record<string, unknown>;
    expect(sent).toMatchObject({ tls: true, ca_file: "/etc/stateline/store-ca.pem" });
  });

  it("shows a refusal by its code with the message, and the password is cleared", async () => {
    renderAs("Mia", <StoreSettings />);
    await screen.findByTestId("store-join-form");
    await fillAndJoin("wrong");
    const error = await screen.findByTestId("store-join-error");
    expect(error.getAttribute("data-code")).toBe("store_server_login_refused");
    expect(screen.getByTestId("store-join-error-heading").textContent).toMatch(/refused the user or password/);
    expect(error.textContent).toMatch(/check the user and password/);
    expect(value("store-password")).toBe("");
    expect(value("store-host")).toBe("10.0.0.5");
  });

  it("names an unreachable server and an empty field by their codes", async () => {
    const fake = new FakeBackend();
    fake.storeServer.reachable = false;
    renderAs("Mia", <StoreSettings />, fake);
    await screen.findByTestId("store-join-form");
    await fillAndJoin("store-secret");
    expect((await screen.findByTestId("store-join-error")).getAttribute("data-code")).toBe("store_server_unreachable");
    type("store-host", "");
    await act(async () => {
      fireEvent.submit(screen.getByTestId("store-join-form"));
    });
    expect(screen.getByTestId("store-join-error").getAttribute("data-code")).toBe("invalid_store_server");
  });

  it("leaves after a confirmation", async () => {
    const { fake } = renderAs("Mia", <StoreSettings />);
    await screen.findByTestId("store-join-form");
    await fillAndJoin("store-secret");
    fireEvent.click(await screen.findByTestId("store-leave"));
    fireEvent.click(screen.getByTestId("store-leave-dialog-cancel"));
    expect(fake.storeMembership).not.toBeNull();
    fireEvent.click(screen.getByTestId("store-leave"));
    await act(async () => {
      fireEvent.click(screen.getByTestId("store-leave-dialog-confirm"));
    });
    expect(await screen.findByTestId("store-join-form")).toBeTruthy();
    expect(fake.storeMembership).toBeNull();
  });

  it("offers to leave anyway only when records have not reached the store", async () => {
    const { fake } = renderAs("Mia", <StoreSettings />);
    await screen.findByTestId("store-join-form");
    await fillAndJoin("store-secret");
    await screen.findByTestId("store-membership");
    expect(screen.queryByTestId("store-leave-anyway")).toBeNull();
    fake.storeServer.reachable = false;
    fake.storeNotPushed = 4;
    fireEvent.click(screen.getByTestId("store-leave"));
    await act(async () => {
      fireEvent.click(screen.getByTestId("store-leave-dialog-confirm"));
    });
    expect((await screen.findByTestId("store-leave-error")).getAttribute("data-code")).toBe("store_records_not_pushed");
    expect(fake.storeMembership).not.toBeNull();
    await act(async () => {
      fireEvent.click(screen.getByTestId("store-leave-anyway"));
    });
    expect(await screen.findByTestId("store-join-form")).toBeTruthy();
    expect(fake.calls.filter((c) => c.command === "store_leave").map((c) => c.req)).toEqual([{ force: false }, { force: true }]);
  });
});
