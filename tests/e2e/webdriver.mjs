// A minimal W3C WebDriver client over fetch: enough to drive the Crumb window
// through tauri-driver without pulling in a test framework.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async call(method, path, body) {
    const url = this.session && !path.startsWith("/session") ? `${this.base}/session/${this.session}${path}` : `${this.base}${path}`;
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      throw new Error(`${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`.trim());
    }
    return json.value;
  }

  async start(application) {
    const value = await this.call("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
    });
    this.session = value.sessionId;
  }

  async stop() {
    if (!this.session) return;
    const id = this.session;
    this.session = null;
    await this.call("DELETE", `/session/${id}`).catch(() => {});
  }

  async find(css) {
    const v = await this.call("POST", "/element", { using: "css selector", value: css });
    return v[ELEMENT];
  }

  async findAll(css) {
    const v = await this.call("POST", "/elements", { using: "css selector", value: css });
    return v.map((e) => e[ELEMENT]);
  }

  /** Finds and clicks, finding again if a re-render replaced the element. */
  async clickCss(css) {
    for (let i = 0; ; i++) {
      try {
        return await this.click(await this.find(css));
      } catch (e) {
        if (i >= 20 || !/stale|no such element/.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  click(el) {
    return this.call("POST", `/element/${el}/click`, {});
  }

  type(el, text) {
    return this.call("POST", `/element/${el}/value`, { text });
  }

  clear(el) {
    return this.call("POST", `/element/${el}/clear`, {});
  }

  text(el) {
    return this.call("GET", `/element/${el}/text`);
  }

  /**
   * Presses keys in the focused element, as a person would (WebDriver
   * actions): `mods` (say "\uE008" for Shift) are held while `keys` are
   * pressed one after the other.
   */
  keys(keys, mods = []) {
    const down = (value) => ({ type: "keyDown", value });
    const up = (value) => ({ type: "keyUp", value });
    const actions = [...mods.map(down), ...[...keys].flatMap((k) => [down(k), up(k)]), ...mods.map(up)];
    return this.call("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
  }

  /** Runs a script in the page. Used for reading state, never for acting. */
  exec(script, args = []) {
    return this.call("POST", "/execute/sync", { script, args });
  }

  /** Polls `f` until it returns a truthy value or the time runs out. */
  async until(what, f, timeoutMs = 20000, everyMs = 100) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
      try {
        last = await f();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})`);
  }
}
