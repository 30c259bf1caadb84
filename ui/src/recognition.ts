// The text-recognition line: scanned pages and images are read (OCR) in a
// second, lower-priority stage after keyword indexing, so the window says
// how many pages are left and offers to pause that stage alone.

import type { IndexingState } from "./api";

/** What the line says, and what its button does (none: no button); null
 * hides the line. */
export function describeRecognition(
  s: Pick<IndexingState, "ocr_pending" | "ocr_paused" | "ocr_stopping" | "ocr_off">,
): { label: string; action: "pause" | "resume" | null } | null {
  const left = s.ocr_pending ?? 0;
  if (left <= 0) return null;
  const noun = left === 1 ? "page" : "pages";
  // Turned off in Settings, pages still queue: say so, rather than claim
  // work that is not happening; turning it on reads them.
  if (s.ocr_off) {
    return { label: `Text recognition is off: ${left.toLocaleString()} ${noun} waiting`, action: null };
  }
  const pages = `${left.toLocaleString()} ${noun} left`;
  if (!s.ocr_paused) return { label: `Recognising text: ${pages}`, action: "pause" };
  // "Paused" only once nothing is being read: the page in hand when Pause
  // came is finished first (and counted), and Resume still undoes it.
  return s.ocr_stopping
    ? { label: `Pausing after the current page: ${pages}`, action: "resume" }
    : { label: `Text recognition paused: ${pages}`, action: "resume" };
}

export class RecognitionLine {
  constructor(
    private readonly line: HTMLElement,
    private readonly label: HTMLElement,
    private readonly button: HTMLButtonElement,
  ) {}

  update(s: IndexingState): void {
    const d = describeRecognition(s);
    this.line.hidden = d === null;
    if (d === null) return;
    // Plain text only: the count is a number, but nothing here is HTML.
    this.label.textContent = d.label;
    this.button.hidden = d.action === null;
    if (d.action === null) return;
    this.button.textContent = d.action === "pause" ? "Pause" : "Resume";
    this.button.dataset.action = d.action;
    this.button.setAttribute(
      "aria-label",
      d.action === "pause" ? "Pause text recognition" : "Resume text recognition",
    );
  }
}
