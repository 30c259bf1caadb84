import { describe, expect, it } from "vitest";
import { countLabel, sortHits } from "../src/sort";
import { hit, ids } from "./fixtures";

describe("sortHits", () => {
  const a = { ...hit(1), path: "/d/Zebra notes.md", modified: 100 };
  const b = { ...hit(2), path: "/d/apple 10.txt", modified: 300 };
  const c = { ...hit(3), path: "/d/apple 9.txt", modified: 200 };
  it("keeps the engine's order for relevance", () => {
    expect(ids(sortHits([a, b, c], "relevance"))).toEqual([1, 2, 3]);
  });
  it("puts the newest first by date", () => {
    expect(ids(sortHits([a, b, c], "date"))).toEqual([2, 3, 1]);
  });
  it("sorts names as a person reads them: case aside, numbers by value", () => {
    expect(ids(sortHits([a, b, c], "name"))).toEqual([3, 2, 1]);
  });
  it("does not reorder its input", () => {
    const list = [a, b, c];
    sortHits(list, "date");
    expect(ids(list)).toEqual([1, 2, 3]);
  });
});

describe("countLabel", () => {
  it("says when there may be more than were fetched", () => {
    expect(countLabel(50, 50)).toBe("50+ results");
    expect(countLabel(50, 50, 312)).toBe(`${(312).toLocaleString()} results`);
    expect(countLabel(50, 50, 20)).toBe("50+ results"); // meaning matches beyond the words
    expect(countLabel(7, 50, 312)).toBe("7 results");
    expect(countLabel(7, 50)).toBe("7 results");
    expect(countLabel(1, 50)).toBe("1 result");
    expect(countLabel(0, 50)).toBe("");
  });
});
