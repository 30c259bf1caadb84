// The result list and the "why this result" panel.

import type { Hit } from "./api";
import { h, setChildren } from "./dom";
import { byteRangesToUtf16, renderHighlighted } from "./highlight";
import {
  fileName,
  folderOf,
  kindBadge,
  kindFamily,
  locationLabel,
  modifiedLabel,
  rankLabel,
  scoreLabel,
} from "./format";

export interface ResultCallbacks {
  select(index: number): void;
  open(index: number): void;
  why(index: number): void;
}

/** Builds one result row. Document text goes in as text nodes only. */
export function resultRow(hit: Hit, index: number, selected: boolean, home: string | null, cb: ResultCallbacks): HTMLElement {
  const snippet = h("div", { class: "snippet" });
  const text = hit.snippet?.text ?? "";
  snippet.appendChild(renderHighlighted(document, text, byteRangesToUtf16(text, hit.snippet?.highlights ?? [])));
  const loc = locationLabel(hit.location);
  const whyBtn = h("button", { class: "why-btn", type: "button", title: "Why this result", "aria-label": "Why this result" }, "?");
  whyBtn.addEventListener("click", (e) => {
    e.stopPropagation();
    cb.why(index);
  });
  const row = h(
    "li",
    {
      class: selected ? "result selected" : "result",
      role: "option",
      "aria-selected": selected ? "true" : "false",
      "data-file-id": String(hit.file_id),
      "data-index": String(index),
    },
    h("div", { class: `badge ${kindFamily(hit.kind)}`, "aria-hidden": "true" }, kindBadge(hit.kind)),
    h(
      "div",
      { class: "body" },
      h(
        "div",
        { class: "line1" },
        h("span", { class: "name" }, fileName(hit.path)),
        loc ? h("span", { class: "loc" }, loc) : null,
        hit.matched === "name" ? h("span", { class: "tag", title: "The query matched the file's name, not its text" }, "name") : null,
        h("span", { class: "spacer" }),
        h("span", { class: "date" }, modifiedLabel(hit.modified)),
      ),
      h("div", { class: "folder" }, folderOf(hit.path, home)),
      snippet,
    ),
    whyBtn,
  );
  row.addEventListener("click", () => cb.select(index));
  row.addEventListener("dblclick", () => cb.open(index));
  return row;
}

/**
 * Rows built before the first paint: more than a window shows. The rest
 * follow in the next frame, so a keystroke's first results are not held up
 * by building and laying out rows nobody can see yet.
 */
export const FIRST_ROWS = 16;

const pending = new WeakMap<HTMLElement, number>();

/**
 * Paints the list. `reveal` scrolls the selected row into view; it is off
 * while more results load for the same query, so the list stays where the
 * person scrolled it.
 */
export function renderResults(list: HTMLElement, hits: Hit[], selected: number, home: string | null, cb: ResultCallbacks, reveal = true): void {
  const frame = pending.get(list);
  if (frame !== undefined) cancelAnimationFrame(frame);
  pending.delete(list);
  // A longer list for the same query is painted whole, at the same scroll
  // position: rows the person scrolled past must not collapse under them.
  const top = list.scrollTop;
  const first = reveal ? Math.max(FIRST_ROWS, selected + 1) : hits.length;
  const row = (hit: Hit, i: number) => resultRow(hit, i, i === selected, home, cb);
  setChildren(list, ...hits.slice(0, first).map(row));
  if (reveal) list.querySelector(".result.selected")?.scrollIntoView({ block: "nearest" });
  else list.scrollTop = top;
  if (hits.length > first) {
    pending.set(
      list,
      requestAnimationFrame(() => {
        pending.delete(list);
        list.append(...hits.slice(first).map((hit, j) => row(hit, first + j)));
      }),
    );
  }
}

/** Fills the "why this result" panel for one hit. */
export function renderWhy(panel: HTMLElement, hit: Hit | null, position: number, reranked: boolean): void {
  if (!hit) {
    setChildren(panel);
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const d = hit.details ?? { bm25_rank: null, vector_rank: null, fused_score: null, rerank_score: null };
  const row = (label: string, value: string, hint: string, id: string) =>
    h("tr", {}, h("th", { scope: "row" }, label), h("td", { id }, value), h("td", { class: "hint" }, hint));
  setChildren(
    panel,
    h("h2", {}, "Why this result"),
    h("p", { class: "why-file" }, fileName(hit.path)),
    h(
      "table",
      { class: "why-table" },
      h(
        "tbody",
        {},
        row("Keyword (BM25) rank", rankLabel(d.bm25_rank), "position among keyword matches", "why-bm25"),
        row("Meaning (vector) rank", rankLabel(d.vector_rank), "position among semantic matches", "why-vector"),
        row("Fused score", scoreLabel(d.fused_score), "keyword and meaning scores combined", "why-fused"),
        row(
          "Rerank score",
          scoreLabel(d.rerank_score),
          reranked ? "cross-encoder relevance, 0–1" : "reranking not run for this query",
          "why-rerank",
        ),
      ),
    ),
    h("p", { class: "why-position" }, `Shown at position ${position + 1}.`),
  );
}
