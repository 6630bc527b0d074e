/**
 * Journey 9 (issue #17): the store's own POS hands a sale to Stateline through the local API. A
 * manager turns the API on (this computer only, on a free port) on the Integrations screen,
 * creates an integration and reads its token the one time it is shown, and maps the POS's clerk
 * id to a user; the test, as the POS, posts a sale (by that clerk id) to `POST /v1/sales` on the URL the screen shows with `Authorization: Bearer
 * <token>` and sees the record on the Sync screen; the same ticket again is answered `200` with
 * `replayed: true` and the same record; the manager revokes the integration after a confirmation
 * and the POS's next call is `401` `token_revoked`, which the call log shows by its code. The
 * screen is checked (no sideways overflow, 44 px targets, axe-core) and saved at 1024×768 and
 * 1366×768 as docs/screenshots/integrations-{token,pos}-<size>.png. Then the manager opens the
 * API to the store network: it answers over TLS only, with the certificate whose fingerprint the
 * screen shows for the POS to pin (docs/screenshots/integrations-lan-<size>.png). Last, a port
 * another program holds: the API cannot start, and the screen says why by its code.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { connect } from "node:tls";
import { after, before, test } from "node:test";
import { RunningApp, withFailureShot } from "./lib/app.mjs";
import { SIZES, checkScreen, setSize } from "./lib/layout.mjs";
import { MANAGER, firstRunDemo, label, open } from "./lib/steps.mjs";
import { waitFor } from "./lib/webdriver.mjs";

const POS_NAME = "Front counter POS";
/** The register sizes the screenshots are taken at. */
const SHOT_SIZES = SIZES.slice(0, 2);

let app;
before(async () => {
  app = await RunningApp.launch({ label: "pos" });
  await firstRunDemo(app);
});
after(async () => app?.close());

/** A TCP port free on 127.0.0.1 now (the API's default 7420 may be taken on a shared machine). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The POS's call: a JSON request to the local API with the bearer token; status and body. */
async function pos(base, token, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/**
 * The screen at each screenshot size: checked, then saved as `<name>-<w>x<h>.png`, scrolled to
 * the top or to the element with the test id `from`.
 */
async function shootSizes(name, from = null) {
  for (const [i, size] of SHOT_SIZES.entries()) {
    await setSize(app, size);
    await app.session.execute(
      "const el = arguments[0] && document.querySelector('[data-testid=\"' + arguments[0] + '\"]'); if (el) el.scrollIntoView({ block: 'start' }); else { window.scrollTo(0, 0); document.querySelector('.screen')?.scrollTo(0, 0); }",
      [from],
    );
    await checkScreen(app, `${name} at ${size.width}×${size.height}`, { axe: i === 0 });
    await app.screenshot(`${name}-${size.width}x${size.height}`);
  }
}

test("a manager turns the API on and creates an integration; the POS records a sale, replays it, and is refused once revoked", () => withFailureShot(app, "9-pos-integration", async () => {
  const s = app.session;
  await setSize(app, SHOT_SIZES[0]);
  await open(app, "integrations");

  // The API: off at first; on for this computer only, on a free port.
  await s.waitAttribute('[data-testid="api-running"]', "data-running", "no");
  const port = await freePort();
  await s.fill("api-port", String(port));
  if (!(await s.property(await s.byId("api-enabled"), "checked"))) await s.clickId("api-enabled");
  assert.equal(await s.property(await s.byId("api-local"), "checked"), true, "this computer only by default");
  await s.clickId("api-save");
  await s.waitAttribute('[data-testid="api-running"]', "data-running", "yes");
  const base = await s.text(await s.byId("api-url"));
  assert.equal(base, `http://127.0.0.1:${port}`, "the API answers on this computer at the port chosen");
  assert.equal(await s.exists('[data-testid="api-problem"]'), false, "no problem starting it");

  // An integration: its token is shown once, in a read-only field with a copy button.
  await s.fill("integration-name", POS_NAME);
  await s.clickId("integration-create");
  const field = await s.byId("integration-token");
  const token = String(await s.property(field, "value"));
  assert.match(token, /^slk_[A-Za-z0-9_-]{40,}$/, "a token");
  assert.match(await s.text(await s.byId("integration-token-warning")), /you will not see it again/);
  await s.byId("integration-token-copy");
  const row = await s.find(`[data-testid^="integration-row-"][data-name="${POS_NAME}"]`);
  const id = (await s.attribute(row, "data-testid")).replace("integration-row-", "");
  assert.ok((await s.text(row)).includes(token.slice(0, 8)), "the list names the token by its prefix");
  assert.ok(!(await s.text(row)).includes(token), "never the whole token");
  await shootSizes("integrations-token", "integration-created");
  await s.clickId("integration-token-done");
  await s.gone('[data-testid="integration-token"]');
  await setSize(app, SHOT_SIZES[0]);

  // The POS names its clerks by its own ids: clerk-07 is the manager.
  await s.fill("integration-clerk-id", "clerk-07");
  await s.click(await s.find(`[data-testid="integration-clerk-user"] option[value="${MANAGER.name}"]`));
  await waitFor("the manager chosen for the clerk", async () => ((await s.property(await s.byId("integration-clerk-user"), "value")) === MANAGER.name ? true : undefined));
  await s.clickId("integration-clerk-save");
  await s.byId("integration-clerk-done");

  // The POS records a sale through the API: 201, a record the Sync screen lists.
  const sale = { ticket_id: "T-9001", budtender: "clerk-07", lines: [{ label: label(5), quantity: "1", price: "12.00" }] };
  const first = await pos(base, token, "POST", "/v1/sales", sale);
  assert.equal(first.status, 201, `the sale is recorded: ${JSON.stringify(first.body)}`);
  assert.equal(first.body.replayed, false);
  assert.equal(first.body.ticket_id, sale.ticket_id);
  assert.equal(first.body.budtender, MANAGER.name, "the mapped clerk sells as the manager");
  const clientId = first.body.client_id;
  await open(app, "sync");
  await s.find(`[data-testid^="entry-row-"][data-client-id="${clientId}"]`, 30_000);

  // The same ticket again (the POS retrying after a timeout): 200, replayed, the same record.
  const again = await pos(base, token, "POST", "/v1/sales", sale);
  assert.equal(again.status, 200, `the same ticket is answered again: ${JSON.stringify(again.body)}`);
  assert.equal(again.body.replayed, true);
  assert.equal(again.body.client_id, clientId, "no second record");
  assert.equal((await s.findAll(`[data-testid^="entry-row-"][data-client-id="${clientId}"]`)).length, 1);

  // The screen shows its use and the calls (the call log is written within a second).
  await open(app, "integrations");
  await waitFor("the integration's last use", async () => ((await s.text(await s.byId(`integration-last-used-${id}`))) !== "never" ? true : await reloadList()), { timeoutMs: 20_000 });
  await waitFor("both calls in the call log", async () => {
    const rows = await s.findAll('[data-testid="integration-call"]');
    if (rows.length >= 2) return true;
    await s.clickId("integration-calls-refresh");
    return undefined;
  }, { timeoutMs: 20_000 });

  // Revoked after a confirmation: the next call is refused with token_revoked.
  await s.clickId(`integration-revoke-${id}`);
  await s.byId("integration-revoke-dialog");
  await s.clickId("integration-revoke-dialog-confirm");
  await s.byId(`integration-revoked-${id}`);
  const refused = await pos(base, token, "POST", "/v1/sales", { ...sale, ticket_id: "T-9002" });
  assert.equal(refused.status, 401, `a revoked token is refused: ${JSON.stringify(refused.body)}`);
  assert.equal(refused.body.code, "token_revoked");
  await waitFor("the refused call in the call log", async () => {
    if (await s.exists('[data-testid="integration-call"][data-code="token_revoked"]')) return true;
    await s.clickId("integration-calls-refresh");
    return undefined;
  }, { timeoutMs: 20_000 });
  await shootSizes("integrations-pos", "integrations-list");
}));

/**
 * A TLS handshake with the API on 127.0.0.1:`port`, as a POS that pins the certificate would:
 * the served certificate's SHA-256 fingerprint, and the status line of `GET /v1/status` with
 * `token` sent over that connection.
 */
function overTls(port, token) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "localhost", ALPNProtocols: ["http/1.1"] }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      let answer = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk) => {
        answer += chunk;
      });
      socket.on("end", () => resolve({ fingerprint, statusLine: answer.split("\r\n")[0] }));
      socket.write(`GET /v1/status HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error("no TLS answer within 15 s")));
    socket.on("error", reject);
  });
}

/** A plain-HTTP request to the TLS-only port: refused or unanswered, never a 200. */
async function plainHttpAnswers(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/status`, { signal: AbortSignal.timeout(5_000) });
    return response.status;
  } catch {
    return null;
  }
}

test("on the store network the API speaks TLS only, with the certificate whose fingerprint the screen shows", () => withFailureShot(app, "9-pos-integration-lan", async () => {
  const s = app.session;
  await setSize(app, SHOT_SIZES[0]);
  await open(app, "integrations");
  await s.waitAttribute('[data-testid="api-running"]', "data-running", "yes");
  const port = Number(await s.property(await s.byId("api-port"), "value"));
  await s.clickId("api-lan");
  await s.clickId("api-save");
  const shown = await s.text(await s.byId("api-fingerprint"));
  assert.match(shown, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, "a SHA-256 fingerprint to pin");
  assert.match(await s.text(await s.byId("api-url")), new RegExp(`^https://.+:${port}$`), "an https address");
  const served = await waitFor("a TLS answer", async () => overTls(port, "slk_not-a-token").catch(() => undefined), { timeoutMs: 15_000 });
  assert.equal(served.fingerprint, shown, "the certificate served is the one the screen says to pin");
  assert.match(served.statusLine, /^HTTP\/1\.1 401/, "over TLS the API answers (an unknown token is refused)");
  assert.notEqual(await plainHttpAnswers(port), 200, "no plain HTTP on the store network");
  await shootSizes("integrations-lan", "api-settings");
  await setSize(app, SHOT_SIZES[0]);
  // Back to this computer only.
  await s.clickId("api-local");
  await s.clickId("api-save");
  await waitFor("the API on this computer again", async () => ((await s.text(await s.byId("api-url"))).startsWith("http://127.0.0.1:") ? true : undefined));
  assert.equal(await s.exists('[data-testid="api-fingerprint"]'), false);
}));

test("a port another program holds: the screen names the problem by its code, and the rest of the app runs on", () => withFailureShot(app, "9-pos-integration-port-taken", async () => {
  const s = app.session;
  await open(app, "integrations");
  const holder = createServer();
  await new Promise((resolve, reject) => {
    holder.once("error", reject);
    holder.listen(0, "127.0.0.1", resolve);
  });
  try {
    await s.fill("api-port", String(holder.address().port));
    await s.clickId("api-save");
    await s.waitAttribute('[data-testid="api-problem"]', "data-code", "api_listen_failed");
    assert.equal(await s.attribute(await s.byId("api-running"), "data-running"), "no", "no API address while it cannot listen");
    assert.match(await s.text(await s.byId("api-problem-message")), /choose another port/);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
  // The register sells on.
  await open(app, "sell");
  await s.byId("scan-input");
}));

/** Opens the Integrations screen again (a fresh read of the list); resolves to undefined to keep polling. */
async function reloadList() {
  await open(app, "sync");
  await open(app, "integrations");
  return undefined;
}
