//! The rerank stage's decisions: which passages the cross-encoder reads
//! (files, not passages), and a cache of its scores.

use super::Candidate;
use crate::models::RerankScore;
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

/// Picks what the reranker reads: the first `files` distinct files of the
/// fused list, each through its best passage, plus its second best when that
/// one also ranks within the top `files` passages. One long file therefore
/// takes at most two slots, and files below the depth take none. Returns
/// indices into `fused`, grouped by file in fused order.
pub fn rerank_candidates(
    fused: &[Candidate],
    file_of: impl Fn(i64) -> Option<i64>,
    files: usize,
    per_file: usize,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<(i64, Vec<usize>)> = Vec::new();
    for (rank, c) in fused.iter().enumerate() {
        let Some(file) = file_of(c.passage_id) else {
            continue;
        };
        let known = groups.len();
        match groups.iter_mut().find(|(f, _)| *f == file) {
            Some((_, picked)) if picked.len() < per_file && rank < files => picked.push(rank),
            Some(_) => {}
            None if known < files => groups.push((file, vec![rank])),
            None => {}
        }
        if groups.len() >= files && rank + 1 >= files {
            break;
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Key of one cached score: model, query as the reranker read it, window
/// size, passage. Passage ids are never reused (the catalog's AUTOINCREMENT),
/// and a changed file gets new passages, so a key never goes stale.
type Key = (String, String, usize, i64);

/// Recent reranker scores, so a repeated query, a filter change or Enter
/// costs no model run.
pub struct RerankCache {
    scores: Mutex<LruCache<Key, RerankScore>>,
}

impl RerankCache {
    /// A cache holding at most `capacity` scores.
    pub fn new(capacity: usize) -> RerankCache {
        RerankCache {
            scores: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// The cached scores among `passages`.
    pub fn get(
        &self,
        model: &str,
        query: &str,
        window: usize,
        passages: &[i64],
    ) -> HashMap<i64, RerankScore> {
        let Ok(mut cache) = self.scores.lock() else {
            return HashMap::new();
        };
        passages
            .iter()
            .filter_map(|&p| {
                cache
                    .get(&(model.to_string(), query.to_string(), window, p))
                    .map(|s| (p, *s))
            })
            .collect()
    }

    /// Remembers scores.
    pub fn put(&self, model: &str, query: &str, window: usize, scores: &[(i64, RerankScore)]) {
        if let Ok(mut cache) = self.scores.lock() {
            for &(p, s) in scores {
                cache.put((model.to_string(), query.to_string(), window, p), s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::fuse;

    #[test]
    fn one_long_file_takes_at_most_two_slots() {
        // Passages 1..=8 all belong to file 100, then files 200, 300, 400.
        let lex: Vec<(i64, f32)> = (1..=11).map(|p| (p, 20.0 - p as f32)).collect();
        let c = fuse(&lex, &[], 5.0);
        let file_of = |p: i64| Some(if p <= 8 { 100 } else { 100 * (p - 7) });
        let picked = rerank_candidates(&c, file_of, 3, 2);
        let files: Vec<i64> = picked
            .iter()
            .map(|g| file_of(c[g[0]].passage_id).unwrap_or(0))
            .collect();
        assert_eq!(files, vec![100, 200, 300], "three distinct files");
        assert_eq!(
            picked[0].len(),
            2,
            "the long file gets two passages, not eight"
        );
        assert_eq!(picked[1].len(), 1);
    }

    #[test]
    fn a_second_passage_far_down_the_list_is_not_read() {
        let lex = [(1, 9.0), (2, 8.0), (3, 7.0), (4, 6.0)];
        let c = fuse(&lex, &[], 5.0);
        // File 10 owns passages 1 and 4; 4 ranks below the depth of 2.
        let file_of = |p: i64| Some(if p == 1 || p == 4 { 10 } else { p * 10 });
        let picked = rerank_candidates(&c, file_of, 2, 2);
        assert_eq!(picked, vec![vec![0], vec![1]]);
    }

    #[test]
    fn the_cache_returns_what_was_put_for_the_same_model_query_and_window() {
        let cache = RerankCache::new(4);
        let s = RerankScore::from_logit(1.5);
        cache.put("m", "q", 192, &[(7, s)]);
        assert_eq!(cache.get("m", "q", 192, &[7, 8]).get(&7), Some(&s));
        assert!(cache.get("m", "q", 512, &[7]).is_empty(), "another window");
        assert!(
            cache.get("other", "q", 192, &[7]).is_empty(),
            "another model"
        );
        assert!(cache.get("m", "q2", 192, &[7]).is_empty(), "another query");
    }
}
