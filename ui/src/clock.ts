/**
 * The UI's one source of the current time. Every screen, hook and helper asks `now()` here; no
 * other module reads `Date.now()` or `new Date()` without an argument (`clock-boundary.test.ts`
 * fails if one does). The app runs on the computer's clock; tests install a `ManualClock` at a
 * fixed instant (`test-setup.ts`) and move it explicitly, so no test depends on today's date.
 */

/** A source of the current time, in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** The computer's clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to (tests). */
export class ManualClock implements Clock {
  private at: number;

  constructor(start: number | string) {
    this.at = typeof start === "string" ? Date.parse(start) : start;
  }

  now(): number {
    return this.at;
  }

  /** Sets the current instant. */
  set(to: number | string): void {
    this.at = typeof to === "string" ? Date.parse(to) : to;
  }

  /** Moves the clock by `ms` milliseconds. */
  advance(ms: number): void {
    this.at += ms;
  }
}

let current: Clock = systemClock;

/** The current time in milliseconds since the Unix epoch. */
export function now(): number {
  return current.now();
}

/** Installs `clock` as the UI's clock; returns a function that puts the previous one back. */
export function setClock(clock: Clock): () => void {
  const previous = current;
  current = clock;
  return () => {
    current = previous;
  };
}
