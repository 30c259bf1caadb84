import type { Hit, SearchAnswer } from "../src/api";

/** A hit with the given id and optional rerank score. */
export function hit(id: number, rerank: number | null = null, snippet = `text ${id}`): Hit {
  return {
    file_id: id,
    path: `/home/u/docs/file${id}.md`,
    title: null,
    kind: "markdown",
    modified: 1_700_000_000,
    score: 1 / id,
    snippet: { text: snippet, highlights: [] },
    location: { line: id },
    passage_id: id * 10,
    details: { bm25_rank: id, vector_rank: null, fused_score: 1 / (60 + id), rerank_score: rerank },
  };
}

export const ids = (hs: Hit[]) => hs.map((h) => h.file_id);

/** The shell's final answer. */
export const answer = (hits: Hit[], noStrongMatch = false): SearchAnswer => ({
  hits,
  no_strong_match: noStrongMatch,
  problems: [],
});
