/**
 * What the benches read about the app's processes from /proc (Linux): the process tree under the
 * app, each process's name, CPU ticks, RSS / PSS / USS, and age; and the medians they report.
 */
import { readFileSync, readdirSync } from "node:fs";

export const CLK_TCK = 100;

export const median = (xs) => quantile(xs, 0.5);
export function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The process and all processes under it. */
export function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const all = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift();
    all.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return all;
}

export function processName(pid) {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}

/** CPU ticks (utime + stime) of one process. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** RSS, PSS and USS (private pages only) of one process, in KiB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
    return { rss, pss: field("Pss"), uss: field("Private_Clean") + field("Private_Dirty") };
  } catch {
    return { rss, pss: NaN, uss: NaN };
  }
}

/** How long ago the process started, in ms (10 ms resolution: clock ticks since boot). */
export function processAgeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return (uptime - startTicks / CLK_TCK) * 1_000;
}

/**
 * One memory sample of the app's tree: each process (pid, name, RSS / PSS / USS in KiB) and the
 * sums in MiB. The root is the app itself (named "app" here, whatever its binary is called).
 */
export function sampleTree(root) {
  const processes = processTree(root).map((pid, i) => {
    const mem = memory(pid);
    return { pid, name: i === 0 ? "app" : processName(pid), rssKiB: mem.rss, pssKiB: mem.pss, ussKiB: mem.uss };
  });
  const sum = (field) => processes.reduce((a, p) => a + p[field], 0) / 1024;
  return { processes, rssMiB: sum("rssKiB"), pssMiB: sum("pssKiB"), ussMiB: sum("ussKiB") };
}

/** PSS / RSS / USS in MiB of the sample's processes of one kind ("app", "WebKitWebProces", …), summed. */
export function ofKind(sample, name) {
  const mine = sample.processes.filter((p) => p.name === name);
  const sum = (field) => mine.reduce((a, p) => a + p[field], 0) / 1024;
  return { count: mine.length, pssMiB: sum("pssKiB"), rssMiB: sum("rssKiB"), ussMiB: sum("ussKiB") };
}

/**
 * Where one process's PSS is, from /proc/<pid>/smaps: KiB by mapping (a file's base name; the
 * heap, stacks and anonymous memory by kind), largest first, the first `top` of them.
 */
export function pssByMapping(pid, top = 12) {
  const byName = new Map();
  let current = "anonymous";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1].trim();
      current = path === "" ? "anonymous" : path.startsWith("/") ? path.slice(path.lastIndexOf("/") + 1) : path;
      continue;
    }
    const pss = /^Pss:\s+(\d+)/.exec(line);
    if (pss) byName.set(current, (byName.get(current) ?? 0) + Number(pss[1]));
  }
  return [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, kib]) => ({ name, kib }));
}

/**
 * What one process's PSS is made of, in KiB, grouped by whose it is: `rust` (the app binary, the
 * heap and anonymous memory: the Rust core's, but GTK's and WebKit's UI-side allocations too, which
 * /proc cannot tell apart), `webkit_gtk` (WebKitGTK, JavaScriptCore, GTK, GDK, GLib and friends),
 * `mesa` (Mesa's GL: libLLVM, the DRI/Gallium drivers, EGL/GLX), `shared` (memory shared with
 * the web process: memfd, SysV) and `other` libraries.
 */
export function pssByOwner(pid, binaryName) {
  const groups = { rust: 0, webkit_gtk: 0, mesa: 0, shared: 0, other: 0 };
  for (const { name, kib } of pssByMapping(pid, Infinity)) {
    let group = "other";
    if (name === binaryName || name === "anonymous" || name === "[heap]" || name.startsWith("[stack")) group = "rust";
    else if (/^(libwebkit2gtk|libjavascriptcoregtk|libgtk|libgdk|libglib|libgobject|libgio|libsoup|libharfbuzz|libpango|libcairo|libicu|libatk)/.test(name)) group = "webkit_gtk";
    else if (/^(libLLVM|libgallium|libEGL|libGLX|libGL|libgbm|libglapi|libdrm|.*_dri\.so)/.test(name)) group = "mesa";
    else if (name.startsWith("memfd:") || name.startsWith("SYSV")) group = "shared";
    groups[group] += kib;
  }
  return groups;
}
