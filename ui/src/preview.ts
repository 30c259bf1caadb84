// The preview pane: the selected hit's page, slide, sheet or section as
// text, every match marked, with next/previous-match navigation. Document
// text goes in as text nodes only (see highlight.ts); nothing here parses
// HTML. It loads on selection, a moment after the selection settles, never on
// each keystroke, so it costs the first paint of results nothing.

import type { Hit, Preview } from "./api";
import { h, setChildren } from "./dom";
import { fileName } from "./format";
import { byteRangesToUtf16, normaliseRanges, renderHighlighted, type Range } from "./highlight";

/** How long the selection must rest before its preview is fetched. */
export const SETTLE_MS = 120;

export type PreviewLoader = (hit: Hit, query: string) => Promise<Preview>;

/** The match to show first: the first one in the hit's own passage, else the first. */
export function firstCurrent(ranges: Range[], hitStart: number): number {
  if (ranges.length === 0) return -1;
  const i = ranges.findIndex(([s]) => s >= hitStart);
  return i >= 0 ? i : 0;
}

/** The next (step 1) or previous (step -1) match, wrapping around. */
export function stepCurrent(current: number, count: number, step: 1 | -1): number {
  if (count === 0) return -1;
  return (((current + step) % count) + count) % count;
}

export class PreviewPane {
  open = false;
  private marks: HTMLElement[] = [];
  private current = -1;
  /** What is on screen (or being fetched): file, passage and query. */
  private key = "";
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly panel: HTMLElement,
    private readonly load: PreviewLoader,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Opens or closes the pane; `hit` is what to show when it opens. */
  toggle(hit: Hit | null, query: string, force?: boolean): void {
    this.open = force ?? !this.open;
    this.panel.hidden = !this.open;
    document.body.dataset.preview = String(this.open);
    if (this.open) this.follow(hit, query, 0);
    else this.reset();
  }

  /** Follows the selection: fetches the new hit's preview once it settles. */
  follow(hit: Hit | null, query: string, delay = SETTLE_MS): void {
    if (!this.open) return;
    if (!hit) {
      this.reset();
      setChildren(this.panel, h("p", { class: "quiet preview-empty" }, "Nothing selected."));
      return;
    }
    const key = `${hit.file_id}:${hit.passage_id}:${query}`;
    if (key === this.key) return;
    this.key = key;
    if (this.timer) clearTimeout(this.timer);
    this.panel.dataset.state = "loading";
    const seq = ++this.seq;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load(hit, query).then(
        (p) => seq === this.seq && this.render(hit, p),
        (e) => {
          if (seq !== this.seq) return;
          this.panel.dataset.state = "error";
          this.onError(e);
        },
      );
    }, delay);
  }

  /** Moves to the next (1) or previous (-1) match and scrolls it into view. */
  step(step: 1 | -1): void {
    if (!this.open || this.marks.length === 0) return;
    this.setCurrent(stepCurrent(this.current, this.marks.length, step));
  }

  private reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.seq++;
    this.key = "";
    this.marks = [];
    this.current = -1;
    delete this.panel.dataset.state;
  }

  private render(hit: Hit, p: Preview): void {
    const ranges = normaliseRanges(p.text.length, byteRangesToUtf16(p.text, p.highlights));
    const [hitStart] = byteRangesToUtf16(p.text, [[p.hit_start, p.hit_start]])[0];
    const body = h("div", { class: "preview-text", tabindex: "0", "aria-label": "Preview text" });
    if (p.more_before) body.appendChild(h("span", { class: "preview-more" }, "…\n"));
    body.appendChild(renderHighlighted(document, p.text, ranges));
    if (p.more_after) body.appendChild(h("span", { class: "preview-more" }, "\n…"));
    if (p.text.trim() === "") body.appendChild(h("span", { class: "quiet" }, "No text is indexed for this file."));
    this.marks = [...body.querySelectorAll("mark")] as HTMLElement[];
    const prev = h("button", { class: "icon-btn preview-nav", id: "preview-prev", type: "button", title: "Previous match (Shift+F3)", "aria-label": "Previous match" }, "↑");
    const next = h("button", { class: "icon-btn preview-nav", id: "preview-next", type: "button", title: "Next match (F3)", "aria-label": "Next match" }, "↓");
    prev.addEventListener("click", () => this.step(-1));
    next.addEventListener("click", () => this.step(1));
    const close = h("button", { class: "icon-btn", id: "preview-close", type: "button", title: "Close preview (Space)", "aria-label": "Close preview" }, "×");
    close.addEventListener("click", () => this.toggle(null, "", false));
    setChildren(
      this.panel,
      h(
        "div",
        { class: "preview-head" },
        h("div", { class: "preview-title" }, h("span", { class: "name" }, fileName(p.path || hit.path)), p.section ? h("span", { class: "loc" }, p.section) : null),
        h("span", { class: "quiet", id: "preview-count", "aria-live": "polite" }),
        prev,
        next,
        close,
      ),
      body,
    );
    this.panel.dataset.state = "ready";
    this.setCurrent(firstCurrent(ranges, hitStart));
  }

  private setCurrent(i: number): void {
    this.marks[this.current]?.classList.remove("current");
    this.current = i;
    const count = this.panel.querySelector("#preview-count");
    if (count) count.textContent = this.marks.length === 0 ? "no matches" : `match ${i + 1} of ${this.marks.length}`;
    const mark = this.marks[i];
    if (!mark) return;
    mark.classList.add("current");
    mark.scrollIntoView?.({ block: "center" });
  }
}
