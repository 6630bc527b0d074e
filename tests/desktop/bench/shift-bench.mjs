/**
 * A shift's worth of memory (issue #15), on the release app (target/release/stateline-app, or
 * STATELINE_APP) in demo mode. Not a test: it asserts nothing about memory, it prints tables and
 * a JSON line for BENCHMARKS.md. Run it with `bash tests/desktop/bench/run.sh shift`.
 *
 * Time is compressed: a simulated hour is SHIFT_SALES_PER_HOUR sales, driven one after another as
 * fast as the window takes them (scan, quantity, price, Enter; the real seconds of each hour are
 * reported). A real shift at a sale every 20 s is 180 sales an hour; the default is 30 (a sale
 * every 2 simulated minutes, 360 in the shift), so the run fits in minutes: SHIFT_SALES_PER_HOUR=180
 * runs the full 2,160.
 *
 * The shift (SHIFT_HOURS, default 12), each hour on the register unless said:
 * - before the shift: the first-run wizard (manager), then Bea (budtender) logs in and saves her
 *   key; she sells all shift. Idle memory is measured here (IDLE_SECONDS without input).
 * - every hour: its sales, then the Sync screen opened (entries listed), then back to selling.
 * - hour ⌊H/4⌋ + 1 (4 of 12): the network goes down (demo panel) for the hour's sales; then
 *   back, the backlog drains with the Sync screen open (until the chip says in step, 0 waiting).
 * - hour ⌊H/2⌋ + 1 (7 of 12): Bea's key is revoked (demo panel); her next sale waits for her
 *   key; the emulator issues a new one (fault off), she pastes it and the sale goes out; the
 *   hour's sales go on.
 * - hour ⌊3H/4⌋ + 1 (10 of 12): a Metrc outage for the hour's sales, then the drain on the Sync
 *   screen.
 * - the end: the Sync screen left open IDLE_SECONDS, then idle memory on the register again.
 * After each hour (SETTLE_SECONDS after its last action) the RSS / PSS / USS of every process of
 * the app (the app itself, WebKitWebProcess, WebKitNetworkProcess) is sampled. Warm-up is the
 * first WARMUP_HOURS hours (default 1); growth after warm-up is the last hour's PSS sum against
 * the sum at the end of warm-up, and the largest sum after warm-up against it.
 */
import { statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { RunningApp, appPath } from "../lib/app.mjs";
import { Keys, waitFor } from "../lib/webdriver.mjs";
import { BUDTENDER, answerKeyPrompt, chipSays, demoFault, firstRunDemo, label, login, open, sellByScanning } from "../lib/steps.mjs";
import { ofKind, pssByMapping, sampleTree } from "./proc.mjs";

const HOURS = Number(process.env.SHIFT_HOURS ?? 12);
const SALES_PER_HOUR = Number(process.env.SHIFT_SALES_PER_HOUR ?? 30);
const WARMUP_HOURS = Number(process.env.SHIFT_WARMUP_HOURS ?? 1);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const SETTLE_SECONDS = Number(process.env.SHIFT_SETTLE_SECONDS ?? 3);
const APP = appPath("release");

const NETWORK_HOUR = Math.floor(HOURS / 4);
const ROTATION_HOUR = Math.floor(HOURS / 2);
const OUTAGE_HOUR = Math.floor((3 * HOURS) / 4);
const KINDS = ["app", "WebKitWebProces", "WebKitNetworkPr"];

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1_000));
const mib = (x) => x.toFixed(1);

let saleNo = 0;
let retries = 0;
/**
 * One sale of 0.1 of the next package at $1. A step the window did not take in time (a field
 * not cleared under load) cancels the cart (Escape twice on the scan field) and tries again,
 * three times at most; the retries are counted and reported.
 */
async function sell(app) {
  saleNo += 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await sellByScanning(app, [{ label: label(1 + (saleNo % 12)), quantity: "0.1", price: "1.00" }]);
    } catch (error) {
      if (attempt === 3) throw error;
      retries += 1;
      console.error(`sale ${saleNo}, attempt ${attempt}: ${error.message}; the cart is cancelled and the sale tried again`);
      await register(app);
      const scan = await app.session.byId("scan-input");
      await app.session.type(scan, Keys.ESCAPE);
      await app.session.type(scan, Keys.ESCAPE);
      await waitFor("the cart emptied", async () =>
        (await app.session.findAll('[data-testid^="cart-line-"]')).length === 0 ? true : undefined, { timeoutMs: 10_000 });
    }
  }
}

/** Back on the register (after the Sync screen or the demo panel). */
async function register(app) {
  if (!(await app.session.exists('[data-testid="screen-sell"]'))) await open(app, "sell");
}

/** The Sync screen opened and its entries listed. */
async function syncScreen(app) {
  await open(app, "sync");
  await app.session.byId("backlog-chart");
  await waitFor("the Sync screen's entries", async () =>
    (await app.session.findAll('[data-testid^="entry-row-"]')).length > 0 ? true : undefined);
}

/** With the Sync screen open, until the chip says in step with nothing waiting. */
async function drain(app) {
  await syncScreen(app);
  await app.session.clickId("sync-now");
  await chipSays(app, "in_step", { waiting: 0, timeoutMs: 300_000 });
}

/** A fault on for the hour's sales, then off and drained with the Sync screen open. */
async function outageHour(app, fault) {
  await demoFault(app, fault, true);
  await register(app);
  for (let i = 0; i < SALES_PER_HOUR; i++) await sell(app);
  await demoFault(app, fault, false);
  await drain(app);
}

/** Journey 4's key rotation for Bea: revoked, one sale waits, the new key pasted, it goes out. */
async function rotationHour(app) {
  const s = app.session;
  await demoFault(app, `revoke_key-${BUDTENDER.name}`, true);
  await register(app);
  await sell(app);
  await waitFor("the key prompt or the key-problem banner", async () =>
    (await s.exists('[data-testid="key-prompt"]')) || (await s.exists('[data-testid="key-problem-banner"]')) ? true : undefined,
  { timeoutMs: 60_000 });
  if (await s.exists('[data-testid="key-prompt"]')) await s.clickId("key-prompt-continue");
  await demoFault(app, `revoke_key-${BUDTENDER.name}`, false);
  const newKey = await waitFor("the demo panel to show her new key", async () => {
    const description = await s.text(await s.byId("demo-revoke_key"));
    return /demo-[a-z]+-key-\d+/.exec(description.replace(BUDTENDER.key, ""))?.[0];
  }, { timeoutMs: 10_000 });
  await login(app, BUDTENDER);
  if (await s.exists('[data-testid="key-prompt"]')) {
    await answerKeyPrompt(app, newKey);
  } else {
    await s.clickId("key-problem-fix");
    await s.fill("key-problem-input", newKey);
    await s.clickId("key-problem-save");
  }
  await chipSays(app, "in_step", { waiting: 0, timeoutMs: 120_000 });
  await register(app);
  for (let i = 1; i < SALES_PER_HOUR; i++) await sell(app);
}

function describe(sample) {
  return KINDS.map((k) => {
    const p = ofKind(sample, k);
    return `${k} ×${p.count} PSS ${mib(p.pssMiB)} / RSS ${mib(p.rssMiB)} / USS ${mib(p.ussMiB)}`;
  }).join("; ");
}

async function main() {
  console.error(`release app: ${APP} (${statSync(APP).size} bytes); ${HOURS} simulated hours of ${SALES_PER_HOUR} sales`);
  const app = await RunningApp.launch({ app: APP, label: "shift" });
  try {
    const pid = await waitFor("the app's process", async () => app.pid(), { timeoutMs: 10_000 });
    await firstRunDemo(app);
    await login(app, BUDTENDER);
    await answerKeyPrompt(app, BUDTENDER.key);
    await register(app);
    await sleep(5);
    await sleep(IDLE_SECONDS);
    const idleBefore = sampleTree(pid);
    console.error(`idle before the shift: PSS ${mib(idleBefore.pssMiB)} MiB (${describe(idleBefore)})`);

    const hours = [];
    const shiftStart = performance.now();
    for (let hour = 0; hour < HOURS; hour++) {
      const t0 = performance.now();
      let event = "";
      if (hour === NETWORK_HOUR) {
        event = "network down, then drained";
        await outageHour(app, "network_down");
      } else if (hour === OUTAGE_HOUR) {
        event = "Metrc outage, then drained";
        await outageHour(app, "outage");
      } else if (hour === ROTATION_HOUR) {
        event = "Bea's key revoked and replaced";
        await rotationHour(app);
      } else {
        for (let i = 0; i < SALES_PER_HOUR; i++) await sell(app);
      }
      await syncScreen(app);
      await register(app);
      await sleep(SETTLE_SECONDS);
      const sample = sampleTree(pid);
      const seconds = (performance.now() - t0) / 1_000;
      hours.push({ hour: hour + 1, sales: saleNo, event, seconds, ...sample });
      console.error(`hour ${hour + 1} (${seconds.toFixed(0)} s, ${saleNo} sales${event ? `, ${event}` : ""}): PSS ${mib(sample.pssMiB)} MiB (${describe(sample)})`);
    }
    const shiftSeconds = (performance.now() - shiftStart) / 1_000;

    // The Sync screen left open, then idle on the register again.
    await syncScreen(app);
    await sleep(IDLE_SECONDS);
    const syncOpen = sampleTree(pid);
    await register(app);
    await sleep(5);
    await sleep(IDLE_SECONDS);
    const idleAfter = sampleTree(pid);
    const where = idleAfter.processes.map((p) => ({ name: p.name, top: pssByMapping(p.pid) }));

    const base = hours[WARMUP_HOURS - 1];
    const after = hours.slice(WARMUP_HOURS);
    const last = hours[hours.length - 1];
    const peak = after.reduce((a, h) => (h.pssMiB > a.pssMiB ? h : a), after[0] ?? base);
    const growth = (x) => ((x / base.pssMiB - 1) * 100).toFixed(1);
    const row = (name, s, extra = "") => `| ${name} | ${extra} | ${mib(s.pssMiB)} | ${KINDS.map((k) => mib(ofKind(s, k).pssMiB)).join(" | ")} | ${mib(s.rssMiB)} / ${mib(s.ussMiB)} |`;
    console.log(`| simulated time | sales so far, what happened (real seconds) | PSS sum, MiB | app PSS | WebKitWebProcess PSS | WebKitNetworkProcess PSS | RSS / USS sum |
|---|---|---:|---:|---:|---:|---|
${row("idle before the shift", idleBefore, `0, ${IDLE_SECONDS} s without input`)}
${hours.map((h) => row(h.hour <= WARMUP_HOURS ? `hour ${h.hour} (warm-up)` : `hour ${h.hour}`, h, `${h.sales}${h.event ? `, ${h.event}` : ""} (${h.seconds.toFixed(0)} s)`)).join("\n")}
${row("Sync screen open", syncOpen, `${saleNo}, ${IDLE_SECONDS} s without input`)}
${row("idle after the shift", idleAfter, `${saleNo}, ${IDLE_SECONDS} s without input`)}

growth after warm-up (PSS sum): last hour ${growth(last.pssMiB)} %, largest ${growth(peak.pssMiB)} % (hour ${peak.hour}), idle after vs before the shift ${((idleAfter.pssMiB / idleBefore.pssMiB - 1) * 100).toFixed(1)} %; target ≤ 10 %
app process alone (PSS / RSS / USS): idle before ${mib(ofKind(idleBefore, "app").pssMiB)} / ${mib(ofKind(idleBefore, "app").rssMiB)} / ${mib(ofKind(idleBefore, "app").ussMiB)} MiB, idle after ${mib(ofKind(idleAfter, "app").pssMiB)} / ${mib(ofKind(idleAfter, "app").rssMiB)} / ${mib(ofKind(idleAfter, "app").ussMiB)} MiB; target ≤ 60 MB
shift: ${saleNo} sales (${retries} retried) in ${shiftSeconds.toFixed(0)} s real (${(shiftSeconds / HOURS).toFixed(0)} s a simulated hour)`);
    for (const [name, s] of [["idle before", idleBefore], ["idle after", idleAfter]]) {
      for (const p of s.processes) console.log(`  ${name}: ${p.name} (pid ${p.pid}): RSS ${mib(p.rssKiB / 1024)} MiB, PSS ${mib(p.pssKiB / 1024)} MiB, USS ${mib(p.ussKiB / 1024)} MiB`);
    }
    for (const w of where) console.log(`  idle after, where ${w.name}'s PSS is (MiB): ${w.top.map((m) => `${m.name} ${mib(m.kib / 1024)}`).join(", ")}`);
    console.log(JSON.stringify({
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1) },
      hours: HOURS, salesPerHour: SALES_PER_HOUR, warmupHours: WARMUP_HOURS, sales: saleNo, retries, shiftSeconds,
      idleBefore, hoursSampled: hours, syncOpen, idleAfter,
    }));
  } finally {
    await app.close();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
