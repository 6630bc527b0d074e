import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Autostart } from "../backend";
import { AutostartSetting } from "./AutostartSetting";

function fakeAutostart(initial: boolean, refuse = false): Autostart & { calls: boolean[] } {
  let on = initial;
  const calls: boolean[] = [];
  return {
    calls,
    enabled: async () => on,
    set: async (next) => {
      calls.push(next);
      if (refuse) throw { code: "autostart_failed", message: "The login items could not be written." };
      on = next;
    },
  };
}

describe("AutostartSetting", () => {
  it("shows nothing outside the desktop app", () => {
    const { container } = render(<AutostartSetting />);
    expect(container.innerHTML).toBe("");
  });

  it("shows what the system says and turns start at login on", async () => {
    const autostart = fakeAutostart(false);
    render(<AutostartSetting autostart={autostart} />);
    const box = screen.getByTestId<HTMLInputElement>("settings-autostart-toggle");
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    expect(autostart.calls).toEqual([true]);
  });

  it("keeps the box as it was when the system refuses", async () => {
    render(<AutostartSetting autostart={fakeAutostart(true, true)} />);
    const box = screen.getByTestId<HTMLInputElement>("settings-autostart-toggle");
    await waitFor(() => expect(box.disabled).toBe(false));
    fireEvent.click(box);
    expect((await screen.findByTestId("settings-autostart-error")).dataset.code).toBe("autostart_failed");
    expect(box.checked).toBe(true);
  });
});
