/**
 * The instant every UI test runs at, and the manual clock that holds it (installed by
 * `test-setup.ts` before each test). Fake data is dated at or before `T0`, so screens that
 * compare it with "now" see the same ages on any date.
 */
import { ManualClock } from "../clock";

/** The tests' "now". */
export const T0 = "2026-11-23T14:00:00Z";

/** The UI's clock during tests; reset to `T0` before each test, moved by tests that need time to pass. */
export const testClock = new ManualClock(T0);
