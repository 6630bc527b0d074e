/**
 * Vitest setup: unmounts whatever a test rendered, so tests never see each other's DOM, and pins
 * the UI's clock at `T0` for every test, so no test depends on today's date. A test that needs
 * time to pass moves `testClock` itself. The Sell screen's recently sold list starts empty.
 */
import { cleanup } from "@testing-library/react";
import { afterEach, beforeEach } from "vitest";
import { setClock } from "./clock";
import { forgetSold } from "./screens/recentlySold";
import { T0, testClock } from "./testing/testClock";

let restore: () => void = () => undefined;

beforeEach(() => {
  testClock.set(T0);
  forgetSold();
  restore = setClock(testClock);
});

afterEach(() => {
  cleanup();
  restore();
});
