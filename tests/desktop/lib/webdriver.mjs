/**
 * A minimal W3C WebDriver client over fetch: just what the desktop tests need (sessions, finding
 * elements, text, screenshots). Every request has a deadline, so a stuck driver fails the test
 * instead of hanging it.
 */

const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

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

  text(elementId) {
    return this.cmd("GET", `/element/${elementId}/text`);
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
