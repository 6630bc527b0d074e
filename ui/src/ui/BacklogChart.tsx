/**
 * A small SVG area chart of how many records waited over time. Points are (time, waiting); the
 * x axis spans the given window ending now, the y axis starts at zero. No chart library.
 */
export interface BacklogPoint {
  /** Milliseconds since the epoch. */
  at: number;
  waiting: number;
}

export interface BacklogChartProps {
  points: BacklogPoint[];
  now: number;
  windowMs: number;
}

const WIDTH = 600;
const HEIGHT = 120;

export function chartPath(points: BacklogPoint[], now: number, windowMs: number): string {
  const start = now - windowMs;
  const visible = points.filter((p) => p.at >= start && p.at <= now).sort((a, b) => a.at - b.at);
  if (visible.length === 0) return "";
  const max = Math.max(1, ...visible.map((p) => p.waiting));
  const x = (at: number) => ((at - start) / windowMs) * WIDTH;
  const y = (w: number) => HEIGHT - (w / max) * (HEIGHT - 8);
  const first = visible[0]!;
  const last = visible[visible.length - 1]!;
  const line = visible.map((p) => `L${x(p.at).toFixed(1)},${y(p.waiting).toFixed(1)}`).join(" ");
  return `M${x(first.at).toFixed(1)},${HEIGHT} ${line} L${x(now).toFixed(1)},${y(last.waiting).toFixed(1)} L${x(now).toFixed(1)},${HEIGHT} Z`;
}

export function BacklogChart({ points, now, windowMs }: BacklogChartProps) {
  const path = chartPath(points, now, windowMs);
  const peak = points.filter((p) => p.at >= now - windowMs).reduce((m, p) => Math.max(m, p.waiting), 0);
  const hours = Math.round(windowMs / 3_600_000);
  return (
    <figure className="chart-figure">
      <svg
      className="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`Records waiting over the last ${hours} hours, peak ${peak}`}
      data-testid="backlog-chart"
    >
      <line className="axis" x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      {path !== "" && <path className="area" d={path} />}
      </svg>
      <figcaption className="row muted" style={{ justifyContent: "space-between" }}>
        <span>{hours} h ago</span>
        <span data-testid="backlog-peak">peak {peak} waiting</span>
        <span>now</span>
      </figcaption>
    </figure>
  );
}
