// Keystroke-to-paint timings, kept in memory for the benchmark and the e2e
// test to read (window.__crumbTimings). Cheap enough to leave on.

export interface Timing {
  query: string;
  /** ms from the last keystroke to the fused results on screen. */
  firstPaintMs: number | null;
  /** ms from the last keystroke to the first reranked order on screen (the top files). */
  rerankedPaintMs: number | null;
  /** ms from the last keystroke to the final order (the full rerank depth). */
  finalPaintMs: number | null;
}

const MAX = 200;
const log: Timing[] = [];
let keystrokeAt = 0;
let current: Timing | null = null;

declare global {
  interface Window {
    __crumbTimings?: Timing[];
  }
}
window.__crumbTimings = log;

/** Call on every keystroke in the search box. */
export function keystroke(): void {
  keystrokeAt = performance.now();
  current = null;
}

/** Call after results were put in the DOM; measures at the next frame. */
export function painted(query: string, reranked: boolean): void {
  const start = keystrokeAt;
  if (start === 0 || query === "") return;
  requestAnimationFrame(() => {
    const ms = performance.now() - start;
    if (!current || current.query !== query) {
      current = { query, firstPaintMs: null, rerankedPaintMs: null, finalPaintMs: null };
      log.push(current);
      if (log.length > MAX) log.shift();
    }
    if (current.firstPaintMs === null) current.firstPaintMs = ms;
    if (reranked && current.rerankedPaintMs === null) current.rerankedPaintMs = ms;
    if (reranked) current.finalPaintMs = ms;
  });
}
