/** Keys on the fake backend: write-only key fields, last four only, mode switch and the facility override. */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../testing/fakeBackend";
import { renderAs } from "../testing/render";
import { Keys } from "./Keys";

const SECRET = "c0ffee-secret-metrc-key-8A7Z";

async function save(input: HTMLElement, button: HTMLElement, key: string) {
  fireEvent.change(input, { target: { value: key } });
  await act(async () => {
    fireEvent.click(button);
  });
}

describe("Keys", () => {
  it("saves my key, empties the field, and shows no more than the last four anywhere", async () => {
    const { fake, container } = renderAs("Bea", <Keys onState={vi.fn()} />);
    const input = (await screen.findByTestId("key-input")) as HTMLInputElement;
    expect(input.type).toBe("password");
    await save(input, screen.getByTestId("key-save"), SECRET);
    expect(input.value).toBe("");
    await waitFor(() => expect(screen.getByTestId("my-key-status").getAttribute("data-last-four")).toBe("8A7Z"));
    expect(screen.getByTestId("my-key-status").textContent).toContain("••••8A7Z");
    expect(await screen.findByTestId("matrix-verdict")).toBeTruthy();
    expect(screen.getByTestId("key-released").textContent).toContain("2 waiting records");
    const everything = container.innerHTML;
    for (let n = 5; n <= SECRET.length; n++) expect(everything).not.toContain(SECRET.slice(-n));
    expect(fake.calls.find((c) => c.command === "set_key")?.req).toEqual({ owner: { kind: "user", user: "Bea" }, key: SECRET });
  });

  it("claims nothing about a saved key until the key list has loaded", async () => {
    const fake = new FakeBackend();
    let arrive: () => void = () => {};
    const loaded = fake.keyOverview;
    fake.keyOverview = () => new Promise((resolve) => (arrive = () => resolve(loaded()))) as ReturnType<typeof loaded>;
    renderAs("Mia", <Keys onState={vi.fn()} />, fake);
    const status = await screen.findByTestId("my-key-status");
    expect(status.getAttribute("data-state")).toBe("loading");
    expect(status.textContent).not.toContain("no key");
    await act(async () => arrive());
    await waitFor(() => expect(screen.getByTestId("my-key-status").getAttribute("data-state")).toBe("loaded"));
  });

  it("tests and clears my key", async () => {
    const { fake } = renderAs("Mia", <Keys onState={vi.fn()} />);
    const mine = await screen.findByTestId("my-key");
    await act(async () => {
      fireEvent.click(within(mine).getByTestId("key-validate"));
    });
    expect((await within(mine).findByTestId("matrix-verdict")).getAttribute("data-verdict")).toBe("all_good");
    fireEvent.click(within(mine).getByTestId("key-clear"));
    await act(async () => {
      fireEvent.click(screen.getByTestId("key-clear-dialog-confirm"));
    });
    await waitFor(() => expect(within(mine).getByTestId("my-key-status").textContent).toContain("no key"));
    expect(fake.keys.has("user:Mia")).toBe(false);
  });

  it("shows a budtender only their own key, and a manager everyone's, the facility key and the mode", async () => {
    const first = renderAs("Bea", <Keys onState={vi.fn()} />);
    await screen.findByTestId("my-key");
    expect(screen.queryByTestId("user-keys")).toBeNull();
    expect(screen.queryByTestId("key-mode")).toBeNull();
    first.unmount();
    renderAs("Mia", <Keys onState={vi.fn()} />);
    expect(await screen.findByTestId("user-key-row-Bea")).toBeTruthy();
    expect(screen.getByTestId("user-key-row-facility")).toBeTruthy();
    expect(screen.getByTestId("key-mode").getAttribute("data-mode")).toBe("individual");
  });

  it("lets a manager set a user's key with the field emptied after saving", async () => {
    const { fake } = renderAs("Mia", <Keys onState={vi.fn()} />);
    fireEvent.click(await screen.findByTestId("user-key-set-Bea"));
    const input = screen.getByTestId("user-key-input") as HTMLInputElement;
    await save(input, screen.getByTestId("user-key-save"), "another-secret-key-QQ11");
    expect(input.value).toBe("");
    await waitFor(() => expect(screen.getByTestId("user-key-last-four-Bea").textContent).toBe("••••QQ11"));
    expect(fake.keys.get("user:Bea")?.lastFour).toBe("QQ11");
  });

  it("switches the key mode only after confirmation and hands the new app state up", async () => {
    const onState = vi.fn();
    const { fake } = renderAs("Mia", <Keys onState={onState} />);
    fireEvent.click(await screen.findByTestId("key-mode-facility"));
    expect(fake.keyMode).toBe("individual");
    await act(async () => {
      fireEvent.click(screen.getByTestId("key-mode-dialog-confirm"));
    });
    expect(fake.keyMode).toBe("facility");
    expect(onState).toHaveBeenCalledWith(expect.objectContaining({ key_mode: "facility" }));
  });

  it("sends a user's waiting records under the facility key only with a reason and after confirmation", async () => {
    const { fake } = renderAs("Mia", <Keys onState={vi.fn()} />);
    fake.addEntry("waiting_for_key", "Bea");
    fake.status = { ...fake.status, health: "key_problem", users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 0, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 1, waiting: 1 }, key_problem: "Metrc refused Bea's key." }] };
    act(() => fake.emit("status_changed", fake.status));
    fireEvent.click(await screen.findByTestId("user-key-override-Bea"));
    const confirm = screen.getByTestId("override-dialog-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("override-reason"), { target: { value: "Bea is off today; her key expired" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("override-dialog-confirm"));
    });
    expect((await screen.findByTestId("override-done")).textContent).toContain("1 of Bea's records");
    expect(fake.audit[0]?.action).toBe("facility_key_override");
    expect(fake.calls.find((c) => c.command === "send_under_facility_key")?.req).toEqual({ user: "Bea", reason: "Bea is off today; her key expired" });
  });

  it("explains instead of offering the override when the settings do not allow it", async () => {
    const fake = new FakeBackend();
    fake.settings.allow_facility_override = false;
    renderAs("Mia", <Keys onState={vi.fn()} />, fake);
    act(() => fake.emit("status_changed", { ...fake.status, health: "key_problem", users: [{ licence: "403R-00001", user: "Bea", counts: { pending: 0, sending: 0, ambiguous: 0, rejected: 0, waiting_for_key: 1, waiting: 1 }, key_problem: "Metrc refused Bea's key." }] }));
    expect(await screen.findByTestId("user-key-override-off-Bea")).toBeTruthy();
    expect(screen.queryByTestId("user-key-override-Bea")).toBeNull();
  });
});
