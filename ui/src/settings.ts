// The settings panel. Every change is saved at once (the shell persists it as
// JSON in the OS config directory and applies it without a restart).

import { api, errorMessage, type About, type DownloadProgress, type FailedFile, type IndexingState, type RerankerModel, type Settings, type Status } from "./api";
import { describePolling } from "./indexing";
import { h, setChildren } from "./dom";

export interface SettingsHost {
  toast(msg: string): void;
  /** An error that stays on screen until dismissed. */
  error(msg: string): void;
  /** Called after settings were saved, with the saved copy. */
  saved(s: Settings): void;
}

const PROVIDERS: [string, string][] = [
  ["auto", "Automatic"],
  ["cpu", "CPU"],
  ["cuda", "CUDA (NVIDIA)"],
  ["coreml", "Core ML (Apple)"],
  ["directml", "DirectML (Windows)"],
];

/**
 * A failed download in words a person can act on; the raw error stays at the
 * end for a bug report. Network failures (no route, no DNS, refused) read as
 * being offline: that is what they almost always are on a desktop.
 */
export function downloadError(id: string, raw: string): string {
  if (/unpinned/i.test(raw)) {
    return `${id} has no published checksum to check it against, so Crumb did not download it. To accept it anyway, press “Download unverified” in Settings (its checksum is then recorded, so a later change is refused) or run: crumb models fetch ${id} --allow-unpinned`;
  }
  if (/sha-?256|checksum|does not match|mismatch/i.test(raw)) {
    return `The download of ${id} did not match its published checksum and was deleted. Press Download to try again; if it fails again, tell us (the file on the server may have changed).`;
  }
  if (/lookup address|dns|resolve|connection refused|connect|unreachable|timed out|network|offline|error sending request/i.test(raw)) {
    return `You seem to be offline: Crumb could not reach the server to download ${id}. Connect to the internet, then press Download again. (${raw})`;
  }
  return `Downloading ${id} failed: ${raw}`;
}

/** Turns a keydown into a Tauri accelerator string such as "CommandOrControl+Shift+Space". */
export function acceleratorFromEvent(e: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): string | null {
  if (["Control", "Meta", "Alt", "Shift"].includes(e.key)) return null;
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push("CommandOrControl");
  if (e.altKey) parts.push("Alt");
  if (e.shiftKey) parts.push("Shift");
  if (parts.length === 0) return null; // a bare key would steal typing everywhere
  let key = e.code;
  if (key.startsWith("Key")) key = key.slice(3);
  else if (key.startsWith("Digit")) key = key.slice(5);
  parts.push(key);
  return parts.join("+");
}

export class SettingsPanel {
  private settings: Settings | null = null;
  private models: RerankerModel[] = [];
  private status: Status | null = null;
  private failed: FailedFile[] = [];
  private indexing: IndexingState | null = null;
  private problems: string[] = [];
  private downloads = new Map<string, number>();
  /** Models whose download was refused for want of a published checksum: their button now asks for the person's consent. */
  private unverifiedOffered = new Set<string>();
  private about: About | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: SettingsHost,
  ) {}

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  async open(): Promise<void> {
    // Marked loaded only once fresh data is rendered: tests wait on it.
    this.root.dataset.loaded = "false";
    this.root.hidden = false;
    await this.refresh();
  }

  close(): void {
    this.root.hidden = true;
  }

  async refresh(): Promise<void> {
    const [settings, models, status, failed, problems, indexing, about] = await Promise.all([
      api.getSettings(),
      api.models().catch(() => [] as RerankerModel[]),
      api.status().catch(() => null),
      api.failedFiles().catch(() => [] as FailedFile[]),
      api.modelProblems().catch(() => [] as string[]),
      api.indexingState().catch(() => null),
      api.about().catch(() => null),
    ]);
    this.about = about;
    this.indexing = indexing;
    this.problems = problems;
    this.settings = settings;
    this.models = models;
    this.status = status;
    this.failed = failed;
    this.render();
  }

  downloadProgress(p: DownloadProgress): void {
    const finished = p.total > 0 && p.done >= p.total;
    if (finished) this.downloads.delete(p.id);
    else this.downloads.set(p.id, p.total > 0 ? p.done / p.total : 0);
    if (p.error) {
      // A refusal for want of a checksum offers the person's own consent next.
      if (/unpinned/i.test(p.error)) this.unverifiedOffered.add(p.id);
      this.host.error(downloadError(p.id, p.error));
    }
    if (!this.isOpen) return;
    // Progress only redraws; the end of a download re-reads what is installed.
    if (finished) void this.refresh();
    else this.render();
  }

  private async save(change: (s: Settings) => void): Promise<void> {
    if (!this.settings) return;
    const next: Settings = structuredClone(this.settings);
    change(next);
    try {
      this.settings = await api.saveSettings(next);
      this.host.saved(this.settings);
      this.host.toast("Saved");
    } catch (e) {
      this.host.toast(errorMessage(e));
    }
    this.render();
  }

  private render(): void {
    const s = this.settings;
    if (!s) return;
    // Re-rendering rebuilds the panel; keep the reader where they were.
    const scrollTop = this.root.querySelector(".settings-body")?.scrollTop ?? 0;
    const close = h("button", { class: "btn", id: "settings-close", type: "button" }, "Done");
    close.addEventListener("click", () => this.close());
    setChildren(
      this.root,
      h("div", { class: "settings-head" }, h("h1", { id: "settings-title" }, "Settings"), close),
      h(
        "div",
        { class: "settings-body" },
        this.foldersSection(s),
        this.indexSection(),
        this.ocrSection(s),
        this.rerankSection(s),
        ...[this.embedderSection()].filter((x): x is HTMLElement => x !== null),
        this.modelsSection(s),
        this.providerSection(s),
        this.shortcutSection(s),
        aboutSection(this.about),
      ),
    );
    const body = this.root.querySelector(".settings-body");
    if (body) body.scrollTop = scrollTop;
    this.root.dataset.loaded = "true";
  }

  private foldersSection(s: Settings): HTMLElement {
    const list = h("ul", { id: "folder-list" });
    for (const f of s.folders) {
      const rm = h("button", { class: "link-btn", type: "button" }, "Remove");
      rm.addEventListener("click", () => void this.save((n) => (n.folders = n.folders.filter((x) => x !== f))));
      list.appendChild(h("li", { class: "item" }, h("span", { class: "path" }, f), rm));
    }
    if (s.folders.length === 0) list.appendChild(h("li", { class: "item quiet" }, "No folders yet."));
    const pick = h("button", { class: "btn", type: "button", id: "folder-pick" }, "Add folder…");
    pick.addEventListener("click", async () => {
      const folder = await api.pickFolder().catch((e) => (this.host.toast(errorMessage(e)), null));
      if (folder) await this.save((n) => n.folders.includes(folder) || n.folders.push(folder));
    });
    const pathInput = h("input", { type: "text", id: "folder-path", placeholder: "or type a folder path", spellcheck: "false" });
    const addPath = h("button", { class: "btn", type: "button", id: "folder-add-path" }, "Add");
    const addTyped = () => {
      const v = pathInput.value.trim();
      if (v) void this.save((n) => n.folders.includes(v) || n.folders.push(v));
    };
    addPath.addEventListener("click", addTyped);
    pathInput.addEventListener("keydown", (e) => e.key === "Enter" && addTyped());

    const excl = h("ul", { id: "exclusion-list" });
    for (const x of s.exclusions) {
      const rm = h("button", { class: "link-btn", type: "button" }, "Remove");
      rm.addEventListener("click", () => void this.save((n) => (n.exclusions = n.exclusions.filter((y) => y !== x))));
      excl.appendChild(h("li", { class: "item" }, h("span", { class: "path" }, x), rm));
    }
    const exInput = h("input", { type: "text", id: "exclusion-input", placeholder: "e.g. node_modules or *.log", spellcheck: "false" });
    const exAdd = h("button", { class: "btn", type: "button" }, "Exclude");
    exAdd.addEventListener("click", () => {
      const v = exInput.value.trim();
      if (v) void this.save((n) => n.exclusions.includes(v) || n.exclusions.push(v));
    });
    return h(
      "section",
      {},
      h("h2", {}, "Folders"),
      list,
      h("div", { class: "row" }, pick, pathInput, addPath),
      h("h2", {}, "Exclusions"),
      h("p", { class: "quiet" }, "Gitignore-style patterns. Changes apply from the next start of Crumb."),
      excl,
      h("div", { class: "row" }, exInput, exAdd),
    );
  }

  private indexSection(): HTMLElement {
    const st = this.status;
    const count = (n: number | undefined, label: string, id: string) =>
      h("div", { class: "count", id }, h("b", {}, (n ?? 0).toLocaleString()), h("span", {}, label));
    const reindex = h("button", { class: "btn", type: "button", id: "reindex-btn" }, "Index now");
    reindex.addEventListener("click", () => void api.startIndexing().catch((e) => this.host.toast(errorMessage(e))));
    const retry = h("button", { class: "btn", type: "button", id: "retry-failed", disabled: this.failed.length === 0 }, "Retry failed files");
    retry.addEventListener("click", () => {
      retry.disabled = true;
      retry.textContent = "Retrying…";
      api
        .retryFailed()
        .then(() => this.refresh())
        .catch((e) => {
          this.host.toast(errorMessage(e));
          return this.refresh();
        });
    });
    const failedList = h("ul", { id: "failed-list" });
    for (const f of this.failed.slice(0, 200)) {
      failedList.appendChild(
        h("li", { class: "item" }, h("div", { class: "path" }, f.path, h("div", { class: "reason" }, f.reason))),
      );
    }
    return h(
      "section",
      {},
      h("h2", {}, "Index"),
      h(
        "div",
        { class: "counts" },
        count(st?.files_indexed, "files indexed", "count-indexed"),
        count(st?.files_failed, "failed", "count-failed"),
        count(st?.files_skipped, "skipped", "count-skipped"),
        count(st?.passages, "passages", "count-passages"),
        count(st?.vectors, "vectors", "count-vectors"),
      ),
      h("div", { class: "row" }, reindex, retry),
      this.liveRow(),
      this.failed.length > 0 ? h("h2", {}, `Extraction problems (${this.failed.length})`) : null,
      failedList,
    );
  }

  /** Live updates: what the watcher is doing, and pause/resume. */
  private liveRow(): HTMLElement | null {
    const ix = this.indexing;
    if (!ix || !(ix.watching || ix.running || ix.paused)) return null;
    const polling = describePolling(ix.polling ?? []);
    const text = ix.paused
      ? "Live updates paused: changes are applied on resume."
      : (polling ?? "Live updates on: changes are indexed as you save them.");
    const toggle = h("button", { class: "btn", type: "button", id: "live-toggle", "data-action": ix.paused ? "resume" : "pause" }, ix.paused ? "Resume" : "Pause");
    toggle.addEventListener("click", () => {
      const p = ix.paused ? api.resumeIndexing() : api.pauseIndexing();
      void p.then(() => this.refresh()).catch((e) => this.host.toast(errorMessage(e)));
    });
    return h("div", { class: "row", id: "live-row" }, h("span", { class: "quiet", id: "live-status" }, text), toggle);
  }

  /** Text recognition (OCR) of scans and images: on or off. */
  private ocrSection(s: Settings): HTMLElement {
    const on = h("input", { type: "checkbox", id: "ocr-enabled", checked: s.ocr_enabled });
    on.addEventListener("change", () => void this.save((n) => (n.ocr_enabled = on.checked)));
    const left = this.indexing?.ocr_pending ?? 0;
    const note = s.ocr_enabled
      ? "Scanned pages and images are read after the other files, so those are searchable first."
      : "Off: scanned pages and images are found by name only; they wait, and are read when this is turned on.";
    return h(
      "section",
      {},
      h("h2", {}, "Text recognition"),
      h("div", { class: "row" }, h("label", { for: "ocr-enabled" }, "Recognise text in scanned pages and images (OCR)"), on),
      h("div", { class: "quiet", id: "ocr-note" }, left > 0 ? `${note} ${left.toLocaleString()} pages wait.` : note),
    );
  }

  private rerankSection(s: Settings): HTMLElement {
    const on = h("input", { type: "checkbox", id: "rerank-enabled", checked: s.rerank_enabled });
    on.addEventListener("change", () => void this.save((n) => (n.rerank_enabled = on.checked)));
    const cand = h("input", { type: "number", id: "rerank-candidates", min: "5", max: "200", step: "5", value: String(s.rerank_candidates) });
    cand.addEventListener("change", () => {
      const v = Math.round(Number(cand.value));
      if (Number.isFinite(v) && v >= 5 && v <= 200) void this.save((n) => (n.rerank_candidates = v));
    });
    // What the reranker reads of each file: a window around the matches.
    // Shorter is faster; the whole 512-token window reads most context.
    const win = h("select", { id: "rerank-window" });
    for (const [v, label] of [
      [0, "Automatic (192 on a CPU, 512 on a GPU)"],
      [128, "128 tokens (fastest)"],
      [192, "192 tokens"],
      [256, "256 tokens"],
      [384, "384 tokens"],
      [512, "512 tokens (most context)"],
    ] as const) {
      win.append(h("option", { value: String(v), selected: s.rerank_window === v }, label));
    }
    win.addEventListener("change", () => void this.save((n) => (n.rerank_window = Number(win.value))));
    return h(
      "section",
      {},
      h("h2", {}, "Reranking"),
      h("div", { class: "row" }, h("label", { for: "rerank-enabled" }, "Rerank the top results with a cross-encoder"), on),
      h("div", { class: "row" }, h("label", { for: "rerank-candidates" }, "Files to rerank"), cand),
      h("div", { class: "row" }, h("label", { for: "rerank-window" }, "Text read per file"), win),
    );
  }

  /** Download button, progress bar, or where the model is. */
  private modelAction(m: RerankerModel): HTMLElement {
    const progress = this.downloads.get(m.id);
    if (progress !== undefined) return h("progress", { max: "1", value: String(progress) });
    if (m.installed) return h("span", { class: "meta" }, m.bundled ? "bundled" : "installed");
    const unverified = this.unverifiedOffered.has(m.id);
    const button = h(
      "button",
      { class: "btn", type: "button", id: `download-${m.id}`, title: unverified ? "No published checksum: its checksum is recorded at download, so a later change is refused" : "" },
      unverified ? "Download unverified" : "Download",
    );
    button.addEventListener("click", () => {
      // Busy at once: the first progress event can take a moment (DNS, a
      // resumed partial file), and a second click would start a second download.
      button.disabled = true;
      button.textContent = "Starting…";
      void api.downloadModel(m.id, unverified).catch((e) => {
        button.disabled = false;
        button.textContent = unverified ? "Download unverified" : "Download";
        this.host.error(downloadError(m.id, errorMessage(e)));
      });
    });
    return button;
  }

  private embedderSection(): HTMLElement | null {
    const m = this.models.find((x) => x.role === "embedder");
    if (!m) return null;
    return h(
      "section",
      { id: "embedder" },
      h("h2", {}, "Meaning search"),
      h(
        "div",
        { class: "model-row" },
        h("span", {}, `${m.id} — ${m.label}`),
        h("span", { class: "meta" }, `${m.size_mb.toLocaleString()} MB`),
        this.modelAction(m),
      ),
      m.installed ? h("span", {}) : h("div", { class: "quiet" }, "Not installed: search matches words only until it is downloaded."),
    );
  }

  private modelsSection(s: Settings): HTMLElement {
    const rows = this.models.filter((m) => m.role !== "embedder").map((m) => {
      const radio = h("input", { type: "radio", name: "reranker", value: m.id, id: `model-${m.id}`, checked: s.reranker === m.id, disabled: !m.installed });
      radio.addEventListener("change", () => radio.checked && void this.save((n) => (n.reranker = m.id)));
      const action = this.modelAction(m);
      return h(
        "div",
        { class: "model-row" },
        radio,
        h("label", { for: `model-${m.id}` }, m.label),
        h("span", { class: "meta" }, `${m.size_mb.toLocaleString()} MB`),
        h("span", { class: "meta", title: "Median search time with this reranker on this computer" }, m.latency_ms === null ? "latency —" : `${Math.round(m.latency_ms)} ms`),
        action,
      );
    });
    return h("section", { id: "models" }, h("h2", {}, "Reranker model"), ...rows);
  }

  private providerSection(s: Settings): HTMLElement {
    const sel = h("select", { id: "provider" });
    for (const [v, label] of PROVIDERS) sel.appendChild(h("option", { value: v, selected: s.provider === v }, label));
    sel.addEventListener("change", () => void this.save((n) => (n.provider = sel.value)));
    const inUse = (this.status?.models ?? []).map((m) => `${m.role}: ${m.id} on ${m.provider}`).join(" · ");
    return h(
      "section",
      {},
      h("h2", {}, "Execution provider"),
      h("div", { class: "row" }, h("label", { for: "provider" }, "Run models on"), sel),
      h("div", { class: "quiet", id: "provider-in-use" }, inUse ? `In use — ${inUse}` : "No model loaded: keyword search only."),
      ...this.problems.map((p) => h("div", { class: "reason" }, p)),
    );
  }

  private shortcutSection(s: Settings): HTMLElement {
    const input = h("input", { type: "text", id: "shortcut", value: s.shortcut, readonly: true, title: "Click, then press the new shortcut" });
    input.addEventListener("keydown", (e) => {
      e.preventDefault();
      const acc = acceleratorFromEvent(e);
      if (acc) void this.save((n) => (n.shortcut = acc));
    });
    const hidden = h("input", { type: "checkbox", id: "start-hidden", checked: s.start_hidden_at_login });
    hidden.addEventListener("change", () => void this.save((n) => (n.start_hidden_at_login = hidden.checked)));
    return h(
      "section",
      {},
      h("h2", {}, "Desktop"),
      h("div", { class: "row" }, h("label", { for: "shortcut" }, "Shortcut to show Crumb (click, then press keys)"), input),
      h("div", { class: "row" }, h("label", { for: "start-hidden" }, "Start at login, hidden in the tray"), hidden),
    );
  }
}

/**
 * The About box. A bundle built from stand-in models (no model hub) says so
 * here, in words, so a stand-in is never taken for the real model.
 */
export function aboutSection(about: About | null): HTMLElement {
  const rows: HTMLElement[] = [h("div", { class: "row", id: "about-version" }, `Crumb ${about?.version ?? ""}`.trim())];
  const tb = about?.test_bundle;
  if (tb) {
    const summary = typeof tb === "string" ? tb : (tb.summary ?? "Test bundle: the bundled models are stand-ins.");
    rows.push(h("div", { class: "reason", id: "about-test-bundle" }, `TEST BUNDLE — ${summary}`));
    if (typeof tb !== "string") {
      for (const [model, note] of Object.entries(tb.models ?? {})) {
        rows.push(h("div", { class: "quiet" }, `${model}: ${note}`));
      }
    }
  }
  if (about?.resource_dir) rows.push(h("div", { class: "quiet", id: "about-resources" }, `Bundled resources: ${about.resource_dir}`));
  return h("section", { id: "about" }, h("h2", {}, "About"), ...rows);
}
