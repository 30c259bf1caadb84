//! `Engine::search`: lexical + vector → fuse → rerank → group into files.

use super::confidence::COVERAGE_TOP;
use super::passages::SearchPassages;
use super::window::{focus_window, CPU_WINDOW_TOKENS};
use super::{
    fuse_with, group_by_file, names, rerank_candidates, Candidate, Hit, Mode, ParsedQuery,
    ScoreDetails, SearchRequest, SearchResults,
};
use crate::engine::Engine;
use crate::lexical::LexicalQuery;
use crate::models::Reranker;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Longest snippet shown for a hit, in bytes.
const SNIPPET_CHARS: usize = 240;

/// Passages the reranker reads per file: its best, and its second best when
/// that one ranks high too.
const RERANK_PER_FILE: usize = 2;

/// How far a progressive search has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchStage {
    /// Retrieved and fused; the reranker has not spoken yet.
    Fused,
    /// The first files are reranked; the rest of the depth follows.
    Partial,
    /// The final answer.
    Done,
}

/// Receives a progressive search's stages.
type StageSink<'a> = dyn FnMut(SearchStage, &[Hit]) + 'a;

/// What the reranker reads of one search: the query, the terms BM25 matched
/// and the window size.
struct RerankInput<'a> {
    reranker: &'a dyn Reranker,
    query: &'a str,
    terms: Vec<String>,
    window: usize,
}

/// Up to this many passages admitted by a filter are scored one by one
/// (binary search for each row, then a dot product); past it a scan of the
/// whole index with over-fetching is cheaper.
const SCORE_WITHIN_LIMIT: usize = 50_000;

impl Engine {
    /// Answers a query with files, best first.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>> {
        Ok(self.search_results(req, &|| false)?.hits)
    }

    /// How many files match `query` by their words or names, with `filters`:
    /// the true count behind a full page of results (meaning matches are not
    /// counted, since every file is near a query in some measure).
    pub fn count_files(&self, query: &str, filters: &super::Filters) -> Result<u64> {
        let parsed = ParsedQuery::parse(query);
        if parsed.is_empty() {
            return Ok(0);
        }
        if self.opts.read_only {
            self.lexical.refresh()?;
        }
        let lq = self.lexical.query(&parsed, filters)?;
        self.lexical.count_files(&lq)
    }

    /// Like [`Engine::search`], but gives up with [`Error::Cancelled`] as
    /// soon as `should_stop` says so (checked between reranker runs, where
    /// nearly all the time goes).
    pub fn search_cancellable(
        &self,
        req: &SearchRequest,
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Vec<Hit>> {
        Ok(self.search_results(req, should_stop)?.hits)
    }

    /// Like [`Engine::search_cancellable`], with the "no strong match"
    /// verdict and its evidence.
    pub fn search_results(
        &self,
        req: &SearchRequest,
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<SearchResults> {
        self.search_staged(req, None, should_stop)
    }

    /// A search that shows its work as it goes: `on_stage` receives the fused
    /// files at once ([`SearchStage::Fused`]), then the order with the first
    /// `rerank_first` files reranked ([`SearchStage::Partial`]), then the
    /// final answer ([`SearchStage::Done`]), which is also returned. Retrieval
    /// runs once. Without reranking only `Done` is reported.
    pub fn search_progressive(
        &self,
        req: &SearchRequest,
        on_stage: &mut dyn FnMut(SearchStage, &[Hit]),
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<SearchResults> {
        self.search_staged(req, Some(on_stage), should_stop)
    }

    /// The search itself. The earlier stages' hits (snippets, file lookups)
    /// are only built when someone listens for them.
    fn search_staged(
        &self,
        req: &SearchRequest,
        mut on_stage: Option<&mut StageSink<'_>>,
        should_stop: &(dyn Fn() -> bool + Sync),
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

        let lexical_hits = if mode == Mode::Vector && parsed.has_text() {
            Vec::new()
        } else {
            let _s = tracing::debug_span!(target: "search::lexical", "bm25").entered();
            self.lexical.search(&lq, candidates)?
        };
        let lexical: Vec<(i64, f32)> = lexical_hits
            .iter()
            .map(|h| (h.passage_id, h.score))
            .collect();
        let vector = match (&embedder, mode) {
            (Some(e), Mode::Vector | Mode::Hybrid) if parsed.has_text() => {
                self.vector_candidates(e.as_ref(), query, &lq, candidates)?
            }
            _ => Vec::new(),
        };

        let mut passages = self.candidate_files(&lexical_hits, &vector)?;
        let mut fused = fuse_with(req.fusion, &lexical, &vector, |p| passages.file_of(p));
        // A meaning candidate whose passage has just been deleted has no file.
        fused.retain(|c| passages.file_of(c.passage_id).is_some());
        if mode == Mode::Bm25 {
            // With one list, BM25 itself is the clearest score to show.
            for c in &mut fused {
                c.fused = c.bm25_score.unwrap_or(c.fused);
            }
        }
        let reranker = if req.rerank && parsed.has_text() {
            self.reranker()
        } else {
            None
        };
        // The passages the reranker reads, best files first: the first
        // `rerank_first` files, then the rest of the depth.
        let (head, tail) = match &reranker {
            Some(_) => loop {
                let groups = rerank_candidates(
                    &fused,
                    |p| passages.file_of(p),
                    req.rerank_top,
                    RERANK_PER_FILE,
                );
                let ids = |g: &[Vec<usize>]| -> Vec<i64> {
                    g.concat().iter().map(|&i| fused[i].passage_id).collect()
                };
                let first = match req.rerank_first {
                    0 => groups.len(),
                    n => n.min(groups.len()),
                };
                let (head, tail) = (ids(&groups[..first]), ids(&groups[first..]));
                let all: Vec<i64> = head.iter().chain(&tail).copied().collect();
                if !self.load_passages(&mut passages, &all, &mut fused)? {
                    break (head, tail);
                }
            },
            None => (Vec::new(), Vec::new()),
        };
        if let Some(reranker) = reranker.filter(|_| !head.is_empty()) {
            if let Some(f) = on_stage.as_deref_mut() {
                f(
                    SearchStage::Fused,
                    &self.ranked(&lq, &mut fused, &mut passages, req.limit)?,
                );
            }
            let _s = tracing::debug_span!(target: "search::rerank", "rerank", passages = head.len() + tail.len())
                .entered();
            let window = req
                .rerank_window
                .unwrap_or(if reranker.provider() == "cpu" {
                    CPU_WINDOW_TOKENS
                } else {
                    reranker.max_length()
                })
                .min(reranker.max_length());
            let input = RerankInput {
                reranker: reranker.as_ref(),
                query,
                terms: self.lexical.query_terms(query),
                window,
            };
            self.rerank(&input, &mut fused, head, &passages, should_stop)?;
            if !tail.is_empty() {
                if let Some(f) = on_stage.as_deref_mut() {
                    f(
                        SearchStage::Partial,
                        &self.ranked(&lq, &mut fused, &mut passages, req.limit)?,
                    );
                }
                self.rerank(&input, &mut fused, tail, &passages, should_stop)?;
            }
        }
        let hits = self.ranked(&lq, &mut fused, &mut passages, req.limit)?;
        let covered: Vec<i64> = lexical.iter().take(COVERAGE_TOP).map(|c| c.0).collect();
        self.load_passages(&mut passages, &covered, &mut fused)?;
        let evidence = self.evidence(&lq, &lexical, &vector, &fused, &passages)?;
        if let Some(f) = on_stage {
            f(SearchStage::Done, &hits);
        }
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
        let index = self.vector_snapshot(embedder.id())?;
        if index.is_empty() {
            return Ok(Vec::new());
        }
        let q = embedder.embed_query(query)?;
        let cat = self.reader()?;
        if !lq.has_constraints() {
            return index.search_rescored(cat.conn(), &q, n);
        }
        // Filters, phrases and exclusions live in the lexical index. A
        // selective one names few enough passages to score them all;
        // otherwise over-fetch, then keep what it admits.
        if let Some(ids) = self.lexical.admitted_passages(lq, SCORE_WITHIN_LIMIT)? {
            return index.search_within(cat.conn(), &q, &ids, n);
        }
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

    /// Scores `fused[i]` for each `i` in `picked` with the cross-encoder,
    /// reading each passage's query-focused window; cached scores are reused.
    fn rerank(
        &self,
        input: &RerankInput<'_>,
        fused: &mut [Candidate],
        ids: Vec<i64>,
        passages: &SearchPassages,
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<()> {
        if should_stop() {
            return Err(Error::Cancelled);
        }
        let model = input.reranker.id();
        let mut scores = self
            .rerank_cache
            .get(model, input.query, input.window, &ids);
        let todo: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !scores.contains_key(id) && passages.get(id).is_some())
            .collect();
        if !todo.is_empty() {
            let budget = input
                .window
                .saturating_sub(input.reranker.query_tokens(input.query))
                .max(16);
            let windows: Vec<&str> = todo
                .iter()
                .filter_map(|id| passages.get(id))
                .map(|p| self.window_of(input, &p.text, budget))
                .collect();
            let fresh = input
                .reranker
                .score_cancellable(input.query, &windows, should_stop)?;
            let fresh: Vec<(i64, crate::models::RerankScore)> =
                todo.iter().copied().zip(fresh).collect();
            self.rerank_cache
                .put(model, input.query, input.window, &fresh);
            scores.extend(fresh);
        }
        for c in fused.iter_mut() {
            if let Some(s) = scores.get(&c.passage_id) {
                c.rerank = Some(s.score);
            }
        }
        Ok(())
    }

    /// The part of `text` the current reranker reads for `query` when one
    /// (query, window) pair holds `window` tokens: what the search path
    /// scores, for tests and for benchmarks that feed the same pairs to
    /// another runtime.
    pub fn rerank_window(&self, query: &str, text: &str, window: usize) -> Result<String> {
        let reranker = self
            .reranker()
            .ok_or_else(|| Error::Input("no reranker is loaded".into()))?;
        let query = query.trim();
        let input = RerankInput {
            reranker: reranker.as_ref(),
            query,
            terms: self.lexical.query_terms(query),
            window,
        };
        let budget = window.saturating_sub(reranker.query_tokens(query)).max(16);
        Ok(self.window_of(&input, text, budget).to_string())
    }

    /// The text of a passage, by id.
    pub fn passage_text(&self, passage_id: i64) -> Result<Option<String>> {
        Ok(self
            .reader()?
            .passages_by_id(&[passage_id])?
            .remove(&passage_id)
            .map(|p| p.text))
    }

    /// The part of `text` the reranker reads: `budget` of its tokens around
    /// the query's terms.
    fn window_of<'t>(&self, input: &RerankInput<'_>, text: &'t str, budget: usize) -> &'t str {
        let Some(spans) = input.reranker.token_spans(text) else {
            return text;
        };
        let matches = self.lexical.term_matches(text, &input.terms);
        let (a, b) = focus_window(text, &spans, &matches, budget);
        text.get(a..b).unwrap_or(text)
    }

    /// The best `limit` files, their passages loaded (a candidate the
    /// catalog no longer has gives its place to the next).
    fn ranked(
        &self,
        lq: &LexicalQuery,
        fused: &mut Vec<Candidate>,
        passages: &mut SearchPassages,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        loop {
            let files: Vec<(i64, Candidate)> = group_by_file(fused, |p| passages.file_of(p))
                .into_iter()
                .take(limit)
                .collect();
            let ids: Vec<i64> = files.iter().map(|(_, c)| c.passage_id).collect();
            if !self.load_passages(passages, &ids, fused)? {
                return self.hits(lq, files.into_iter(), passages);
            }
        }
    }

    fn hits(
        &self,
        lq: &LexicalQuery,
        files: impl Iterator<Item = (i64, Candidate)>,
        passages: &SearchPassages,
    ) -> Result<Vec<Hit>> {
        let cat = self.reader()?;
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
