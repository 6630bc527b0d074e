/** Login through the whole App on the fake backend: keypad and keyboard PINs, lockout, and the key prompt. */
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { FakeBackend } from "../testing/fakeBackend";

async function pickUser(name: string) {
  fireEvent.click(await screen.findByTestId(`login-user-${name}`));
  return screen.getByTestId("pin-input") as HTMLInputElement;
}

async function typePin(pin: string) {
  const field = screen.getByTestId("pin-input");
  fireEvent.change(field, { target: { value: pin } });
  await act(async () => {
    fireEvent.submit(field.closest("form")!);
  });
}

describe("Login", () => {
  it("logs a user in with the keypad and opens the register", async () => {
    const fake = new FakeBackend();
    render(<App backend={fake} />);
    const field = await pickUser("Mia");
    expect(document.activeElement).toBe(field);
    for (const d of "9999") fireEvent.click(screen.getByTestId(`keypad-${d}`));
    expect(field.value).toBe("9999");
    await act(async () => {
      fireEvent.click(screen.getByTestId("keypad-enter"));
    });
    expect(await screen.findByTestId("session-user")).toHaveProperty("textContent", "Mia (manager)");
    expect(fake.calls.find((c) => c.command === "login")?.req).toEqual({ name: "Mia", pin: "9999" });
  });

  it("explains a wrong PIN in the backend's words, then locks after five and says to ask a manager", async () => {
    const fake = new FakeBackend();
    render(<App backend={fake} />);
    await pickUser("Bea");
    await typePin("0000");
    const error = await screen.findByTestId("login-error");
    expect(error.getAttribute("data-code")).toBe("wrong_pin");
    expect(error.textContent).toContain("4 tries left");
    expect((screen.getByTestId("pin-input") as HTMLInputElement).value).toBe("");
    for (let i = 0; i < 4; i++) await typePin("0000");
    const locked = await screen.findByTestId("login-locked");
    expect(locked.textContent).toContain("Ask a manager");
    expect((screen.getByTestId("pin-input") as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByTestId("keypad-enter") as HTMLButtonElement).disabled).toBe(true);
    expect(fake.users.find((u) => u.name === "Bea")?.locked).toBe(true);
  });

  it("shows a locked user as locked before any PIN is tried", async () => {
    const fake = new FakeBackend();
    fake.users.find((u) => u.name === "Bea")!.locked = true;
    render(<App backend={fake} />);
    expect((await screen.findByTestId("login-user-Bea")).textContent).toContain("locked");
    await pickUser("Bea");
    expect(screen.getByTestId("login-locked")).toBeTruthy();
  });

  it("asks a user without a working key for one, validates it, clears the field and shows the matrix", async () => {
    const fake = new FakeBackend();
    render(<App backend={fake} />);
    await pickUser("Bea");
    await typePin("1234");
    const prompt = await screen.findByTestId("key-prompt");
    const input = within(prompt).getByTestId("key-input") as HTMLInputElement;
    expect(input.type).toBe("password");
    fireEvent.change(input, { target: { value: "demo-budtender-key-1111" } });
    await act(async () => {
      fireEvent.click(within(prompt).getByTestId("key-save"));
    });
    expect(input.value).toBe("");
    const verdict = await screen.findByTestId("matrix-verdict");
    expect(verdict.getAttribute("data-verdict")).toBe("all_good");
    expect(screen.getByTestId("matrix-table").querySelectorAll("tbody tr")).toHaveLength(1);
    expect(document.body.textContent).not.toContain("demo-budtender-key");
    expect(fake.calls.find((c) => c.command === "set_key")?.req).toEqual({ owner: { kind: "user", user: "Bea" }, key: "demo-budtender-key-1111" });
    fireEvent.click(screen.getByTestId("key-prompt-continue"));
    expect(await screen.findByTestId("screen-sell")).toBeTruthy();
  });

  it("shows Metrc's refusal of a key by its code, keeps nothing, and lets the user go on without one", async () => {
    const fake = new FakeBackend();
    render(<App backend={fake} />);
    await pickUser("Bea");
    await typePin("1234");
    const input = (await screen.findByTestId("key-input")) as HTMLInputElement;
    fireEvent.change(input, { target: { value: "bad-key-00000000" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("key-save"));
    });
    expect((await screen.findByTestId("key-error")).getAttribute("data-code")).toBe("key_refused");
    expect(input.value).toBe("");
    expect(fake.keys.has("user:Bea")).toBe(false);
    expect(screen.getByTestId("key-prompt-continue").textContent).toBe("Continue without a key");
    fireEvent.click(screen.getByTestId("key-prompt-continue"));
    expect(await screen.findByTestId("screen-sell")).toBeTruthy();
  });
});
