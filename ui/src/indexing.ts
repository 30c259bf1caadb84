// The indexing strip under the filters: a progress bar with files done/total,
// the current step, and pause/resume; and the notice shown when folders are
// polled instead of watched.

import type { IndexingState, IndexingStep, PollingRoot } from "./api";
import { fileName } from "./format";

/** A path with the home directory shortened to `~`. */
function tilde(path: string, home: string | null): string {
  if (home && (path === home || path.startsWith(home + "/"))) return "~" + path.slice(home.length);
  return path;
}

/**
 * What the window says when some folders are polled, e.g. "Watching limit
 * reached: checking ~/Documents every 30 s"; null when every folder is watched.
 */
export function describePolling(polling: PollingRoot[], home: string | null = null): string | null {
  if (polling.length === 0) return null;
  const limit = polling.some((p) => p.reason.includes("limit"));
  const head = limit ? "Watching limit reached" : "Live updates unavailable";
  const folders = polling.map((p) => tilde(p.root, home)).join(", ");
  const every = Math.max(...polling.map((p) => p.interval_s));
  return `${head}: checking ${folders} every ${every} s`;
}

/** A one-line description of a step, and its progress as 0..1 (null = indeterminate). */
export function describeStep(step: IndexingStep | null): { label: string; fraction: number | null } {
  if (!step) return { label: "", fraction: null };
  switch (step.step) {
    case "repairing":
      return { label: "Repairing the index after an interrupted run…", fraction: null };
    case "crawling":
      return { label: `Looking for files… ${step.seen.toLocaleString()} found`, fraction: null };
    case "indexing": {
      const cur = step.current ? ` — ${fileName(step.current)}` : "";
      return {
        label: `Indexing ${step.done.toLocaleString()} / ${step.total.toLocaleString()} files${cur}`,
        fraction: step.total > 0 ? step.done / step.total : null,
      };
    }
    case "embedding":
      return {
        label: `Understanding passages ${step.done.toLocaleString()} / ${step.total.toLocaleString()}`,
        fraction: step.total > 0 ? step.done / step.total : null,
      };
    case "recognising":
      return { label: `Recognising text: ${step.left.toLocaleString()} pages left`, fraction: null };
    case "committing":
      return { label: "Saving…", fraction: 1 };
    case "done":
      return { label: "Up to date", fraction: 1 };
  }
}

export class IndexingStrip {
  constructor(
    private readonly strip: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly label: HTMLElement,
    private readonly pauseBtn: HTMLButtonElement,
    private readonly notice: HTMLElement,
  ) {}

  update(s: IndexingState, home: string | null = null): void {
    const polling = describePolling(s.polling ?? [], home);
    this.notice.hidden = polling === null;
    this.notice.textContent = polling ?? "";
    this.notice.title = (s.polling ?? []).map((p) => `${p.root}: ${p.reason}`).join("\n");
    const visible = s.running || s.paused || s.last_error !== null;
    this.strip.hidden = !visible;
    this.strip.dataset.running = String(s.running);
    if (!visible) return;
    const { label, fraction } = describeStep(s.step);
    if (fraction === null || !s.running) {
      // An indeterminate <progress> animates; a paused one should sit still.
      if (s.paused && fraction !== null) this.bar.value = fraction;
      else this.bar.removeAttribute("value");
    } else {
      this.bar.value = fraction;
    }
    if (s.last_error) this.label.textContent = `Indexing problem: ${s.last_error.message}`;
    else if (s.paused && (s.step === null || s.step.step === "done"))
      this.label.textContent = "Live updates paused: changes are indexed on resume";
    else if (s.paused) this.label.textContent = `Paused. ${label}`;
    else this.label.textContent = label;
    // Live indexing is always on unless paused: Resume only undoes a pause.
    this.pauseBtn.textContent = s.paused ? "Resume" : "Pause";
    this.pauseBtn.dataset.action = s.paused ? "resume" : "pause";
  }
}
