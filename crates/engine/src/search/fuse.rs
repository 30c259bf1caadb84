//! Fusion of the lexical and vector lists into one order of files.
//!
//! Two functions, chosen per request ([`Fusion`]):
//! - **convex** (the default): `alpha × BM25 / best BM25 + (1 − alpha) ×
//!   (cosine + 1) / 2`, each file scored by its best passage in each list.
//!   Bruch et al. ("An Analysis of Fusion Functions for Hybrid Retrieval",
//!   2022) found a convex combination of theoretically normalised scores
//!   beats reciprocal rank fusion once alpha is tuned, and is robust to
//!   where it is tuned: the scores keep how far apart the results are,
//!   which ranks throw away.
//! - **RRF**, `Σ 1 / (k + rank)` over passages, kept for comparison.
//!
//! Measured on SciFact's train split only (`scripts/study-fusion.py`, then
//! this code through `scripts/bench-scifact.py --split train`); see
//! docs/BENCHMARKS.md, "Fusion".

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// RRF's k: ranks matter less the larger it is. Tuned on SciFact's train
/// split (809 queries, MiniLM + BM25, N = 100): k = 2 0.724, 5 0.721,
/// 10 0.722, 30 0.718, 60 0.714 NDCG@10; see docs/BENCHMARKS.md.
pub const RRF_K: f32 = 5.0;

/// The convex combination's weight on BM25: the best of a sweep from 0.08
/// to 0.31 in steps of 0.01 on SciFact's train split (file level, 809
/// queries): 0.10 0.733, 0.15 0.736, 0.18 **0.738**, 0.20 0.737, 0.25
/// 0.736, 0.30 0.731, against 0.718–0.721 for RRF; anything from 0.11 to
/// 0.25 is within 0.002 of it. BM25's share looks small only because a
/// cosine moves little: the normalised cosines of the top 100 span a few
/// hundredths, BM25 over its best spans 0 to 1.
pub const CONVEX_ALPHA: f32 = 0.18;

/// How the two lists become one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fusion {
    /// A convex combination of normalised scores at the file level.
    Convex {
        /// Weight of BM25, 0 to 1; the cosine gets the rest.
        alpha: f32,
    },
    /// Reciprocal rank fusion of passages.
    Rrf {
        /// The rank offset.
        k: f32,
    },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Convex {
            alpha: CONVEX_ALPHA,
        }
    }
}

/// A passage with its positions in each list.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Passage id.
    pub passage_id: i64,
    /// 1-based rank in the BM25 list.
    pub bm25_rank: Option<usize>,
    /// BM25 score.
    pub bm25_score: Option<f32>,
    /// 1-based rank in the vector list.
    pub vector_rank: Option<usize>,
    /// Cosine similarity.
    pub vector_score: Option<f32>,
    /// Fused score.
    pub fused: f32,
    /// Cross-encoder score, once reranked.
    pub rerank: Option<f32>,
}

/// Fuses ranked lists of (passage id, score). `file_of` maps a passage to
/// its file (convex fusion scores files); passages it does not know are
/// dropped by it. The result is in passage order (for convex fusion each
/// passage's `fused` is its file's score: `group_by_file` orders files by
/// it); ties keep BM25 order, then vector order, so results are
/// deterministic.
pub fn fuse_with(
    fusion: Fusion,
    bm25: &[(i64, f32)],
    vector: &[(i64, f32)],
    file_of: impl Fn(i64) -> Option<i64>,
) -> Vec<Candidate> {
    match fusion {
        Fusion::Rrf { k } => fuse(bm25, vector, k),
        Fusion::Convex { alpha } => convex(bm25, vector, alpha, file_of),
    }
}

/// Reciprocal rank fusion of passages.
pub fn fuse(bm25: &[(i64, f32)], vector: &[(i64, f32)], k: f32) -> Vec<Candidate> {
    let mut out = merge(bm25, vector);
    for c in &mut out {
        c.fused = [c.bm25_rank, c.vector_rank]
            .into_iter()
            .flatten()
            .map(|r| 1.0 / (k + r as f32))
            .sum();
    }
    out.sort_by(|a, b| b.fused.total_cmp(&a.fused));
    out
}

/// BM25 over the query's best BM25 (its theoretical minimum is 0) and the
/// cosine over its theoretical range, [-1, 1] → [0, 1]; combined per file,
/// each file by its best passage in each list. A file missing from a list
/// gets that list's floor: 0 for BM25, and the lowest cosine seen for the
/// vectors (it ranked below all of them).
fn convex(
    bm25: &[(i64, f32)],
    vector: &[(i64, f32)],
    alpha: f32,
    file_of: impl Fn(i64) -> Option<i64>,
) -> Vec<Candidate> {
    let best_bm25 = bm25.iter().map(|p| p.1).fold(0.0f32, f32::max);
    let norm_bm25 = |s: f32| if best_bm25 > 0.0 { s / best_bm25 } else { 0.0 };
    let norm_cos = |c: f32| (c.clamp(-1.0, 1.0) + 1.0) / 2.0;
    let cos_floor = vector
        .iter()
        .map(|p| norm_cos(p.1))
        .fold(f32::INFINITY, f32::min);
    let cos_floor = if cos_floor.is_finite() {
        cos_floor
    } else {
        0.0
    };

    let mut out = merge(bm25, vector);
    out.retain(|c| file_of(c.passage_id).is_some());
    // Each file's best normalised score in each list.
    let mut files: HashMap<i64, (f32, Option<f32>)> = HashMap::new();
    for c in &out {
        let Some(file) = file_of(c.passage_id) else {
            continue;
        };
        let e = files.entry(file).or_insert((0.0, None));
        if let Some(s) = c.bm25_score {
            e.0 = e.0.max(norm_bm25(s));
        }
        if let Some(v) = c.vector_score {
            e.1 = Some(e.1.map_or(norm_cos(v), |b: f32| b.max(norm_cos(v))));
        }
    }
    let file_score = |f: i64| {
        let (b, v) = files.get(&f).copied().unwrap_or((0.0, None));
        alpha * b + (1.0 - alpha) * v.unwrap_or(cos_floor)
    };
    // Every passage carries its file's score, which orders the files
    // (`group_by_file`); the list itself is in the order of each passage's
    // own combination, which picks the passage that represents a file and
    // decides whether a file's second passage is good enough for the
    // reranker to read (`rerank_candidates`), as with passage-level fusion.
    let own = |c: &Candidate| {
        alpha * c.bm25_score.map_or(0.0, norm_bm25)
            + (1.0 - alpha) * c.vector_score.map_or(cos_floor, norm_cos)
    };
    let mut keyed: Vec<(f32, Candidate)> = out
        .into_iter()
        .map(|mut c| {
            let o = own(&c);
            c.fused = file_of(c.passage_id).map_or(0.0, file_score);
            (o, c)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    keyed.into_iter().map(|(_, c)| c).collect()
}

/// The union of both lists, in first-seen order (BM25 first), with each
/// passage's rank and score in each.
fn merge(bm25: &[(i64, f32)], vector: &[(i64, f32)]) -> Vec<Candidate> {
    let mut at: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<Candidate> = Vec::with_capacity(bm25.len() + vector.len());
    for (list, is_bm25) in [(bm25, true), (vector, false)] {
        for (rank, &(id, score)) in list.iter().enumerate() {
            let i = *at.entry(id).or_insert_with(|| {
                out.push(blank(id));
                out.len() - 1
            });
            let c = &mut out[i];
            let (r, s) = if is_bm25 {
                (&mut c.bm25_rank, &mut c.bm25_score)
            } else {
                (&mut c.vector_rank, &mut c.vector_score)
            };
            if r.is_none() {
                *r = Some(rank + 1);
                *s = Some(score);
            }
        }
    }
    out
}

fn blank(id: i64) -> Candidate {
    Candidate {
        passage_id: id,
        bm25_rank: None,
        bm25_score: None,
        vector_rank: None,
        vector_score: None,
        fused: 0.0,
        rerank: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_beats_a_single_first_place() {
        let fused = fuse(&[(1, 9.0), (2, 8.0)], &[(3, 0.9), (2, 0.8)], RRF_K);
        assert_eq!(fused[0].passage_id, 2);
        assert_eq!(fused[0].bm25_rank, Some(2));
        assert_eq!(fused[0].vector_rank, Some(2));
        assert_eq!(fused.len(), 3);
    }

    #[test]
    fn equal_scores_keep_bm25_order() {
        let fused = fuse(&[(7, 1.0)], &[(8, 1.0)], RRF_K);
        assert_eq!(
            fused.iter().map(|c| c.passage_id).collect::<Vec<_>>(),
            [7, 8]
        );
    }

    fn ids(c: &[Candidate]) -> Vec<i64> {
        c.iter().map(|c| c.passage_id).collect()
    }

    #[test]
    fn convex_keeps_score_gaps_that_ranks_lose() {
        // Passage 1 is BM25's clear winner and the vectors' close second;
        // RRF puts the vectors' marginal first (3) level with it, the convex
        // combination does not.
        let bm25 = [(1, 20.0), (3, 2.0)];
        let vector = [(3, 0.61), (1, 0.60), (2, 0.2)];
        let c = fuse_with(Fusion::default(), &bm25, &vector, Some);
        assert_eq!(ids(&c), [1, 3, 2]);
        let r = fuse_with(Fusion::Rrf { k: RRF_K }, &bm25, &vector, Some);
        assert_eq!(r[0].fused, r[1].fused);
    }

    #[test]
    fn convex_scores_a_file_by_its_best_passage_in_each_list() {
        // File 10's keyword match (passage 1) and meaning match (passage 2)
        // are different passages; together they beat file 20, which is
        // second in both lists.
        let bm25 = [(1, 10.0), (3, 9.0)];
        let vector = [(2, 0.8), (3, 0.79)];
        let file = |p: i64| Some(if p == 3 { 20 } else { 10 });
        let c = fuse_with(Fusion::Convex { alpha: 0.5 }, &bm25, &vector, file);
        // Passages in the order of their own combination…
        assert_eq!(ids(&c), [1, 3, 2]);
        // …each carrying its file's score, file 10's the higher.
        assert_eq!(c[0].fused, c[2].fused);
        assert!(c[0].fused > c[1].fused);
        let files = crate::search::group_by_file(&c, file);
        assert_eq!(files.iter().map(|f| f.0).collect::<Vec<_>>(), [10, 20]);
        assert_eq!(files[0].1.passage_id, 1);
    }

    #[test]
    fn convex_drops_passages_without_a_file() {
        let c = fuse_with(Fusion::default(), &[(1, 1.0), (2, 2.0)], &[], |p| {
            (p == 2).then_some(5)
        });
        assert_eq!(ids(&c), [2]);
    }

    #[test]
    fn alpha_one_is_bm25_and_alpha_zero_is_the_cosine() {
        let bm25 = [(1, 5.0), (2, 4.0)];
        let vector = [(2, 0.9), (1, 0.1)];
        assert_eq!(
            ids(&fuse_with(
                Fusion::Convex { alpha: 1.0 },
                &bm25,
                &vector,
                Some
            )),
            [1, 2]
        );
        assert_eq!(
            ids(&fuse_with(
                Fusion::Convex { alpha: 0.0 },
                &bm25,
                &vector,
                Some
            )),
            [2, 1]
        );
    }
}
