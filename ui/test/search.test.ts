import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Hit, SearchAnswer, SearchArgs } from "../src/api";
import { SearchController, type Phase, type Stage } from "../src/search";
import { answer, hit, ids } from "./fixtures";

const args = (query: string, rerank = true): SearchArgs => ({
  query,
  limit: 10,
  mode: "hybrid",
  rerank,
  kinds: [],
  folder: null,
  modified_after: null,
  modified_before: null,
});

function recorder() {
  const shown: { ids: number[]; reranked: boolean; query: string; weak?: boolean }[] = [];
  const phases: Phase[] = [];
  return {
    shown,
    phases,
    view: {
      show: (hs: Hit[], reranked: boolean, query: string, weak?: boolean) =>
        shown.push(weak ? { ids: ids(hs), reranked, query, weak } : { ids: ids(hs), reranked, query }),
      phase: (p: Phase) => phases.push(p),
    },
  };
}

describe("SearchController", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("shows fused hits first, then the first reranked files, then the full depth, from one call", async () => {
    const rec = recorder();
    const run = vi.fn(async (_a: SearchArgs, _s: number, onStage: (st: Stage, hs: Hit[]) => void) => {
      onStage("fused", [hit(1), hit(2), hit(3)]);
      onStage("partial", [hit(2, 0.9), hit(1, 0.2), hit(3)]);
      return answer([hit(3, 0.95), hit(2, 0.9), hit(1, 0.2)]);
    });
    const c = new SearchController(run, rec.view, 50);
    c.schedule(() => args("bread"));
    await vi.runAllTimersAsync();
    expect(run).toHaveBeenCalledTimes(1);
    expect(rec.shown).toEqual([
      { ids: [1, 2, 3], reranked: false, query: "bread" },
      { ids: [2, 1, 3], reranked: true, query: "bread" },
      { ids: [3, 2, 1], reranked: true, query: "bread" },
    ]);
    expect(rec.phases).toEqual(["searching", "reranking", "done"]);
  });

  it("shows a search without reranking once", async () => {
    const rec = recorder();
    const c = new SearchController(async () => answer([hit(4), hit(5)]), rec.view, 0);
    await c.now(args("bread", false));
    expect(rec.shown).toEqual([{ ids: [4, 5], reranked: false, query: "bread" }]);
    expect(rec.phases).toEqual(["searching", "done"]);
  });

  it("marks the final answer weak when the engine finds no strong match", async () => {
    const rec = recorder();
    const c = new SearchController(async () => answer([hit(4), hit(5)], true), rec.view, 0);
    await c.now(args("purple elephants", false));
    expect(rec.shown).toEqual([{ ids: [4, 5], reranked: false, query: "purple elephants", weak: true }]);
  });

  it("debounces keystrokes into one search", async () => {
    const rec = recorder();
    const run = vi.fn(async (_a: SearchArgs, _s: number) => answer([hit(1)]));
    const c = new SearchController(run, rec.view, 50);
    for (const q of ["b", "br", "bre", "brea", "bread"]) {
      c.schedule(() => args(q, false));
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.runAllTimersAsync();
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0][0].query).toBe("bread");
  });

  it("drops a stale answer that arrives after a newer query started", async () => {
    const rec = recorder();
    let release: (h: SearchAnswer) => void = () => {};
    const slow = new Promise<SearchAnswer>((r) => (release = r));
    const run = vi.fn((a: SearchArgs) => (a.query === "old" ? slow : Promise.resolve(answer([hit(7)]))));
    const c = new SearchController(run, rec.view, 0);
    void c.now(args("old", false));
    await c.now(args("new", false));
    release(answer([hit(1)]));
    await vi.runAllTimersAsync();
    expect(rec.shown.map((s) => s.query)).toEqual(["new"]);
  });

  it("ignores the shell's cancelled error for an overtaken query", async () => {
    const rec = recorder();
    const c = new SearchController(async () => Promise.reject({ code: "cancelled", message: "x" }), rec.view, 0);
    await c.now(args("q"));
    expect(rec.phases).toEqual(["searching"]);
  });

  it("clears on an empty query without calling the shell", async () => {
    const rec = recorder();
    const run = vi.fn(async (_a: SearchArgs, _s: number) => answer([hit(1)]));
    const c = new SearchController(run, rec.view, 0);
    await c.now(args("   "));
    expect(run).not.toHaveBeenCalled();
    expect(rec.shown).toEqual([{ ids: [], reranked: false, query: "" }]);
  });
});
