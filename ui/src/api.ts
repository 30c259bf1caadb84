// Typed wrappers around the app's Tauri commands and events. The webview can
// call nothing else: capabilities grant only these commands.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Range } from "./highlight";

/** Score details: why a hit ranks where it does. */
export interface ScoreDetails {
  bm25_rank: number | null;
  bm25_score?: number | null;
  vector_rank: number | null;
  vector_score?: number | null;
  fused_score: number | null;
  rerank_score: number | null;
}

/** Where in the file the best passage is. */
export interface Location {
  page?: number | null;
  line?: number | null;
  label?: string | null;
}

/** A folder holding indexed files, for the folder filter. */
export interface IndexedFolder {
  path: string;
  files: number;
}

/** What opening a hit did: where the program was asked to open it, or why at the start. */
export interface Opened {
  at: string | null;
  note: string | null;
}

/** A hit's section as text, for the preview pane (byte ranges, as snippets). */
export interface Preview {
  file_id: number;
  path: string;
  kind: string;
  /** "page 3", "Slide 2", "Sheet Budget", "from line 40", or "". */
  section: string;
  location: Location;
  text: string;
  highlights: Range[];
  /** Byte offset in `text` where the hit's passage starts. */
  hit_start: number;
  more_before: boolean;
  more_after: boolean;
}

/** One search result: a file and its best passage. */
export interface Hit {
  file_id: number;
  path: string;
  title: string | null;
  kind: string;
  /** Seconds since the Unix epoch. */
  modified: number;
  score: number;
  snippet: { text: string; highlights: Range[] };
  location: Location;
  passage_id: number;
  details: ScoreDetails;
  /** Whether the query matched the file's name rather than its text. */
  matched?: "content" | "name";
}

export type SearchMode = "bm25" | "vector" | "hybrid";

/** The final answer to a search. */
export interface SearchAnswer {
  hits: Hit[];
  /** The engine's verdict: none of the hits really answers the query. */
  no_strong_match: boolean;
  /** Operators that could not be read (a malformed date), in words. */
  problems: string[];
}

export interface SearchArgs {
  query: string;
  limit: number;
  mode: SearchMode;
  rerank: boolean;
  kinds: string[];
  folder: string | null;
  /** Seconds since the Unix epoch. */
  modified_after: number | null;
  modified_before: number | null;
}

/** Progress as the engine reports it (`IndexingStep`). */
export type IndexingStep =
  | { step: "repairing" }
  | { step: "crawling"; seen: number }
  | { step: "indexing"; done: number; total: number; current: string }
  | { step: "embedding"; done: number; total: number }
  | { step: "recognising"; done: number; left: number }
  | { step: "committing" }
  | { step: "done" };

/** A folder checked periodically because the OS would not watch it. */
export interface PollingRoot {
  root: string;
  reason: string;
  interval_s: number;
}

/** What live indexing is doing, as the shell reports it. */
export interface IndexingState {
  /** A full pass (the start-up catch-up, or a retry) is running. */
  running: boolean;
  paused: boolean;
  /** Caught up; changes are applied as they happen. */
  watching: boolean;
  step: IndexingStep | null;
  last_error: WireError | null;
  /** Folders polled instead of watched: the window must say so. */
  polling: PollingRoot[];
  /** Live updates applied; grows when files change on disk. */
  updates: number;
  /** Pages waiting for text recognition (OCR, the second stage). */
  ocr_pending: number;
  /** The user paused text recognition. */
  ocr_paused: boolean;
  /** Paused, while the page being read when the pause came is finished. */
  ocr_stopping: boolean;
  /** Text recognition is turned off in Settings: pages wait unread. */
  ocr_off: boolean;
}

export interface KindCounts {
  indexed: number;
  failed: number;
  skipped: number;
}

export interface ModelInUse {
  role: string;
  id: string;
  provider: string;
}

export interface Status {
  files_indexed: number;
  files_failed: number;
  files_skipped: number;
  passages: number;
  vectors: number;
  by_type: Record<string, KindCounts>;
  models: ModelInUse[];
}

export interface FailedFile {
  path: string;
  reason: string;
}

export interface Settings {
  folders: string[];
  exclusions: string[];
  reranker: string;
  provider: string;
  rerank_enabled: boolean;
  rerank_candidates: number;
  /** Tokens of each (query, window) pair the reranker reads; 0 = automatic. */
  rerank_window: number;
  shortcut: string;
  start_hidden_at_login: boolean;
  /** Recognise text in scanned pages and images (OCR). */
  ocr_enabled: boolean;
}

export interface RerankerModel {
  id: string;
  /** The embedder (meaning search) or a reranker. */
  role: "embedder" | "reranker";
  label: string;
  size_mb: number;
  installed: boolean;
  bundled: boolean;
  latency_ms: number | null;
}

/** The About box: version, resource dir, and a test bundle's note. */
export interface About {
  version: string;
  resource_dir: string | null;
  /** TEST-BUNDLE.json of a bundle built from stand-in models. */
  test_bundle: { summary?: string; models?: Record<string, string> } | string | null;
}

export interface Boot {
  read_only: boolean;
  settings: Settings;
  first_run: boolean;
  has_index: boolean;
  suggested_folder: string | null;
  indexing: IndexingState;
  data_dir: string;
  home: string | null;
}

export interface DownloadProgress {
  id: string;
  done: number;
  total: number;
  error: string | null;
}

/** An error as it crosses from Rust: `{ code, message }`. */
export interface WireError {
  code: string;
  message: string;
}

export function isWireError(e: unknown): e is WireError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export function errorMessage(e: unknown): string {
  if (isWireError(e)) return e.message;
  return String(e);
}

export const api = {
  boot: () => invoke<Boot>("boot"),
  search: (args: SearchArgs, seq: number, onStage: (stage: "fused" | "partial", hits: Hit[]) => void) => {
    const stages = new Channel<{ stage: "fused" | "partial"; hits: Hit[] }>();
    stages.onmessage = (m) => onStage(m.stage, m.hits);
    return invoke<SearchAnswer>("search", { args, seq, stages });
  },
  openHit: (fileId: number, location: Location) =>
    invoke<Opened>("open_hit", { fileId, page: location.page ?? null, line: location.line ?? null }),
  revealHit: (fileId: number) => invoke<void>("reveal_hit", { fileId }),
  status: () => invoke<Status>("status"),
  failedFiles: () => invoke<FailedFile[]>("failed_files"),
  retryFailed: () => invoke<void>("retry_failed"),
  startIndexing: () => invoke<void>("start_indexing"),
  pauseIndexing: () => invoke<void>("pause_indexing"),
  resumeIndexing: () => invoke<void>("resume_indexing"),
  pauseRecognition: () => invoke<void>("pause_recognition"),
  resumeRecognition: () => invoke<void>("resume_recognition"),
  indexingState: () => invoke<IndexingState>("indexing_state"),
  getSettings: () => invoke<Settings>("get_settings"),
  saveSettings: (settings: Settings) => invoke<Settings>("save_settings", { settings }),
  pickFolder: () => invoke<string | null>("pick_folder"),
  models: () => invoke<RerankerModel[]>("reranker_models"),
  /** `allowUnpinned`: the person accepted a file with no published checksum. */
  downloadModel: (id: string, allowUnpinned = false) => invoke<void>("download_model", { id, allowUnpinned }),
  modelProblems: () => invoke<string[]>("model_problems"),
  about: () => invoke<About>("about"),
  preview: (fileId: number, passageId: number, query: string) =>
    invoke<Preview>("preview_hit", { fileId, passageId, query }),
  indexedFolders: () => invoke<IndexedFolder[]>("indexed_folders"),
  /** Files matching the query's words or names, filters applied. */
  countResults: (args: SearchArgs) => invoke<number>("count_results", { args }),
};

export const events = {
  onIndexing: (f: (s: IndexingState) => void): Promise<UnlistenFn> =>
    listen<IndexingState>("indexing", (e) => f(e.payload)),
  onModelDownload: (f: (p: DownloadProgress) => void): Promise<UnlistenFn> =>
    listen<DownloadProgress>("model-download", (e) => f(e.payload)),
  onModelsLoaded: (f: () => void): Promise<UnlistenFn> => listen("models-loaded", () => f()),
  onFocusSearch: (f: () => void): Promise<UnlistenFn> => listen("focus-search", () => f()),
};
