// Sorting the result list: by relevance (the engine's order), by date
// (newest first) or by name. Pure and stable, so ties keep relevance order.

import type { Hit } from "./api";
import { fileName } from "./format";

export type SortKey = "relevance" | "date" | "name";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export function sortHits(hits: Hit[], key: SortKey): Hit[] {
  if (key === "relevance") return hits;
  const out = [...hits];
  if (key === "date") out.sort((a, b) => (b.modified ?? 0) - (a.modified ?? 0));
  else out.sort((a, b) => collator.compare(fileName(a.path), fileName(b.path)));
  return out;
}

/**
 * The count to show. The engine returns at most `limit` files, so a full
 * page means there may be more: "50+ results", never a limit passed off as
 * a count, until the true count of files matching the words (`matching`,
 * asked for once the page is painted) is in.
 */
export function countLabel(shown: number, limit: number, matching: number | null = null): string {
  if (shown === 0) return "";
  if (shown >= limit) {
    if (matching !== null && matching >= shown) return `${matching.toLocaleString()} results`;
    return `${limit}+ results`;
  }
  return `${shown} result${shown === 1 ? "" : "s"}`;
}
