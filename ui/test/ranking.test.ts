import { describe, expect, it } from "vitest";
import { followSelection, stableResort } from "../src/ranking";
import { hit, ids } from "./fixtures";

describe("stableResort", () => {
  it("orders by rerank score, highest first", () => {
    const shown = [hit(1), hit(2), hit(3)];
    const reranked = [hit(3, 0.9), hit(1, 0.5), hit(2, 0.1)];
    expect(ids(stableResort(shown, reranked))).toEqual([3, 1, 2]);
  });

  it("keeps the on-screen order for equal scores, whatever order the reranker sent", () => {
    const shown = [hit(1), hit(2), hit(3), hit(4)];
    const reranked = [hit(4, 0.5), hit(3, 0.7), hit(2, 0.5), hit(1, 0.5)];
    expect(ids(stableResort(shown, reranked))).toEqual([3, 1, 2, 4]);
  });

  it("keeps unscored hits after scored ones, in their old order", () => {
    const shown = [hit(1), hit(2), hit(3), hit(4)];
    const reranked = [hit(4, 0.2), hit(2, 0.8)];
    expect(ids(stableResort(shown, reranked))).toEqual([2, 4, 1, 3]);
  });

  it("appends hits only the reranked list has, and takes the reranked details", () => {
    const shown = [hit(1), hit(2)];
    const out = stableResort(shown, [hit(2, 0.9), hit(5, 0.95), hit(1, 0.3)]);
    expect(ids(out)).toEqual([5, 2, 1]);
    expect(out[1].details.rerank_score).toBe(0.9);
  });

  it("drops duplicate file ids instead of showing a file twice", () => {
    const out = stableResort([hit(1), hit(1), hit(2)], [hit(2, 0.4), hit(2, 0.9)]);
    expect(ids(out)).toEqual([2, 1]);
    expect(out[0].details.rerank_score).toBe(0.4);
  });

  it("treats NaN scores as missing", () => {
    expect(ids(stableResort([hit(1), hit(2)], [hit(1, Number.NaN), hit(2, 0.1)]))).toEqual([2, 1]);
  });

  it("is a no-op on an empty list", () => {
    expect(stableResort([], [])).toEqual([]);
  });
});

describe("followSelection", () => {
  it("follows the selected file to its new position", () => {
    const before = [hit(1), hit(2), hit(3)];
    const after = [hit(3), hit(1), hit(2)];
    expect(followSelection(before, after, 1)).toBe(2);
  });

  it("falls back to the top, or to nothing when empty", () => {
    expect(followSelection([hit(1)], [hit(7)], 0)).toBe(0);
    expect(followSelection([hit(1)], [], 0)).toBe(-1);
    expect(followSelection([], [hit(1)], -1)).toBe(0);
  });
});
