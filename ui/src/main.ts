// Wires the search window together: input, filters, results, the "why" panel,
// indexing status and settings.

import "./style.css";
import { api, events, type Boot, type Hit, type IndexingState, type SearchArgs, type Settings, type Status } from "./api";
import { byId } from "./dom";
import { fileName, folderOf } from "./format";
import { renderEmpty } from "./empty";
import { IndexingStrip } from "./indexing";
import { RecognitionLine } from "./recognition";
import { humane, Notices } from "./notice";
import { PreviewPane } from "./preview";
import { followSelection } from "./ranking";
import { renderResults, renderWhy } from "./results";
import { SearchController, type Phase } from "./search";
import { SettingsPanel } from "./settings";
import { countLabel, sortHits, type SortKey } from "./sort";
import { keystroke, painted } from "./timings";

const KINDS: [string, string][] = [
  ["pdf", "PDF"], ["docx", "Word"], ["xlsx", "Excel"], ["pptx", "PowerPoint"], ["odt", "OpenDocument text"],
  ["ods", "OpenDocument spreadsheet"], ["odp", "OpenDocument presentation"],
  ["epub", "EPUB"], ["html", "HTML"], ["markdown", "Markdown"], ["text", "Text"], ["code", "Code"],
  ["email", "E-mail"], ["rtf", "RTF"], ["doc", "Word (legacy)"], ["xls", "Excel (legacy)"], ["ppt", "PowerPoint (legacy)"],
  ["image", "Image (recognised text)"],
];

const el = {
  q: byId<HTMLInputElement>("q"),
  kind: byId<HTMLSelectElement>("f-kind"),
  folder: byId<HTMLSelectElement>("f-folder"),
  date: byId<HTMLSelectElement>("f-date"),
  count: byId("result-count"),
  results: byId<HTMLUListElement>("results"),
  empty: byId("empty"),
  why: byId("why"),
  rerank: byId("rerank-indicator"),
  toast: byId("toast"),
  pause: byId<HTMLButtonElement>("pause-btn"),
  weak: byId("weak-notice"),
  help: byId("help"),
  preview: byId("preview"),
  sort: byId<HTMLSelectElement>("f-sort"),
  meaning: byId("meaning-notice"),
};

/** Files fetched per page of results; scrolling to the end fetches more. */
const PAGE = 50;
/** The most the shell returns for one query. */
const MAX_RESULTS = 200;

function toggleHelp(force?: boolean): void {
  el.help.hidden = !(force ?? el.help.hidden);
}

const state = {
  boot: null as Boot | null,
  settings: null as Settings | null,
  /** The hits as shown (sorted as chosen). */
  hits: [] as Hit[],
  /** The same hits in the engine's order. */
  ranked: [] as Hit[],
  sort: "relevance" as SortKey,
  /** Files asked for: grows by a page when the list is scrolled to its end. */
  limit: PAGE,
  /** A longer list is being fetched for the same query: keep the scroll. */
  loadingMore: false,
  selected: -1,
  reranked: false,
  /** The engine found no strong match: the hits are the closest there are. */
  weak: false,
  whyOpen: false,
  /** The user moved the selection for this query: keep it on their file. */
  userMoved: false,
  query: "",
  error: null as string | null,
  filesIndexed: 0,
  /** An embedder is loaded, so hits are found by meaning too. */
  meaning: false,
  /** The true count of files matching the words, for the query and filters in `countKey`. */
  matching: null as number | null,
  countKey: "",
  indexing: { running: false, paused: false, watching: false, step: null, last_error: null, polling: [], updates: 0, ocr_pending: 0, ocr_paused: false, ocr_stopping: false, ocr_off: false } as IndexingState,
};

const notices = new Notices(byId("notices"));

let toastTimer: ReturnType<typeof setTimeout> | null = null;
function toast(msg: string): void {
  el.toast.textContent = msg;
  el.toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.toast.hidden = true), 2200);
}

function filtered(): boolean {
  return el.kind.value !== "" || el.folder.value !== "" || el.date.value !== "";
}

function searchArgs(): SearchArgs {
  const days = Number(el.date.value);
  const s = state.settings;
  return {
    query: el.q.value,
    limit: state.limit,
    mode: "hybrid",
    rerank: s?.rerank_enabled ?? true,
    kinds: el.kind.value ? [el.kind.value] : [],
    folder: el.folder.value || null,
    modified_after: days > 0 ? Math.floor(Date.now() / 1000) - days * 86400 : null,
    modified_before: null,
  };
}

const callbacks = {
  select: (i: number) => select(i),
  open: (i: number) => openHit(i, false),
  why: (i: number) => {
    select(i);
    toggleWhy(true);
  },
};

function paint(): void {
  renderResults(el.results, state.hits, state.selected, state.boot?.home ?? null, callbacks, !state.loadingMore);
  el.results.dataset.reranked = String(state.reranked);
  // Weak results stay visible, but under a line that says what they are.
  const weak = state.weak && state.hits.length > 0;
  el.results.classList.toggle("weak", weak);
  el.weak.hidden = !weak;
  if (weak) {
    const strong = document.createElement("strong");
    strong.textContent = "No strong match";
    el.weak.replaceChildren(strong, ` for “${state.query.trim()}”. These are the closest results.`);
  } else {
    el.weak.replaceChildren();
  }
  paintCount();
  if (state.hits.length > 0) {
    el.empty.replaceChildren();
    el.empty.dataset.state = "results";
  } else {
    renderEmpty(
      el.empty,
      {
        query: state.query,
        filtered: filtered(),
        filesIndexed: state.filesIndexed,
        indexing: state.indexing.running,
        hasFolders: (state.settings?.folders.length ?? 0) > 0,
        firstRun: state.boot?.first_run ?? false,
        suggestedFolder: state.boot?.suggested_folder ?? null,
        error: state.error,
        meaning: state.meaning,
      },
      {
        indexSuggested: () => void indexSuggested(),
        openSettings: () => void settings.open(),
        clearFilters: () => {
          el.kind.value = el.folder.value = el.date.value = "";
          void controller.now(searchArgs());
        },
      },
    );
  }
  const hit = state.whyOpen ? (state.hits[state.selected] ?? null) : null;
  renderWhy(el.why, hit, state.selected, state.reranked);
}

/** The count line alone: a count that arrives must not rebuild the rows under the person's selection. */
function paintCount(): void {
  el.count.textContent = countLabel(state.hits.length, state.limit, state.countKey === countKey(searchArgs()) ? state.matching : null);
}

function select(i: number): void {
  if (state.hits.length === 0) return;
  state.userMoved = true;
  state.selected = Math.max(0, Math.min(i, state.hits.length - 1));
  paint();
  preview.follow(state.hits[state.selected] ?? null, state.query);
}

function toggleWhy(force?: boolean): void {
  state.whyOpen = force ?? !state.whyOpen;
  // The why panel and the preview share the side of the window.
  if (state.whyOpen && preview.open) preview.toggle(null, "", false);
  paint();
}

async function openHit(i: number, reveal: boolean): Promise<void> {
  const hit = state.hits[i];
  if (!hit) return;
  try {
    // Only the index id crosses to the shell; it looks the path up itself.
    if (reveal) {
      await api.revealHit(hit.file_id);
    } else {
      const opened = await api.openHit(hit.file_id, hit.location);
      // Say so when the program could not be asked for the hit's page or line.
      if (opened.note) notices.show(opened.note);
      else if (opened.at) toast(`Opened ${fileName(hit.path)} at ${opened.at}`);
    }
  } catch (e) {
    notices.error(e);
  }
}

const view = {
  show(hits: Hit[], reranked: boolean, query: string, weak = false) {
    if (query !== state.query) state.userMoved = false;
    // Until the user picks a row, the selection stays on the best result,
    // so the reranker's top pick is what Enter opens.
    const sorted = sortHits(hits, state.sort);
    state.selected = state.userMoved ? followSelection(state.hits, sorted, state.selected) : sorted.length > 0 ? 0 : -1;
    state.ranked = hits;
    state.hits = sorted;
    state.reranked = reranked;
    state.weak = weak;
    state.query = query;
    state.error = null;
    paint();
    document.body.dataset.query = query;
    painted(query, reranked);
    // After the paint, and only when open: the preview waits for the
    // selection to settle, so typing never waits on it.
    preview.follow(state.hits[state.selected] ?? null, query);
  },
  phase(p: Phase, detail?: unknown) {
    el.rerank.hidden = p !== "reranking";
    document.body.dataset.phase = p;
    // The longer list is in (or failed): later paints may scroll again.
    if (p === "done" || p === "error") state.loadingMore = false;
    if (p === "done") askCount();
    if (p === "error") {
      state.hits = [];
      state.query = el.q.value;
      state.error = humane(detail);
      paint();
    }
  },
};

/** What the count depends on: the query and the filters, not the page size. */
function countKey(args: SearchArgs): string {
  return JSON.stringify({ ...args, limit: 0, rerank: false });
}

/**
 * A full page asks, once per query and filters, how many files match the
 * words: after the paint, so typing never waits for the count.
 */
function askCount(): void {
  const args = searchArgs();
  const key = countKey(args);
  if (state.hits.length < state.limit || state.countKey === key) return;
  state.countKey = key;
  state.matching = null;
  api
    .countResults(args)
    .then((n) => {
      if (state.countKey !== key) return;
      state.matching = n;
      paintCount();
    })
    .catch(() => {
      // The "50+" stays: a count is a nicety, not worth an error notice.
    });
}

const preview = new PreviewPane(el.preview, (hit, query) => api.preview(hit.file_id, hit.passage_id, query), (e) => notices.error(e));

function togglePreview(force?: boolean): void {
  preview.toggle(state.hits[state.selected] ?? null, state.query, force);
  if (preview.open && state.whyOpen) {
    state.whyOpen = false;
    paint();
  }
}

/** A new query or filter starts again from the first page. */
function firstPage(): void {
  state.limit = PAGE;
  state.loadingMore = false;
}

/** Near the end of the list, a full page means there may be more: fetch them. */
function maybeMore(): void {
  const r = el.results;
  // Rows past the first screenful are built a frame later; until they are,
  // the list only looks short.
  if (r.childElementCount < state.hits.length) return;
  const nearEnd = r.scrollTop + r.clientHeight >= r.scrollHeight - 120;
  if (!nearEnd || state.loadingMore || state.hits.length < state.limit || state.limit >= MAX_RESULTS) return;
  state.limit = Math.min(MAX_RESULTS, state.limit + PAGE);
  state.loadingMore = true;
  void controller.now(searchArgs());
}

function resort(key: SortKey): void {
  const keep = state.hits[state.selected]?.file_id;
  state.sort = key;
  state.hits = sortHits(state.ranked, key);
  const i = state.hits.findIndex((h) => h.file_id === keep);
  state.selected = i >= 0 ? i : state.hits.length > 0 ? 0 : -1;
  document.body.dataset.sort = key;
  paint();
}

/** Whether a key press is meant for a text field rather than the window. */
function typingInField(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

const controller = new SearchController((args, seq, onStage) => api.search(args, seq, onStage), view);

const settings = new SettingsPanel(byId("settings"), {
  toast,
  error: (msg) => notices.show(msg, "error"),
  saved: (s) => {
    state.settings = s;
    void fillFolderFilter();
    paint();
  },
});

/**
 * The folder filter lists what is indexed: each root and the subfolders
 * that hold files, indented under it. Until the index answers, the roots.
 */
async function fillFolderFilter(): Promise<void> {
  const current = el.folder.value;
  const roots = state.settings?.folders ?? [];
  let folders = roots.map((path) => ({ path, files: 0 }));
  try {
    const indexed = await api.indexedFolders();
    if (indexed.length > 0) folders = indexed;
  } catch {
    // The roots alone still filter.
  }
  const home = state.boot?.home ?? null;
  const options = [new Option("All folders", "")];
  for (const f of folders) {
    const root = roots.filter((r) => f.path === r || f.path.startsWith(r + "/")).sort((a, b) => b.length - a.length)[0];
    const depth = root ? f.path.slice(root.length).split("/").filter(Boolean).length : 0;
    const name = depth === 0 ? folderOf(f.path + "/x", home) : fileName(f.path);
    const label = `${"\u2003".repeat(depth)}${name}${f.files > 0 ? ` (${f.files})` : ""}`;
    options.push(new Option(label, f.path, false, f.path === current));
  }
  el.folder.replaceChildren(...options);
}

/** The type filter offers the kinds that are indexed (and the one chosen). */
function fillKindFilter(status: Status): void {
  const current = el.kind.value;
  const options = [new Option("All types", "")];
  for (const [v, label] of KINDS) {
    const n = status.by_type[v]?.indexed ?? 0;
    if (n > 0 || v === current) options.push(new Option(`${label} (${n})`, v, false, v === current));
  }
  el.kind.replaceChildren(...options);
}

/**
 * Says when meaning search is off, or still catching up, with one click to
 * the model settings that fix it.
 */
function showMeaning(status: Status): void {
  const embedder = status.models.find((m) => m.role === "embedder");
  state.meaning = !!embedder;
  const ready = status.passages > 0 ? Math.min(1, status.vectors / status.passages) : 1;
  let text: string | null = null;
  if (!embedder) text = "Meaning search is off: results match your words only.";
  else if (ready < 0.995) text = `Meaning search: ${Math.floor(ready * 100)}% of passages ready; the rest match by words until then.`;
  el.meaning.hidden = text === null;
  el.meaning.dataset.state = !embedder ? "off" : text ? "embedding" : "on";
  if (!text) {
    el.meaning.replaceChildren();
    return;
  }
  const fix = document.createElement("button");
  fix.type = "button";
  fix.className = "link-btn";
  fix.id = "meaning-fix";
  fix.textContent = embedder ? "Model settings" : "Turn on meaning search";
  fix.addEventListener("click", () => void openModelSettings());
  el.meaning.replaceChildren(text + " ", fix);
}

/** Opens Settings at its models. */
async function openModelSettings(): Promise<void> {
  await settings.open();
  (document.getElementById("embedder") ?? document.getElementById("models"))?.scrollIntoView({ block: "start" });
}

async function indexSuggested(): Promise<void> {
  const folder = state.boot?.suggested_folder;
  if (!folder || !state.settings) return;
  try {
    state.settings = await api.saveSettings({ ...state.settings, folders: [...state.settings.folders, folder] });
    if (state.boot) state.boot.first_run = false;
    void fillFolderFilter();
    paint();
  } catch (e) {
    notices.error(e);
  }
}

async function refreshCount(): Promise<void> {
  try {
    const status = await api.status();
    state.filesIndexed = status.files_indexed;
    fillKindFilter(status);
    showMeaning(status);
  } catch {
    // The status is decoration here; search still works without it.
  }
}

const strip = new IndexingStrip(
  byId("index-strip"),
  byId<HTMLProgressElement>("index-progress"),
  byId("index-label"),
  el.pause,
  byId("watch-notice"),
);

const ocrLine = new RecognitionLine(byId("ocr-line"), byId("ocr-label"), byId<HTMLButtonElement>("ocr-btn"));

function onIndexing(s: IndexingState): void {
  const prev = state.indexing;
  state.indexing = s;
  strip.update(s, state.boot?.home ?? null);
  ocrLine.update(s);
  // Searchable while indexing: refresh the count (and the open query) as
  // batches land, when the run ends, and when a live update changed files.
  if (s.step?.step === "committing" || (prev.running && !s.running) || s.updates !== prev.updates) {
    if (!s.running) void fillFolderFilter();
    void refreshCount().then(() => {
      if (el.q.value.trim()) void controller.now(searchArgs());
      else paint();
    });
    if (settings.isOpen) void settings.refresh();
  }
}

el.q.addEventListener("input", () => {
  keystroke();
  firstPage();
  controller.schedule(searchArgs);
});
for (const f of [el.kind, el.folder, el.date])
  f.addEventListener("change", () => {
    firstPage();
    void controller.now(searchArgs());
  });
el.sort.addEventListener("change", () => resort(el.sort.value as SortKey));
el.results.addEventListener("scroll", maybeMore, { passive: true });
byId("settings-btn").addEventListener("click", () => void settings.open());
byId("help-btn").addEventListener("click", () => toggleHelp());
el.pause.addEventListener("click", () => {
  const p = el.pause.dataset.action === "pause" ? api.pauseIndexing() : api.resumeIndexing();
  p.catch((e) => notices.error(e));
});
byId<HTMLButtonElement>("ocr-btn").addEventListener("click", (e) => {
  const btn = e.currentTarget as HTMLButtonElement;
  const p = btn.dataset.action === "pause" ? api.pauseRecognition() : api.resumeRecognition();
  p.catch((err) => notices.error(err));
});

document.addEventListener("keydown", (e) => {
  if (settings.isOpen) {
    if (e.key === "Escape") settings.close();
    return;
  }
  const mod = e.ctrlKey || e.metaKey;
  if (e.key === "F1") {
    e.preventDefault();
    toggleHelp();
  } else if (e.key === "Escape" && !el.help.hidden) {
    e.preventDefault();
    toggleHelp(false);
  } else if (e.key === "Escape" && preview.open) {
    e.preventDefault();
    togglePreview(false);
  } else if (e.key === "Tab" && !e.shiftKey && e.target === el.q && state.hits.length > 0) {
    // From the search box straight to the list, where Space previews.
    e.preventDefault();
    el.results.focus();
  } else if (e.key === " " && !typingInField(e) && state.selected >= 0) {
    e.preventDefault();
    togglePreview();
  } else if (e.key === "F3") {
    e.preventDefault();
    preview.step(e.shiftKey ? -1 : 1);
  } else if (!typingInField(e) && !mod && !e.altKey && e.key.length === 1) {
    // Typing in the list goes on in the search box.
    el.q.focus();
  } else if (e.key === "ArrowDown") {
    e.preventDefault();
    select(state.selected + 1);
  } else if (e.key === "ArrowUp") {
    e.preventDefault();
    select(state.selected - 1);
  } else if (e.key === "Enter" && state.selected >= 0) {
    e.preventDefault();
    void openHit(state.selected, mod);
  } else if (e.key === "Escape") {
    e.preventDefault();
    el.q.value = "";
    state.whyOpen = false;
    controller.clear();
  } else if (mod && (e.key === "i" || e.key === "I")) {
    e.preventDefault();
    toggleWhy();
  } else if (mod && e.key === ",") {
    e.preventDefault();
    void settings.open();
  }
});

async function start(): Promise<void> {
  const kindSel = el.kind;
  for (const [v, label] of KINDS) kindSel.appendChild(new Option(label, v));
  await events.onIndexing(onIndexing);
  await events.onModelDownload((p) => settings.downloadProgress(p));
  await events.onModelsLoaded(() => settings.isOpen && void settings.refresh());
  await events.onFocusSearch(() => {
    el.q.focus();
    el.q.select();
  });
  try {
    state.boot = await api.boot();
    state.settings = state.boot.settings;
    onIndexing(state.boot.indexing);
  } catch (e) {
    state.error = humane(e);
  }
  await fillFolderFilter();
  await refreshCount();
  paint();
  el.q.focus();
  document.body.dataset.ready = "true";
}

void start();
