/**
 * The packages sold most recently on this register since the app started, newest first, for the
 * Sell screen's "Recently sold" list (a budtender often sells the same few packages again). Kept
 * in memory only: it is a convenience, never a record.
 */
import type { PackageView } from "../api";

/** How many packages the list keeps. */
export const RECENT_LIMIT = 8;

let recent: PackageView[] = [];

/** Puts the packages of a completed sale at the top of the list. */
export function rememberSold(packages: PackageView[]): void {
  const labels = new Set(packages.map((p) => p.label));
  recent = [...packages, ...recent.filter((p) => !labels.has(p.label))].slice(0, RECENT_LIMIT);
}

/** The recently sold packages, newest first. */
export function recentlySold(): PackageView[] {
  return recent;
}

/** Empties the list (tests). */
export function forgetSold(): void {
  recent = [];
}
