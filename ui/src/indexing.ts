// The indexing strip under the filters: a progress bar with files done/total,
// the current step, and pause/resume.

import type { IndexingState, IndexingStep } from "./api";
import { fileName } from "./format";

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
  ) {}

  update(s: IndexingState): void {
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
    if (s.last_error) this.label.textContent = `Indexing stopped: ${s.last_error.message}`;
    else if (s.paused) this.label.textContent = `Paused. ${label}`;
    else this.label.textContent = label;
    this.pauseBtn.textContent = s.paused || !s.running ? "Resume" : "Pause";
    this.pauseBtn.dataset.action = s.paused || !s.running ? "resume" : "pause";
  }
}
