// Snippet highlighting. Document text is untrusted: it is only ever placed in
// the DOM as text nodes, with <mark> elements built by createElement around the
// matched ranges. Nothing here touches innerHTML.

/** A half-open range [start, end) into a snippet's text. */
export type Range = [number, number];

/**
 * The engine reports highlight ranges as UTF-8 byte offsets (Rust string
 * indices); JavaScript strings index UTF-16 code units. This converts each
 * byte offset to the matching UTF-16 offset. Offsets that fall inside a
 * character snap forward to the next character boundary.
 */
export function byteRangesToUtf16(text: string, ranges: Range[]): Range[] {
  if (ranges.length === 0) return [];
  // byteAt[i] = UTF-8 byte offset of UTF-16 index i; built once per snippet.
  const byteAt: number[] = new Array(text.length + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    byteAt[i] = bytes;
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte character spanning two UTF-16 units.
      byteAt[i + 1] = bytes;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  byteAt[text.length] = bytes;
  const toUtf16 = (b: number): number => {
    // Binary search for the first UTF-16 index whose byte offset is >= b.
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byteAt[mid] < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return ranges.map(([s, e]) => [toUtf16(s), toUtf16(e)] as Range);
}

/**
 * Sorts, clamps and merges ranges so they can be rendered left to right.
 * Empty, inverted and out-of-bounds ranges are dropped or clipped rather than
 * trusted: a bad range must never hide or duplicate text.
 */
export function normaliseRanges(length: number, ranges: Range[]): Range[] {
  const clean = ranges
    .filter((r) => Array.isArray(r) && Number.isFinite(r[0]) && Number.isFinite(r[1]))
    .map(([s, e]) => [Math.max(0, Math.min(s, length)), Math.max(0, Math.min(e, length))] as Range)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Range[] = [];
  for (const r of clean) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/**
 * Builds the snippet as a fragment of text nodes and <mark> elements.
 * `ranges` are UTF-16 offsets (see byteRangesToUtf16).
 */
export function renderHighlighted(doc: Document, text: string, ranges: Range[]): DocumentFragment {
  const frag = doc.createDocumentFragment();
  let pos = 0;
  for (const [s, e] of normaliseRanges(text.length, ranges)) {
    if (s > pos) frag.appendChild(doc.createTextNode(text.slice(pos, s)));
    const mark = doc.createElement("mark");
    mark.textContent = text.slice(s, e);
    frag.appendChild(mark);
    pos = e;
  }
  if (pos < text.length) frag.appendChild(doc.createTextNode(text.slice(pos)));
  return frag;
}
