//! Grouping passages into files: a file ranks by its best passage.

use super::Candidate;
use std::collections::HashMap;

/// The ranking key of a candidate: the reranker's word when it has spoken,
/// otherwise the fused score.
fn key(c: &Candidate) -> (f32, f32) {
    (c.rerank.unwrap_or(f32::NEG_INFINITY), c.fused)
}

/// Keeps each file's best candidate, ordered best first; stable for ties.
/// `file_of` maps a passage to its file (None drops stale passages).
pub fn group_by_file(
    candidates: &[Candidate],
    file_of: impl Fn(i64) -> Option<i64>,
) -> Vec<(i64, Candidate)> {
    let mut best: HashMap<i64, usize> = HashMap::new();
    let mut order: Vec<(i64, Candidate)> = Vec::new();
    for c in candidates {
        let Some(file) = file_of(c.passage_id) else {
            continue;
        };
        match best.get(&file) {
            Some(&i) => {
                if key(c) > key(&order[i].1) {
                    order[i].1 = c.clone();
                }
            }
            None => {
                best.insert(file, order.len());
                order.push((file, c.clone()));
            }
        }
    }
    order.sort_by(|a, b| {
        let (ka, kb) = (key(&a.1), key(&b.1));
        kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::fuse;

    #[test]
    fn a_file_ranks_by_its_best_passage() {
        let c = fuse(&[(1, 3.0), (2, 2.0), (3, 1.0)], &[], 60.0);
        let files = group_by_file(&c, |p| Some(if p == 3 { 20 } else { 10 }));
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, 10);
        assert_eq!(files[0].1.passage_id, 1);
    }

    #[test]
    fn rerank_scores_override_fusion() {
        let mut c = fuse(&[(1, 3.0), (2, 2.0)], &[], 60.0);
        c[0].rerank = Some(0.1);
        c[1].rerank = Some(0.9);
        let files = group_by_file(&c, Some);
        assert_eq!(files[0].0, 2);
    }
}
