/**
 * A minimal W3C WebDriver client over fetch: just what the desktop tests need (sessions, finding
 * elements, clicking, typing, attributes, scripts, screenshots). Every request has a deadline, so a stuck driver fails the test
 * instead of hanging it.
 */

const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** WebDriver key codes for `Session.type`. */
export const Keys = { ENTER: "\uE007", ESCAPE: "\uE00C", BACKSPACE: "\uE003", TAB: "\uE004", END: "\uE010", ARROW_UP: "\uE013", ARROW_DOWN: "\uE015" };

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path} -> ${status}: ${value?.error ?? "?"}: ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.error = value?.error;
  }
}

/** Sends one WebDriver command and returns its `value`, or throws `WebDriverError`. */
export async function command(baseUrl, method, path, body, timeoutMs = 30_000) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebDriverError(method, path, response.status, { error: "not json", message: text.slice(0, 500) });
  }
  if (!response.ok) throw new WebDriverError(method, path, response.status, parsed.value);
  return parsed.value;
}

/** Calls `probe` until it returns something other than `undefined`, or fails after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (lastError ? `: ${lastError.message}` : ""));
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** One WebDriver session: one running app with its window. */
export class Session {
  static async create(baseUrl, capabilities, timeoutMs = 60_000) {
    const value = await command(baseUrl, "POST", "/session", { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
    return new Session(baseUrl, value.sessionId);
  }

  constructor(baseUrl, id) {
    this.baseUrl = baseUrl;
    this.id = id;
  }

  cmd(method, path, body, timeoutMs) {
    return command(this.baseUrl, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  /** The element matching a CSS selector, waiting up to `timeoutMs` for it to appear. */
  async find(selector, timeoutMs = 30_000) {
    const found = await waitFor(`element ${selector}`, async () => {
      const value = await this.cmd("POST", "/element", { using: "css selector", value: selector });
      return value?.[ELEMENT_KEY];
    }, { timeoutMs });
    return found;
  }

  /** Every element matching a CSS selector now (possibly none). */
  async findAll(selector) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: selector });
    return (value ?? []).map((e) => e[ELEMENT_KEY]);
  }

  /** Whether an element matching the selector is in the page now. */
  async exists(selector) {
    return (await this.findAll(selector)).length > 0;
  }

  /** Waits until no element matches the selector. */
  async gone(selector, timeoutMs = 30_000) {
    await waitFor(`${selector} to go away`, async () => ((await this.exists(selector)) ? undefined : true), { timeoutMs });
  }

  text(elementId) {
    return this.cmd("GET", `/element/${elementId}/text`);
  }

  attribute(elementId, name) {
    return this.cmd("GET", `/element/${elementId}/attribute/${encodeURIComponent(name)}`);
  }

  property(elementId, name) {
    return this.cmd("GET", `/element/${elementId}/property/${encodeURIComponent(name)}`);
  }

  click(elementId) {
    return this.cmd("POST", `/element/${elementId}/click`, {});
  }

  clear(elementId) {
    return this.cmd("POST", `/element/${elementId}/clear`, {});
  }

  /** Types into an element (`Keys.ENTER` etc. for special keys). */
  type(elementId, text) {
    return this.cmd("POST", `/element/${elementId}/value`, { text, value: [...text] });
  }

  /** Runs a script in the page (`arguments` are `args`) and returns its result. */
  execute(script, args = [], timeoutMs) {
    return this.cmd("POST", "/execute/sync", { script, args }, timeoutMs);
  }

  /** Runs a script whose last argument is a callback; returns what it is called with. */
  executeAsync(script, args = [], timeoutMs) {
    return this.cmd("POST", "/execute/async", { script, args }, timeoutMs);
  }

  /** The element with this `data-testid`, waiting for it. */
  byId(testId, timeoutMs) {
    return this.find(`[data-testid="${testId}"]`, timeoutMs);
  }

  /** Waits until the element with this `data-testid` is there and enabled; returns it. */
  waitEnabled(testId, timeoutMs = 30_000) {
    const selector = `[data-testid="${testId}"]`;
    return waitFor(`${selector} to be enabled`, async () => {
      const el = await this.find(selector, timeoutMs);
      return (await this.cmd("GET", `/element/${el}/enabled`)) ? el : undefined;
    }, { timeoutMs });
  }

  /**
   * Clicks the element with this `data-testid` once it is there and enabled, scrolled to the
   * middle of its scrolling boxes first (a wide table may hide it to the right).
   */
  async clickId(testId, timeoutMs = 30_000) {
    const el = await this.waitEnabled(testId, timeoutMs);
    await this.execute("arguments[0].scrollIntoView({ block: 'center', inline: 'center' });", [{ [ELEMENT_KEY]: el }]);
    await this.click(el);
  }

  /** An element reference to pass to `execute` as an argument. */
  static ref(elementId) {
    return { [ELEMENT_KEY]: elementId };
  }

  /**
   * Empties the field with this `data-testid`, types `text` into it and waits until it holds it.
   * A controlled React input can put its old value back after WebDriver's clear (seen under load:
   * "1" then typing "1" gave "11"), so the field is emptied by keystrokes until it reads empty,
   * and the whole fill is tried again (three times at most) when it would not empty or the result is not `text`.
   */
  async fill(testId, text) {
    const el = await this.byId(testId);
    const value = async () => String(await this.property(el, "value"));
    let last;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await this.clear(el);
        const left = await value();
        if (left !== "") await this.type(el, Keys.END + Keys.BACKSPACE.repeat(left.length));
        await waitFor(`${testId} to be empty`, async () => ((last = await value()) === "" ? true : undefined), { timeoutMs: 2_000 });
        await this.type(el, text);
        await waitFor(`${testId} to hold what was typed`, async () => ((last = await value()) === text ? true : undefined), { timeoutMs: 3_000 });
        return el;
      } catch (error) {
        if (attempt === 3) throw new Error(`${error.message} (it holds ${JSON.stringify(last)})`);
      }
    }
    return el;
  }

  /** Waits until the element's attribute satisfies `accept` (a value or a predicate); returns it. */
  async waitAttribute(selector, name, accept, timeoutMs = 30_000) {
    const ok = typeof accept === "function" ? accept : (v) => v === String(accept);
    let last;
    return waitFor(`${selector} ${name} (last: ${last})`, async () => {
      const el = await this.find(selector, 2_000);
      last = await this.attribute(el, name);
      return ok(last) ? last : undefined;
    }, { timeoutMs });
  }

  title() {
    return this.cmd("GET", "/title");
  }

  /** A PNG of the window's viewport. */
  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async delete() {
    await this.cmd("DELETE", "", undefined, 15_000);
  }
}
