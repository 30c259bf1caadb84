// Notices that stay: an error, or something the person should know (a file
// opened at its start although the hit has a page), said in words and kept on
// screen until dismissed, unlike the toast, which only confirms. The same
// message twice is shown once.

import { isWireError } from "./api";
import { h } from "./dom";

/** An error in words a person can act on; the raw detail stays in the text. */
export function humane(e: unknown): string {
  if (!isWireError(e)) return String(e);
  switch (e.code) {
    case "unknown_file":
      return "That result is no longer in the list. Search again, then open it from the new results.";
    case "busy":
      return "Another Crumb program is updating the index right now. Searching still works; try this again when it has finished.";
    case "missing_folder":
      return `${e.message}. Check that the folder (or its drive) is there, or remove it in Settings.`;
    case "io":
      return `Crumb could not read or write a file: ${e.message}.`;
    case "bug":
      return `Something went wrong inside Crumb (${e.message}). Please report it.`;
    default:
      return e.message;
  }
}

export class Notices {
  constructor(private readonly box: HTMLElement) {}

  /** Shows an error until it is dismissed. */
  error(e: unknown): void {
    this.show(humane(e), "error");
  }

  /** Shows a message until it is dismissed. */
  show(message: string, kind: "error" | "info" = "info"): void {
    for (const n of this.box.querySelectorAll<HTMLElement>(".notice")) {
      if (n.dataset.message === message) return;
    }
    const close = h("button", { class: "icon-btn notice-close", type: "button", "aria-label": "Dismiss", title: "Dismiss" }, "×");
    const note = h(
      "div",
      { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status", "data-message": message },
      h("span", { class: "notice-text" }, message),
      close,
    );
    close.addEventListener("click", () => {
      note.remove();
      this.box.hidden = this.box.childElementCount === 0;
    });
    this.box.appendChild(note);
    this.box.hidden = false;
  }

  /** How many are on screen. */
  get count(): number {
    return this.box.querySelectorAll(".notice").length;
  }
}
