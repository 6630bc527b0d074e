/**
 * The UI figures of SPEC section 9, measured on the release app (target/release/stateline-app, or
 * STATELINE_APP) in demo mode. Not a test: it asserts nothing about speed, it prints a table and a
 * JSON line for BENCHMARKS.md. Run it with `bash tests/desktop/bench/run.sh` (Xvfb, private keyring).
 *
 * 1. Sale to receipt: inside the page, `performance.now()` just before the "Complete sale" click
 *    and again when a MutationObserver sees the new receipt in the DOM, then after the next
 *    animation frame (the receipt painted). Median, 90th percentile and worst of SALES sales.
 * 2. Start-up to an interactive window: from asking WebKitWebDriver to start the app to the first
 *    successful WebDriver find of the first screen's control (wizard name field on a fresh data
 *    folder; a user button on the login screen of a set-up one). STARTS starts of each.
 * 3. Idle memory: after IDLE_SECONDS without input (manager logged in, on the register), the RSS
 *    and PSS of the app process and every process under it (WebKit's web and network processes).
 * 4. Idle CPU: utime + stime of the same processes over those IDLE_SECONDS, as % of one core.
 * 5. Binary size: bytes of the release binary.
 * 6. Idle memory by WebKit setting (BENCH_VARIANTS; `none` skips it): the same idle measurement on
 *    apps started with WebKit's defaults kept or changed (STATELINE_WEBKIT_FOOTPRINT, see
 *    src-tauri/src/webview_footprint.rs; JavaScriptCore's own JSC_* options), each after a first run and VARIANT_SALES sales (their
 *    sale → receipt painted too), the variants interleaved over VARIANT_ROUNDS rounds so drift on
 *    the machine hits all of them. `metrc-elsewhere` is the shipped app with the pretend Metrc in
 *    another process (`stateline emulator`, as a store's real Metrc is: the demo otherwise runs it
 *    inside the app process). Each variant's app process is also split by whose memory it is
 *    (proc.mjs `pssByOwner`: the Rust binary, heap and anonymous memory; WebKitGTK and GTK; Mesa).
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { basename } from "node:path";
import { cpus, totalmem } from "node:os";
import { RunningApp, appPath } from "../lib/app.mjs";
import { Keys, Session, waitFor } from "../lib/webdriver.mjs";
import { firstRunDemo, label, open } from "../lib/steps.mjs";
import { CLK_TCK, cpuTicks, median, memory, processAgeMs, processName, processTree, pssByOwner, quantile } from "./proc.mjs";

const SALES = Number(process.env.BENCH_SALES ?? 40);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const VARIANT_ROUNDS = Number(process.env.BENCH_VARIANT_ROUNDS ?? 2);
const VARIANT_SALES = Number(process.env.BENCH_VARIANT_SALES ?? 10);
const APP = appPath("release");

/**
 * The app's environment for each compared WebKit setting (STATELINE_WEBKIT_FOOTPRINT lists the
 * changes made). `webkit-defaults` is the app before its footprint settings, `default` the app
 * as shipped (cache + painting); the others each change alone, and all four (`compositing` and
 * `dmabuf` make WebDriver screenshots hang under Xvfb, so they are not shipped). `jit-off`,
 * `small-heap` and `arenas` (issue #15) are each the shipped app plus one change: JavaScriptCore
 * without its JIT, JavaScriptCore sizing its heap for 256 MiB of RAM (JSC_* options are read from
 * the environment by each web process), and glibc's malloc held to 2 arenas in every process
 * (MALLOC_ARENA_MAX). The default list is the six of run 4; name others in BENCH_VARIANTS.
 */
const VARIANTS = {
  "webkit-defaults": { STATELINE_WEBKIT_FOOTPRINT: "none" },
  cache: { STATELINE_WEBKIT_FOOTPRINT: "cache" },
  painting: { STATELINE_WEBKIT_FOOTPRINT: "painting" },
  default: {},
  compositing: { STATELINE_WEBKIT_FOOTPRINT: "compositing" },
  all: { STATELINE_WEBKIT_FOOTPRINT: "all" },
  // Issue #15's attempts, each on top of the shipped settings.
  "jit-off": { JSC_useJIT: "false" },
  "small-heap": { JSC_forceRAMSize: String(256 * 2 ** 20) },
  arenas: { MALLOC_ARENA_MAX: "2" },
  // The pretend Metrc out of the app process (its URL is filled in when the emulator is up).
  "metrc-elsewhere": { STATELINE_DEMO_METRC_URL: null },
};

/** The command-line binary whose `emulator` command plays Metrc in another process. */
const CLI = new URL("../../../target/debug/stateline", import.meta.url).pathname;

/** Starts `stateline emulator` on a free loopback port; resolves to its URL and the process. */
function startEmulator() {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, ["emulator", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`stateline emulator exited (${code}) before listening`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child });
    });
  });
}
const VARIANT_NAMES = (process.env.BENCH_VARIANTS ?? "webkit-defaults,cache,painting,default,compositing,all")
  .split(",").map((v) => v.trim()).filter((v) => v !== "" && v !== "none");
for (const name of VARIANT_NAMES) {
  if (!(name in VARIANTS)) throw new Error(`BENCH_VARIANTS: unknown ${name} (known: ${Object.keys(VARIANTS).join(", ")})`);
}
const ms = (x) => `${x.toFixed(1)} ms`;

const FIRST_CONTROL = '[data-testid="wizard-manager-name"], [data-testid^="login-user-"]';

/**
 * Start-up: asks the driver for a session (which spawns the app), then polls without pause until
 * the first screen's control is found. Gives the time from the request and from the app
 * process's own start (its age in /proc when the control was found).
 */
async function measureStart({ label: runLabel, dataDir }) {
  const app = await RunningApp.launch({ app: APP, label: runLabel, deferSession: true, dataDir });
  try {
    const started = performance.now();
    app.session = await Session.create(app.driver.baseUrl, { "tauri:options": { application: APP } });
    const sessionAt = performance.now();
    for (;;) {
      const found = await app.session.findAll(FIRST_CONTROL).catch(() => []);
      if (found.length > 0) break;
      if (performance.now() - started > 30_000) throw new Error("no first screen within 30 s");
    }
    const total = performance.now() - started;
    const sinceSpawn = processAgeMs(app.pid());
    return { total, sinceSpawn, session: sessionAt - started, app };
  } catch (error) {
    await app.close();
    throw error;
  }
}

async function saleToReceipt(app, n) {
  const s = app.session;
  const results = [];
  for (let i = 0; i < n; i++) {
    const pkg = label(1 + (i % 12));
    const scan = await s.byId("scan-input");
    await s.type(scan, pkg + Keys.ENTER);
    await s.byId(`cart-line-${pkg}`);
    await s.fill(`cart-qty-${pkg}`, "0.1");
    await s.fill(`cart-price-${pkg}`, "1.00");
    await s.waitEnabled("complete-sale");
    const timing = await s.executeAsync(`
      const done = arguments[arguments.length - 1];
      const button = document.querySelector('[data-testid="complete-sale"]');
      const previous = document.querySelector('[data-testid="receipt"]')?.getAttribute("data-receipt") ?? null;
      let t0 = 0;
      const fresh = () => {
        const r = document.querySelector('[data-testid="receipt"]');
        return r !== null && r.getAttribute("data-receipt") !== previous ? r : null;
      };
      const observer = new MutationObserver(() => {
        if (fresh() === null) return;
        const inDom = performance.now() - t0;
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => done({ inDom, painted: performance.now() - t0 }), 0));
      });
      observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-receipt"] });
      setTimeout(() => { observer.disconnect(); done({ error: "no receipt within 10 s" }); }, 10000);
      t0 = performance.now();
      button.click();
    `, [], 20_000);
    if (timing.error) throw new Error(timing.error);
    results.push(timing);
  }
  return results;
}

/**
 * Idle: the app's process tree after 5 s to settle and IDLE_SECONDS without input; memory at the
 * end, CPU over the interval.
 */
async function measureIdle(app) {
  const pid = await waitFor("the app's process", async () => app.pid(), { timeoutMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const tree0 = processTree(pid);
  const ticks0 = new Map(tree0.map((p) => [p, cpuTicks(p)]));
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1_000));
  const seconds = (performance.now() - t0) / 1_000;
  const tree = processTree(pid);
  const perProcess = tree.map((p) => {
    const mem = memory(p);
    return { pid: p, name: processName(p), rssKiB: mem.rss, pssKiB: mem.pss, ussKiB: mem.uss, cpuTicks: cpuTicks(p) - (ticks0.get(p) ?? 0) };
  });
  const rssMiB = perProcess.reduce((a, p) => a + p.rssKiB, 0) / 1024;
  const pssMiB = perProcess.reduce((a, p) => a + p.pssKiB, 0) / 1024;
  const ussMiB = perProcess.reduce((a, p) => a + p.ussKiB, 0) / 1024;
  const cpuPercent = (perProcess.reduce((a, p) => a + p.cpuTicks, 0) / CLK_TCK / seconds) * 100;
  const appOwners = pssByOwner(pid, basename(APP));
  return { seconds, rssMiB, pssMiB, ussMiB, cpuPercent, processes: perProcess, appOwners };
}

/** One app per variant and round: first run, VARIANT_SALES sales, then the idle measurement. */
async function measureVariants() {
  const runs = [];
  const emulator = VARIANT_NAMES.includes("metrc-elsewhere") ? await startEmulator() : null;
  if (emulator !== null) VARIANTS["metrc-elsewhere"].STATELINE_DEMO_METRC_URL = emulator.url;
  try {
    await measureVariantRounds(runs);
  } finally {
    emulator?.child.removeAllListeners("exit");
    emulator?.child.kill();
  }
  return runs;
}

async function measureVariantRounds(runs) {
  for (let round = 0; round < VARIANT_ROUNDS; round++) {
    for (const name of VARIANT_NAMES) {
      let app;
      try {
        app = await RunningApp.launch({ app: APP, label: `bench-${name}`, env: VARIANTS[name] });
      } catch (error) {
        // A setting the app cannot start with is reported, not fatal to the other figures.
        console.error(`${name} (round ${round + 1}): the app did not start: ${error.message}`);
        continue;
      }
      try {
        await firstRunDemo(app);
        await open(app, "sell");
        const sales = await saleToReceipt(app, VARIANT_SALES);
        await open(app, "sell");
        const idle = await measureIdle(app);
        runs.push({ variant: name, round, painted: sales.map((x) => x.painted), ...idle });
        console.error(`${name} (round ${round + 1}): PSS ${idle.pssMiB.toFixed(1)} MiB`);
      } finally {
        await app.close();
      }
    }
  }
}

/**
 * Per variant: the median over rounds of the sums and of each process's PSS, RSS and USS, and
 * the median sale → receipt painted over all its sales.
 */
function variantTable(runs) {
  const mib = (x) => x.toFixed(1);
  // The app is the tree's root (its name is the binary's); WebKit's helpers by their 15-letter comm.
  const names = [null, "WebKitWebProces", "WebKitNetworkPr"];
  const rows = VARIANT_NAMES.map((name) => {
    const mine = runs.filter((r) => r.variant === name);
    const of = (r, proc) => (proc === null ? r.processes.slice(0, 1) : r.processes.filter((p) => p.name === proc));
    const byProcess = (proc, field) => median(mine.map((r) => of(r, proc).reduce((a, p) => a + p[field], 0) / 1024));
    const cells = names.map((proc) => `${mib(byProcess(proc, "pssKiB"))} / ${mib(byProcess(proc, "rssKiB"))} / ${mib(byProcess(proc, "ussKiB"))}`);
    return `| ${name} | ${mine.length} | ${mib(median(mine.map((r) => r.pssMiB)))} (${mine.map((r) => mib(r.pssMiB)).join(", ")}) | ${mib(median(mine.map((r) => r.rssMiB)))} / ${mib(median(mine.map((r) => r.ussMiB)))} | ${cells.join(" | ")} | ${median(mine.map((r) => r.cpuPercent)).toFixed(2)} % | ${ms(median(mine.flatMap((r) => r.painted)))} |`;
  });
  const owners = ["rust", "webkit_gtk", "mesa", "shared", "other"];
  const ownerRows = VARIANT_NAMES.map((name) => {
    const mine = runs.filter((r) => r.variant === name);
    return `| ${name} | ${owners.map((o) => mib(median(mine.map((r) => r.appOwners[o] / 1024)))).join(" | ")} |`;
  });
  return `| WebKit setting | runs | PSS sum, median (each run), MiB | RSS / USS sum, MiB | app process PSS / RSS / USS | WebKitWebProcess PSS / RSS / USS | WebKitNetworkProcess PSS / RSS / USS | idle CPU | sale → receipt painted, median |
|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

The app process's PSS by whose it is (MiB, median; proc.mjs \`pssByOwner\`):

| WebKit setting | Rust binary + heap + anonymous | WebKitGTK, GTK, GLib | Mesa (GL) | shared with the web process | other libraries |
|---|---:|---:|---:|---:|---:|
${ownerRows.join("\n")}`;
}

async function main() {
  const size = statSync(APP).size;
  console.error(`release app: ${APP} (${size} bytes)`);

  // Start-up, fresh data folders (first run: store created, migrations, emulator started).
  const fresh = [];
  for (let i = 0; i < STARTS; i++) {
    const run = await measureStart({ label: `bench-start-${i}` });
    fresh.push(run);
    await run.app.close();
  }

  // The app that is measured for sales and idle, then restarted for set-up starts.
  const app = await RunningApp.launch({ app: APP, label: "bench" });
  await firstRunDemo(app);
  await open(app, "sell");
  const sales = await saleToReceipt(app, SALES);

  // Idle: manager logged in on the register, no input at all.
  await open(app, "sell");
  const { seconds, rssMiB, pssMiB, ussMiB, cpuPercent, processes: perProcess } = await measureIdle(app);

  // Start-up of a set-up register (login screen), same data folder each time.
  const dataDir = app.dataDir;
  await app.session.delete().catch(() => undefined);
  await app.driver.stop();
  const again = [];
  for (let i = 0; i < STARTS; i++) {
    const run = await measureStart({ label: `bench-restart-${i}`, dataDir });
    again.push(run);
    await run.app.session.delete().catch(() => undefined);
    await run.app.driver.stop();
  }
  await app.close();

  const variants = await measureVariants();

  const inDom = sales.map((x) => x.inDom);
  const painted = sales.map((x) => x.painted);
  const freshTotals = fresh.map((r) => r.total);
  const againTotals = again.map((r) => r.total);
  const figures = {
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1) },
    saleToReceipt: { n: sales.length, inDomMedian: median(inDom), inDomP90: quantile(inDom, 0.9), paintedMedian: median(painted), paintedP90: quantile(painted, 0.9), paintedMax: Math.max(...painted) },
    startup: {
      fresh: { n: fresh.length, median: median(freshTotals), max: Math.max(...freshTotals), sessionMedian: median(fresh.map((r) => r.session)), sinceSpawnMedian: median(fresh.map((r) => r.sinceSpawn)), sinceSpawnMax: Math.max(...fresh.map((r) => r.sinceSpawn)) },
      setUp: { n: again.length, median: median(againTotals), max: Math.max(...againTotals), sessionMedian: median(again.map((r) => r.session)), sinceSpawnMedian: median(again.map((r) => r.sinceSpawn)), sinceSpawnMax: Math.max(...again.map((r) => r.sinceSpawn)) },
    },
    idle: { seconds, rssMiB, pssMiB, ussMiB, cpuPercent, processes: perProcess },
    binaryBytes: size,
    variants,
  };
  console.log(`| figure | measured | target |
|---|---|---|
| sale → receipt in the DOM (median / p90 of ${sales.length}) | ${ms(figures.saleToReceipt.inDomMedian)} / ${ms(figures.saleToReceipt.inDomP90)} | |
| sale → receipt painted (next frame; median / p90 / worst) | ${ms(figures.saleToReceipt.paintedMedian)} / ${ms(figures.saleToReceipt.paintedP90)} / ${ms(figures.saleToReceipt.paintedMax)} | ≤ 50 ms |
| start-up, app process spawned → first control found, fresh data folder (median / worst of ${fresh.length}) | ${ms(figures.startup.fresh.sinceSpawnMedian)} / ${ms(figures.startup.fresh.sinceSpawnMax)} | ≤ 1.5 s |
| start-up, app process spawned → first control found, set-up register (median / worst of ${again.length}) | ${ms(figures.startup.setUp.sinceSpawnMedian)} / ${ms(figures.startup.setUp.sinceSpawnMax)} | ≤ 1.5 s |
| start-up including the driver: POST /session → first control found, fresh / set-up (median) | ${ms(figures.startup.fresh.median)} / ${ms(figures.startup.setUp.median)} | |
| idle memory after ${seconds.toFixed(0)} s, RSS sum / PSS sum / USS sum (${perProcess.length} processes) | ${rssMiB.toFixed(1)} / ${pssMiB.toFixed(1)} / ${ussMiB.toFixed(1)} MiB | < 150 MB |
| idle CPU over ${seconds.toFixed(0)} s (all processes, % of one core) | ${cpuPercent.toFixed(2)} % | < 1 % |
| release binary | ${size} bytes (${(size / 2 ** 20).toFixed(2)} MiB) | < 20 MB |`);
  for (const p of perProcess) console.log(`  ${p.name} (pid ${p.pid}): RSS ${(p.rssKiB / 1024).toFixed(1)} MiB, PSS ${(p.pssKiB / 1024).toFixed(1)} MiB, USS ${(p.ussKiB / 1024).toFixed(1)} MiB, ${p.cpuTicks} ticks`);
  if (variants.length > 0) console.log(`\nIdle memory by WebKit setting, after ${IDLE_SECONDS} s idle (median of ${VARIANT_ROUNDS} rounds):\n${variantTable(variants)}`);
  console.log(JSON.stringify(figures));
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
