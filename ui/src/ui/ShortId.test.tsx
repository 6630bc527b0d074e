/** A long id shown short, whole on hover and when copied. */
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ShortId } from "./ShortId";

describe("ShortId", () => {
  it("shows the id short, the full id in its title, and copies the full id", () => {
    render(<ShortId id="1A4FF0100000022000000001" testId="label" />);
    const id = screen.getByTestId("label");
    expect(id.textContent).toBe("1A4F…000001");
    expect(id.getAttribute("title")).toBe("1A4FF0100000022000000001");
    const setData = vi.fn();
    fireEvent.copy(id, { clipboardData: { setData } });
    expect(setData).toHaveBeenCalledWith("text/plain", "1A4FF0100000022000000001");
  });

  it("keeps a short id whole", () => {
    render(<ShortId id="403R-00001" testId="licence" />);
    expect(screen.getByTestId("licence").textContent).toBe("403R-00001");
  });
});
