import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Hit, Preview } from "../src/api";
import { firstCurrent, PreviewPane, stepCurrent } from "../src/preview";
import { hit } from "./fixtures";

/** A preview whose text marks every "kale" (byte ranges: ASCII, so bytes = chars). */
function preview(text: string, hitStart = 0, word = "kale"): Preview {
  const highlights: [number, number][] = [];
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) highlights.push([i, i + word.length]);
  return { file_id: 1, path: "/home/u/docs/garden.md", kind: "markdown", section: "from line 1", location: { line: 1 }, text, highlights, hit_start: hitStart, more_before: false, more_after: true };
}

describe("match navigation", () => {
  it("starts at the hit's own match, not the section's first", () => {
    expect(firstCurrent([[0, 4], [10, 14], [30, 34]], 12)).toBe(2);
    expect(firstCurrent([[0, 4], [10, 14]], 10)).toBe(1);
    expect(firstCurrent([[0, 4]], 99)).toBe(0);
    expect(firstCurrent([], 0)).toBe(-1);
  });

  it("wraps around both ways", () => {
    expect(stepCurrent(2, 3, 1)).toBe(0);
    expect(stepCurrent(0, 3, -1)).toBe(2);
    expect(stepCurrent(0, 0, 1)).toBe(-1);
  });
});

describe("PreviewPane", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    Element.prototype.scrollIntoView = () => {};
  });
  afterEach(() => vi.useRealTimers());

  const flush = async () => {
    await vi.runAllTimersAsync();
  };

  it("marks every match as text and steps through them", async () => {
    const panel = document.createElement("aside");
    const text = "kale in spring. <b>kale</b> in autumn. kale again.";
    const load = vi.fn(async () => preview(text, 16));
    const pane = new PreviewPane(panel, load, () => {});
    pane.toggle(hit(1), "kale");
    await flush();
    expect(panel.hidden).toBe(false);
    const marks = [...panel.querySelectorAll("mark")];
    expect(marks.map((m) => m.textContent)).toEqual(["kale", "kale", "kale"]);
    // Document text is never parsed as HTML.
    expect(panel.querySelector("b")).toBeNull();
    expect(panel.textContent).toContain("<b>kale</b>");
    expect(panel.querySelector("mark.current")).toBe(marks[1]);
    expect(panel.querySelector("#preview-count")?.textContent).toBe("match 2 of 3");
    pane.step(1);
    expect(panel.querySelector("mark.current")).toBe(marks[2]);
    pane.step(1);
    expect(panel.querySelector("mark.current")).toBe(marks[0]);
    pane.step(-1);
    expect(panel.querySelector("#preview-count")?.textContent).toBe("match 3 of 3");
  });

  it("follows the selection once it rests, and only while open", async () => {
    const panel = document.createElement("aside");
    const load = vi.fn(async (_hit: Hit, _query: string) => preview("kale"));
    const pane = new PreviewPane(panel, load, () => {});
    pane.follow(hit(1), "kale");
    await flush();
    expect(load).not.toHaveBeenCalled();
    pane.toggle(hit(1), "kale");
    await flush();
    expect(load).toHaveBeenCalledTimes(1);
    // Quick moves over three rows fetch only the one the selection rests on.
    pane.follow(hit(2), "kale");
    pane.follow(hit(3), "kale");
    pane.follow(hit(4), "kale");
    await flush();
    expect(load).toHaveBeenCalledTimes(2);
    expect(load.mock.calls[1][0]).toMatchObject({ file_id: 4 });
    // The same hit and query again: nothing to fetch.
    pane.follow(hit(4), "kale");
    await flush();
    expect(load).toHaveBeenCalledTimes(2);
    pane.toggle(null, "", false);
    expect(panel.hidden).toBe(true);
  });

  it("shows an answer that arrives late only if it is still wanted", async () => {
    const panel = document.createElement("aside");
    let release: (p: Preview) => void = () => {};
    const load = vi
      .fn()
      .mockImplementationOnce(() => new Promise<Preview>((r) => (release = r)))
      .mockImplementation(async () => preview("new kale"));
    const pane = new PreviewPane(panel, load, () => {});
    pane.toggle(hit(1), "kale");
    await flush();
    pane.follow(hit(2), "kale");
    await flush();
    release(preview("old kale"));
    await flush();
    expect(panel.querySelector(".preview-text")?.textContent).toContain("new kale");
  });
});
