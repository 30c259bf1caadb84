import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FIRST_ROWS, renderResults } from "../src/results";
import { hit } from "./fixtures";

const cb = { select: () => {}, open: () => {}, why: () => {} };
const hits = (n: number, from = 1) => Array.from({ length: n }, (_, i) => hit(from + i));
const rowIds = (list: HTMLElement) => [...list.querySelectorAll(".result")].map((r) => Number((r as HTMLElement).dataset.fileId));

describe("renderResults", () => {
  let frames: FrameRequestCallback[] = [];
  beforeEach(() => {
    frames = [];
    vi.stubGlobal("requestAnimationFrame", (f: FrameRequestCallback) => frames.push(f));
    vi.stubGlobal("cancelAnimationFrame", (id: number) => {
      frames[id - 1] = () => {};
    });
    Element.prototype.scrollIntoView = () => {};
  });
  afterEach(() => vi.unstubAllGlobals());

  it("paints the first rows at once and the rest in the next frame, in order", () => {
    const list = document.createElement("ul");
    renderResults(list, hits(40), 0, null, cb);
    expect(rowIds(list)).toEqual(hits(FIRST_ROWS).map((h) => h.file_id));
    frames.forEach((f) => f(0));
    expect(rowIds(list)).toEqual(hits(40).map((h) => h.file_id));
    expect(list.querySelectorAll(".result.selected").length).toBe(1);
  });

  it("drops the rest of an older list when a newer one is painted", () => {
    const list = document.createElement("ul");
    renderResults(list, hits(40), 0, null, cb);
    renderResults(list, hits(3, 100), 0, null, cb);
    frames.forEach((f) => f(0));
    expect(rowIds(list)).toEqual([100, 101, 102]);
  });

  it("builds the selected row at once even below the first rows", () => {
    const list = document.createElement("ul");
    renderResults(list, hits(40), 30, null, cb);
    expect(list.querySelector(".result.selected")?.getAttribute("data-index")).toBe("30");
  });
});
