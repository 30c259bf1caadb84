import { describe, expect, it } from "vitest";
import { fileName, folderOf, kindBadge, locationLabel, modifiedLabel, rankLabel, scoreLabel } from "../src/format";
import { acceleratorFromEvent } from "../src/settings";
import { emptyKind, renderEmpty } from "../src/empty";
import { describeStep } from "../src/indexing";

describe("format", () => {
  it("splits paths on either separator", () => {
    expect(fileName("/a/b/c.pdf")).toBe("c.pdf");
    expect(fileName("C:\\x\\y.docx")).toBe("y.docx");
    expect(folderOf("/home/u/docs/c.pdf", "/home/u")).toBe("~/docs");
    expect(folderOf("/c.pdf")).toBe("/");
  });

  it("labels locations, ranks and scores", () => {
    expect(locationLabel({ page: 3 })).toBe("page 3");
    expect(locationLabel({ line: 42 })).toBe("line 42");
    expect(locationLabel(null)).toBe("");
    expect(locationLabel({ label: "Sheet Budget", line: 4 })).toBe("Sheet Budget, line 4");
    expect(rankLabel(2)).toBe("#2");
    expect(rankLabel(null)).toBe("—");
    expect(scoreLabel(0.12345)).toBe("0.123");
    expect(scoreLabel(null)).toBe("—");
    expect(kindBadge("pdf")).toBe("PDF");
    expect(kindBadge("markdown")).toBe("MD");
  });

  it("shows a date for older files and nothing for a missing one", () => {
    expect(modifiedLabel(null)).toBe("");
    expect(modifiedLabel(0)).toBe("");
    expect(modifiedLabel(1_600_000_000, new Date(2026, 0, 1))).toMatch(/2020/);
  });
});

describe("acceleratorFromEvent", () => {
  const ev = (key: string, code: string, mods: Partial<KeyboardEvent> = {}) => ({
    key, code, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods,
  });
  it("builds Tauri accelerators and refuses bare keys", () => {
    expect(acceleratorFromEvent(ev(" ", "Space", { ctrlKey: true, shiftKey: true }))).toBe("CommandOrControl+Shift+Space");
    expect(acceleratorFromEvent(ev("k", "KeyK", { altKey: true }))).toBe("Alt+K");
    expect(acceleratorFromEvent(ev("k", "KeyK"))).toBeNull();
    expect(acceleratorFromEvent(ev("Shift", "ShiftLeft", { shiftKey: true }))).toBeNull();
  });
});

describe("empty states", () => {
  const base = { query: "", filtered: false, filesIndexed: 0, indexing: false, hasFolders: false, firstRun: true, suggestedFolder: "/home/u/Documents", error: null, meaning: false };
  it("promises meaning search only when it is on", () => {
    const actions = { indexSuggested: () => {}, openSettings: () => {}, clearFilters: () => {} };
    const el = document.createElement("div");
    renderEmpty(el, base, actions);
    expect(el.textContent).not.toContain("by meaning");
    expect(el.textContent).toContain("Meaning search can be turned on in Settings");
    renderEmpty(el, { ...base, meaning: true }, actions);
    expect(el.textContent).toContain("by words and by meaning");
  });

  it("picks the right message", () => {
    expect(emptyKind(base)).toBe("welcome");
    expect(emptyKind({ ...base, firstRun: false })).toBe("no-index");
    expect(emptyKind({ ...base, hasFolders: true, indexing: true })).toBe("building");
    expect(emptyKind({ ...base, hasFolders: true, filesIndexed: 5, query: "x" })).toBe("no-match");
    expect(emptyKind({ ...base, hasFolders: true, filesIndexed: 5 })).toBe("ready");
    expect(emptyKind({ ...base, error: "boom" })).toBe("error");
  });
});

describe("describeStep", () => {
  it("reports done/total as a fraction", () => {
    expect(describeStep({ step: "indexing", done: 3, total: 4, current: "/a/b.pdf" })).toEqual({
      label: "Indexing 3 / 4 files — b.pdf",
      fraction: 0.75,
    });
    expect(describeStep({ step: "crawling", seen: 10 }).fraction).toBeNull();
  });
});
