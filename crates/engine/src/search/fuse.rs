//! Reciprocal rank fusion of the lexical and vector lists.

use std::collections::HashMap;

/// RRF's k: ranks matter less the larger it is. Tuned on SciFact's train
/// split (809 queries, MiniLM + BM25, N = 100): k = 2 0.721, 5 0.719,
/// 10 0.718, 30 0.713, 60 0.708 NDCG@10. 5 sits on the plateau while still
/// rewarding passages both lists agree on; see docs/BENCHMARKS.md.
pub const RRF_K: f32 = 5.0;

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

/// Fuses ranked lists of (passage id, score) with reciprocal rank fusion.
/// Ties keep BM25 order, then vector order, so results are deterministic.
pub fn fuse(bm25: &[(i64, f32)], vector: &[(i64, f32)], k: f32) -> Vec<Candidate> {
    let mut by_id: HashMap<i64, Candidate> = HashMap::new();
    let mut order = Vec::new();
    for (rank, &(id, score)) in bm25.iter().enumerate() {
        let c = by_id.entry(id).or_insert_with(|| {
            order.push(id);
            blank(id)
        });
        if c.bm25_rank.is_none() {
            c.bm25_rank = Some(rank + 1);
            c.bm25_score = Some(score);
            c.fused += 1.0 / (k + (rank + 1) as f32);
        }
    }
    for (rank, &(id, score)) in vector.iter().enumerate() {
        let c = by_id.entry(id).or_insert_with(|| {
            order.push(id);
            blank(id)
        });
        if c.vector_rank.is_none() {
            c.vector_rank = Some(rank + 1);
            c.vector_score = Some(score);
            c.fused += 1.0 / (k + (rank + 1) as f32);
        }
    }
    let mut out: Vec<Candidate> = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    out.sort_by(|a, b| b.fused.total_cmp(&a.fused));
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
}
