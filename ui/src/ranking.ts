// Progressive results: fused hits are shown at once, then re-sorted when the
// reranker's scores arrive. The re-sort is stable so rows with equal (or no)
// rerank scores keep the order the user is already looking at.

import type { Hit } from "./api";

/**
 * Merges reranked hits into the list on screen.
 *
 * - Each shown hit takes the reranked copy's details and snippet when present.
 * - Order: by rerank score, highest first; ties keep their on-screen order.
 * - Shown hits the reranker did not score keep their relative order after the
 *   scored ones, and hits only the reranked list has are appended in its order.
 */
export function stableResort(shown: Hit[], reranked: Hit[]): Hit[] {
  const byId = new Map<number, Hit>();
  for (const h of reranked) if (!byId.has(h.file_id)) byId.set(h.file_id, h);

  const seen = new Set<number>();
  const merged: { hit: Hit; pos: number }[] = [];
  shown.forEach((old, pos) => {
    if (seen.has(old.file_id)) return;
    seen.add(old.file_id);
    merged.push({ hit: byId.get(old.file_id) ?? old, pos });
  });
  let pos = shown.length;
  for (const h of reranked) {
    if (seen.has(h.file_id)) continue;
    seen.add(h.file_id);
    merged.push({ hit: h, pos: pos++ });
  }

  const score = (h: Hit): number | null => {
    const s = h.details?.rerank_score;
    return typeof s === "number" && Number.isFinite(s) ? s : null;
  };
  // Array.prototype.sort is stable, but the explicit position tiebreak makes
  // the intent plain and independent of the engine.
  merged.sort((a, b) => {
    const sa = score(a.hit);
    const sb = score(b.hit);
    if (sa !== null && sb !== null && sa !== sb) return sb - sa;
    if (sa !== null && sb === null) return -1;
    if (sa === null && sb !== null) return 1;
    return a.pos - b.pos;
  });
  return merged.map((m) => m.hit);
}

/** The index to select after the list changes: follow the same file if it is still there. */
export function followSelection(before: Hit[], after: Hit[], selected: number): number {
  const id = before[selected]?.file_id;
  if (id === undefined) return after.length > 0 ? 0 : -1;
  const i = after.findIndex((h) => h.file_id === id);
  return i >= 0 ? i : after.length > 0 ? 0 : -1;
}
