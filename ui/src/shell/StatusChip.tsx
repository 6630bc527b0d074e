/**
 * The always-visible status chip: whether the register is in step with Metrc and, if not, why
 * (offline, Metrc unavailable, slowed by Metrc, a key problem and whose), how many records wait,
 * the oldest one's age and the time left before the state's reporting deadline. Its colour warns
 * when the backend says the deadline is near (`deadline_warning` "soon") or passed ("overdue").
 * `data-state` carries the health code and `data-deadline` the warning, for tests.
 */
import type { Health, SyncStatus } from "../api";
import { ageMs, formatDuration } from "../format";

const LABELS: Record<Health, string> = {
  in_step: "In step with Metrc",
  offline: "Offline",
  metrc_unavailable: "Metrc unavailable",
  rate_limited: "Slowed by Metrc",
  key_problem: "Key problem",
};

/** Names of users whose key is the problem, without repeats. */
export function keyProblemUsers(status: SyncStatus): string[] {
  return [...new Set(status.users.filter((u) => u.key_problem !== null).map((u) => u.user))];
}

export function StatusChip({ status, now }: { status: SyncStatus | null; now: number }) {
  if (status === null) {
    return (
      <span className="chip chip-warn" data-testid="status-chip" data-state="unknown" role="status">
        <span className="dot" aria-hidden="true" />
        Checking…
      </span>
    );
  }
  const waiting = Number(status.waiting);
  const level = waiting > 0 && status.deadline_at !== null ? status.deadline_warning : "none";
  const tone =
    level === "overdue" || (status.health !== "in_step" && level === "soon")
      ? "bad"
      : status.health !== "in_step" || level === "soon"
        ? "warn"
        : "ok";
  const whose = status.health === "key_problem" ? keyProblemUsers(status) : [];
  const label = LABELS[status.health] + (whose.length > 0 ? ` (${whose.join(", ")})` : "");
  const age = ageMs(status.oldest_waiting_at, now);
  const left = ageMs(status.deadline_at, now);
  return (
    <span
      className={`chip chip-${tone}`}
      data-testid="status-chip"
      data-state={status.health}
      data-deadline={level}
      data-waiting={waiting}
      role="status"
      aria-live="polite"
    >
      <span className="dot" aria-hidden="true" />
      <span data-testid="status-label">{label}</span>
      {waiting > 0 && (
        <span className="detail" data-testid="status-waiting">
          · {waiting} waiting
        </span>
      )}
      {waiting > 0 && age !== null && (
        <span className="detail" data-testid="status-oldest">
          · oldest {formatDuration(age)}
        </span>
      )}
      {waiting > 0 && left !== null && (
        <span className="detail" data-testid="status-deadline">
          · {level === "overdue" ? `deadline passed ${formatDuration(left)} ago` : `${formatDuration(-left)} left to report`}
        </span>
      )}
    </span>
  );
}
