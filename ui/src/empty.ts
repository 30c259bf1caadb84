// Empty states: first run, an empty or building index, and "no strong match".

import { h, setChildren } from "./dom";

export interface EmptyContext {
  query: string;
  filtered: boolean;
  filesIndexed: number;
  indexing: boolean;
  hasFolders: boolean;
  firstRun: boolean;
  suggestedFolder: string | null;
  error: string | null;
  /** Meaning search runs (an embedder is loaded): only then is it promised. */
  meaning: boolean;
}

export interface EmptyActions {
  indexSuggested(): void;
  openSettings(): void;
  clearFilters(): void;
}

/** Which empty state applies; exported for tests. */
export function emptyKind(c: EmptyContext): "error" | "welcome" | "building" | "no-index" | "no-match" | "ready" {
  if (c.error) return "error";
  if (!c.hasFolders && c.filesIndexed === 0) return c.firstRun ? "welcome" : "no-index";
  if (c.query.trim() !== "") return c.filesIndexed === 0 && c.indexing ? "building" : "no-match";
  if (c.filesIndexed === 0) return c.indexing ? "building" : "no-index";
  return "ready";
}

export function renderEmpty(el: HTMLElement, c: EmptyContext, a: EmptyActions): void {
  const btn = (label: string, f: () => void, primary = false, id?: string) => {
    const b = h("button", { class: primary ? "btn primary" : "btn", type: "button", id }, label);
    b.addEventListener("click", f);
    return b;
  };
  const kind = emptyKind(c);
  el.dataset.state = kind;
  let body: HTMLElement;
  switch (kind) {
    case "error":
      body = h("div", {}, h("h2", {}, "Search failed"), h("p", {}, c.error ?? ""));
      break;
    case "welcome":
      body = h(
        "div",
        {},
        h("h2", {}, "Welcome to Crumb"),
        h(
          "p",
          {},
          c.meaning
            ? "Crumb searches your documents by words and by meaning, entirely on this computer."
            : "Crumb searches your documents by their words, entirely on this computer. Meaning search can be turned on in Settings.",
        ),
        c.suggestedFolder ? h("p", {}, "Start with ", h("b", {}, c.suggestedFolder), "?") : null,
        h(
          "div",
          { class: "actions" },
          c.suggestedFolder ? btn("Index this folder", a.indexSuggested, true, "index-suggested") : null,
          btn("Choose folders…", a.openSettings, !c.suggestedFolder, "choose-folders"),
        ),
      );
      break;
    case "building":
      body = h(
        "div",
        {},
        h("h2", {}, "Building your index"),
        h("p", {}, "Results appear here as soon as the first files are indexed. You can keep typing."),
      );
      break;
    case "no-index":
      body = h(
        "div",
        {},
        h("h2", {}, "Your index is empty"),
        h("p", {}, c.hasFolders ? "Index your folders to start searching." : "Add a folder to search in Settings."),
        h("div", { class: "actions" }, btn("Open Settings", a.openSettings, true)),
      );
      break;
    case "no-match":
      body = h(
        "div",
        {},
        h("h2", {}, "No strong match"),
        h("p", {}, "Nothing in your index matches “", c.query.trim(), "” well."),
        c.filtered
          ? h("div", { class: "actions" }, btn("Clear filters", a.clearFilters))
          : h("p", {}, "Try fewer or different words, or describe what the document is about."),
        c.indexing ? h("p", { class: "quiet" }, "Indexing is still running: more files may match soon.") : null,
      );
      break;
    case "ready":
      body = h(
        "div",
        {},
        h("p", {}, `Search ${c.filesIndexed.toLocaleString()} indexed files by ${c.meaning ? "words or meaning" : "their words"}.`),
      );
      break;
  }
  setChildren(el, body);
}
