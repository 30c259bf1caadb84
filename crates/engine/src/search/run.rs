//! `Engine::search`: lexical + vector → fuse → rerank → group into files.

use super::{
    fuse, group_by_file, names, Candidate, Hit, Mode, ParsedQuery, ScoreDetails, SearchRequest,
    SearchResults,
};
use crate::catalog::StoredPassage;
use crate::engine::Engine;
use crate::lexical::LexicalQuery;
use crate::{Error, Result};
use std::collections::HashMap;

/// Longest snippet shown for a hit, in bytes.
const SNIPPET_CHARS: usize = 240;

/// Passages per reranker call. Small, so a search overtaken by a newer
/// keystroke stops within a fraction of a second instead of after the whole
/// top 30.
const RERANK_BATCH: usize = 4;

impl Engine {
    /// Answers a query with files, best first.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>> {
        Ok(self.search_results(req, &|| false)?.hits)
    }

    /// Like [`Engine::search`], but gives up with [`Error::Cancelled`] as
    /// soon as `should_stop` says so (checked between reranker batches, where
    /// nearly all the time goes).
    pub fn search_cancellable(
        &self,
        req: &SearchRequest,
        should_stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Hit>> {
        Ok(self.search_results(req, should_stop)?.hits)
    }

    /// Like [`Engine::search_cancellable`], with the "no strong match"
    /// verdict and its evidence.
    pub fn search_results(
        &self,
        req: &SearchRequest,
        should_stop: &dyn Fn() -> bool,
    ) -> Result<SearchResults> {
        // Operators leave the text here: the embedder and the reranker see
        // only `query`, the words and phrases.
        let parsed = ParsedQuery::parse(&req.query);
        if parsed.is_empty() {
            return Ok(SearchResults::default());
        }
        let query = parsed.semantic_text();
        if req.limit == 0 {
            return Err(Error::Input("limit must be at least 1".into()));
        }
        if self.opts.read_only {
            self.lexical.refresh()?;
        }
        let lq = self.lexical.query(&parsed, &req.filters)?;
        let embedder = self.embedder();
        let mode = match (req.mode, &embedder) {
            (Mode::Vector, None) => {
                return Err(Error::Input(
                    "vector search needs an embedder (--embedder DIR)".into(),
                ))
            }
            (Mode::Hybrid, None) => Mode::Bm25,
            (m, _) => m,
        };
        let candidates = req.candidates.max(req.limit);

        let lexical = if mode == Mode::Vector && parsed.has_text() {
            Vec::new()
        } else {
            let _s = tracing::debug_span!(target: "search::lexical", "bm25").entered();
            self.lexical
                .search(&lq, candidates)?
                .into_iter()
                .map(|h| (h.passage_id, h.score))
                .collect()
        };
        let vector = match (&embedder, mode) {
            (Some(e), Mode::Vector | Mode::Hybrid) if parsed.has_text() => {
                self.vector_candidates(e.as_ref(), query, &lq, candidates)?
            }
            _ => Vec::new(),
        };

        let mut fused = fuse(&lexical, &vector, req.rrf_k);
        let passages = {
            let ids: Vec<i64> = fused.iter().map(|c| c.passage_id).collect();
            let mut found = self.catalog()?.passages_by_id(&ids)?;
            self.add_name_entries(&ids, &mut found)?;
            found
        };
        // Stale tantivy docs (a crash between commits) have no catalog passage.
        fused.retain(|c| passages.contains_key(&c.passage_id));
        if mode == Mode::Bm25 {
            // With one list, BM25 itself is the clearest score to show.
            for c in &mut fused {
                c.fused = c.bm25_score.unwrap_or(c.fused);
            }
        }
        if req.rerank && parsed.has_text() {
            self.rerank(query, &mut fused, &passages, req.rerank_top, should_stop)?;
        }
        let files = group_by_file(&fused, |p| passages.get(&p).map(|s| s.file_id));
        let hits = self.hits(&lq, files.into_iter().take(req.limit), &passages)?;
        let evidence = self.evidence(&lq, &lexical, &vector, &fused, &passages)?;
        Ok(SearchResults {
            // Operators alone (`type:pdf after:2024`) are answered exactly.
            no_strong_match: hits.is_empty() || (parsed.has_text() && evidence.no_strong_match()),
            hits,
            evidence,
            problems: parsed.problems.clone(),
        })
    }

    /// The `n` passages nearest the query embedding, filters and operators applied.
    fn vector_candidates(
        &self,
        embedder: &dyn crate::models::Embedder,
        query: &str,
        lq: &LexicalQuery,
        n: usize,
    ) -> Result<Vec<(i64, f32)>> {
        let _s = tracing::debug_span!(target: "search::vector", "vector").entered();
        let index = self.vector_index(embedder.id())?;
        if index.is_empty() {
            return Ok(Vec::new());
        }
        let q = embedder.embed_query(query)?;
        let cat = self.catalog()?;
        if !lq.has_constraints() {
            return index.search_rescored(cat.conn(), &q, n);
        }
        // Filters, phrases and exclusions live in the lexical index:
        // over-fetch, then keep what it admits.
        let raw = index.search_rescored(cat.conn(), &q, n * 8)?;
        let admitted = self
            .lexical
            .admit(lq, &raw.iter().map(|r| r.0).collect::<Vec<_>>())?;
        Ok(raw
            .into_iter()
            .filter(|(id, _)| admitted.contains(id))
            .take(n)
            .collect())
    }

    /// Scores the top `top` candidates with the cross-encoder, in place.
    fn rerank(
        &self,
        query: &str,
        fused: &mut [Candidate],
        passages: &HashMap<i64, StoredPassage>,
        top: usize,
        should_stop: &dyn Fn() -> bool,
    ) -> Result<()> {
        let Some(reranker) = self.reranker() else {
            return Ok(());
        };
        let _s = tracing::debug_span!(target: "search::rerank", "rerank", n = top).entered();
        let n = top.min(fused.len());
        for batch in fused[..n].chunks_mut(RERANK_BATCH) {
            if should_stop() {
                return Err(Error::Cancelled);
            }
            // Every fused candidate has a passage (stale ones were dropped).
            let texts: Vec<&str> = batch
                .iter()
                .filter_map(|c| passages.get(&c.passage_id).map(|p| p.text.as_str()))
                .collect();
            let scores = reranker.score(query, &texts)?;
            for (c, s) in batch.iter_mut().zip(scores) {
                c.rerank = Some(s.score);
            }
        }
        Ok(())
    }

    fn hits(
        &self,
        lq: &LexicalQuery,
        files: impl Iterator<Item = (i64, Candidate)>,
        passages: &HashMap<i64, StoredPassage>,
    ) -> Result<Vec<Hit>> {
        let cat = self.catalog()?;
        let snippets = self.lexical.snippets(lq, SNIPPET_CHARS)?;
        let mut out = Vec::new();
        for (file_id, c) in files {
            let (Some(file), Some(p)) = (cat.file_by_id(file_id)?, passages.get(&c.passage_id))
            else {
                continue;
            };
            let snippet = snippets.of(p);
            let mut location = p.location.clone();
            // Point at the line of the first match, not the passage's first line.
            if let (Some(line), Some(at)) = (location.line, snippet.first_match) {
                let before = p.text.get(..at).unwrap_or("");
                location.line = Some(line + before.matches('\n').count() as u32);
            }
            let matched = names::matched(&c, &snippet, lq.has_text());
            out.push(Hit {
                matched,
                file_id,
                path: file.path,
                title: file.title,
                kind: file.kind,
                modified: file.mtime_ns / 1_000_000_000,
                score: c.rerank.unwrap_or(c.fused),
                snippet,
                location,
                passage_id: c.passage_id,
                details: ScoreDetails {
                    bm25_rank: c.bm25_rank,
                    bm25_score: c.bm25_score,
                    vector_rank: c.vector_rank,
                    vector_score: c.vector_score,
                    fused_score: c.fused,
                    rerank_score: c.rerank,
                },
            });
        }
        Ok(out)
    }
}
