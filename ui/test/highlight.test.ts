import { describe, expect, it } from "vitest";
import { byteRangesToUtf16, normaliseRanges, renderHighlighted } from "../src/highlight";

function render(text: string, ranges: [number, number][]): HTMLDivElement {
  const div = document.createElement("div");
  div.appendChild(renderHighlighted(document, text, ranges));
  return div;
}

describe("renderHighlighted", () => {
  it("wraps matched ranges in <mark> and keeps the rest as text", () => {
    const div = render("the quick brown fox", [[4, 9], [16, 19]]);
    expect(div.innerHTML).toBe("the <mark>quick</mark> brown <mark>fox</mark>");
    expect(div.textContent).toBe("the quick brown fox");
  });

  it("shows HTML and script payloads as text, never as elements", () => {
    const text = `<script>alert(1)</script><img src=x onerror="alert(2)">`;
    const div = render(text, [[8, 16]]);
    expect(div.textContent).toBe(text);
    expect(div.querySelectorAll("script, img").length).toBe(0);
    expect(div.querySelectorAll("mark").length).toBe(1);
    expect(div.querySelector("mark")?.textContent).toBe("alert(1)");
  });

  it("merges overlapping ranges and clips bad ones without losing text", () => {
    const div = render("abcdefgh", [[5, 99], [1, 3], [2, 4], [-5, 0], [7, 6]]);
    expect(div.innerHTML).toBe("a<mark>bcd</mark>e<mark>fgh</mark>");
  });

  it("renders plain text when there are no highlights", () => {
    expect(render("plain", []).innerHTML).toBe("plain");
    expect(render("", [[0, 3]]).innerHTML).toBe("");
  });
});

describe("normaliseRanges", () => {
  it("sorts, merges touching ranges and drops empty ones", () => {
    expect(normaliseRanges(10, [[6, 8], [0, 2], [2, 4], [5, 5]])).toEqual([[0, 4], [6, 8]]);
  });
});

describe("byteRangesToUtf16", () => {
  it("is the identity for ASCII", () => {
    expect(byteRangesToUtf16("hello world", [[6, 11]])).toEqual([[6, 11]]);
  });

  it("maps UTF-8 byte offsets past accented and astral characters", () => {
    // "café ☕ 🍞 bread": é is 2 bytes, ☕ 3 bytes, 🍞 4 bytes (2 UTF-16 units).
    const text = "café ☕ 🍞 bread";
    const start = new TextEncoder().encode("café ☕ 🍞 ").length;
    const [[s, e]] = byteRangesToUtf16(text, [[start, start + 5]]);
    expect(text.slice(s, e)).toBe("bread");
    const [[s2, e2]] = byteRangesToUtf16(text, [[0, 5]]);
    expect(text.slice(s2, e2)).toBe("café");
  });

  it("snaps offsets inside a character forward", () => {
    const [[s, e]] = byteRangesToUtf16("é", [[1, 2]]);
    expect([s, e]).toEqual([1, 1]);
  });
});
