//! "No strong match": whether the best results really answer the query.
//!
//! With an embedder loaded the vector list is never empty, so "no hits"
//! cannot be the signal. The verdict comes from evidence every search has:
//!
//! - **coverage**: the IDF-weighted share of the query's words found in the
//!   best keyword passages (prefix and fuzzy stand-ins count). A query whose
//!   rare words are all in one passage is answered by it; one whose only
//!   matches are its common words is not.
//! - **best cosine** between the query and a passage embedding;
//! - **the reranker's best score**, when a reranker has scored the results:
//!   it reads query and passage together, and overrides the rest.
//!
//! Thresholds were calibrated on SciFact's train split against
//! out-of-domain questions (tldr command descriptions); see
//! docs/BENCHMARKS.md, "No strong match".

use super::Candidate;
use crate::catalog::StoredPassage;
use crate::engine::Engine;
use crate::lexical::LexicalQuery;
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The keyword passages whose coverage is looked at: the best of the first
/// few, as the top one is not always the fullest.
const COVERAGE_TOP: usize = 3;

/// A query is answered by keywords when at least this share of its
/// (IDF-weighted) words is in one of the best passages.
pub const COVERAGE_MIN: f32 = 0.7;

/// A query is answered by meaning when a passage is at least this close.
pub const COSINE_MIN: f32 = 0.5;

/// A reranker score (sigmoid) at or above which a result is an answer.
pub const RERANK_MIN: f32 = 0.5;

/// What the verdict is decided from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Best coverage of the query's words by one of the top keyword passages.
    pub coverage: Option<f32>,
    /// Best cosine similarity in the vector list.
    pub best_cosine: Option<f32>,
    /// Best reranker score among the reranked results.
    pub best_rerank: Option<f32>,
}

impl Evidence {
    /// True when nothing says the results answer the query.
    pub fn no_strong_match(&self) -> bool {
        if let Some(r) = self.best_rerank {
            return r < RERANK_MIN;
        }
        let lexical = self.coverage.is_some_and(|c| c >= COVERAGE_MIN);
        let semantic = self.best_cosine.is_some_and(|c| c >= COSINE_MIN);
        !(lexical || semantic)
    }
}

impl Engine {
    /// Gathers the evidence of one search from its lists.
    pub(crate) fn evidence(
        &self,
        lq: &LexicalQuery,
        lexical: &[(i64, f32)],
        vector: &[(i64, f32)],
        fused: &[Candidate],
        passages: &HashMap<i64, StoredPassage>,
    ) -> Result<Evidence> {
        let mut coverage: Option<f32> = None;
        if !lexical.is_empty() {
            let cat = self.catalog()?;
            for (id, _) in lexical.iter().take(COVERAGE_TOP) {
                let Some(p) = passages.get(id) else { continue };
                let path = cat.file_by_id(p.file_id)?.map(|f| f.path).unwrap_or_default();
                let name = std::path::Path::new(&path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let c = self.lexical.coverage(lq, &[&p.text, &name])?;
                coverage = Some(coverage.map_or(c, |b: f32| b.max(c)));
            }
        }
        Ok(Evidence {
            coverage,
            best_cosine: vector.iter().map(|v| v.1).reduce(f32::max),
            best_rerank: fused.iter().filter_map(|c| c.rerank).reduce(f32::max),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_strong_signal_is_enough_and_the_reranker_decides_alone() {
        let weak = Evidence {
            coverage: Some(0.2),
            best_cosine: Some(0.1),
            best_rerank: None,
        };
        assert!(weak.no_strong_match());
        let words = Evidence {
            coverage: Some(1.0),
            ..weak.clone()
        };
        assert!(!words.no_strong_match());
        let meaning = Evidence {
            best_cosine: Some(0.9),
            ..weak.clone()
        };
        assert!(!meaning.no_strong_match());
        let reranked = Evidence {
            best_rerank: Some(0.01),
            ..words
        };
        assert!(reranked.no_strong_match(), "the reranker overrides");
        assert!(Evidence::default().no_strong_match(), "no evidence, no match");
    }
}
