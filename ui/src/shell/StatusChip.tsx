/**
 * The always-visible status chip: whether the register is in step with Metrc and, if not, why
 * (offline, Metrc unavailable, slowed by Metrc, a key problem and whose), how many records wait to
 * be sent, how many Metrc refused (they wait for a person, not for the network), the oldest one's
 * age and the time left before the state's reporting deadline. Its colour warns when the backend
 * says the deadline is near (`deadline_warning` "soon") or passed ("overdue"). `data-state`
 * carries the health code, `data-waiting` / `data-rejected` the counts and `data-deadline` the
 * warning, for tests. [`LiveStatusChip`] keeps the ages current with its own clock: every second
 * while something is not yet in Metrc, once a minute otherwise; only the chip re-renders.
 */
import type { Health, SyncStatus } from "../api";
import { useNow } from "../context";
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

/** How often the chip's clock ticks for `status`: ages shown in seconds need a tick a second. */
export function chipTickMs(status: SyncStatus | null): number {
  return status !== null && Number(status.waiting) > 0 ? 1_000 : 60_000;
}

/** Records Metrc refused (state `rejected`), over every licence. */
export function rejectedCount(status: SyncStatus): number {
  return status.licences.reduce((sum, l) => sum + Number(l.counts.rejected), 0);
}

/** The chip with its own clock, so a ticking age does not re-render the screen around it. */
export function LiveStatusChip({ status }: { status: SyncStatus | null }) {
  const now = useNow(chipTickMs(status));
  return <StatusChip status={status} now={now} />;
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
  const notInMetrc = Number(status.waiting);
  const rejected = Math.min(rejectedCount(status), notInMetrc);
  const waiting = notInMetrc - rejected;
  const level = notInMetrc > 0 && status.deadline_at !== null ? status.deadline_warning : "none";
  const tone =
    level === "overdue" || (status.health !== "in_step" && level === "soon")
      ? "bad"
      : status.health !== "in_step" || level === "soon" || rejected > 0
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
      data-rejected={rejected}
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
      {rejected > 0 && (
        <span className="detail" data-testid="status-rejected">
          · {rejected} refused by Metrc
        </span>
      )}
      {notInMetrc > 0 && age !== null && (
        <span className="detail" data-testid="status-oldest">
          · oldest {formatDuration(age)}
        </span>
      )}
      {notInMetrc > 0 && left !== null && (
        <span className="detail" data-testid="status-deadline">
          · {level === "overdue" ? `deadline passed ${formatDuration(left)} ago` : `${formatDuration(-left)} left to report`}
        </span>
      )}
    </span>
  );
}
