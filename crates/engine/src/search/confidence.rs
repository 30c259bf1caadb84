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
//! Keywords alone are weak evidence: a short generic question ("display
//! help") is fully covered by many documents. So when a cosine exists it
//! decides, and keywords overrule it only when the covered words carry a
//! lot of IDF (several rare words); without an embedder the keyword rule is
//! lenient, since hiding a real answer under "no strong match" costs more
//! than showing a weak one plainly.
//!
//! Calibrated on SciFact's train split (809 queries) against the tldr
//! command descriptions of every other page (411 questions); checked on the
//! test split and the other pages. See docs/BENCHMARKS.md, "No strong match".

use super::Candidate;
use crate::engine::Engine;
use crate::lexical::LexicalQuery;
use crate::Result;
use serde::{Deserialize, Serialize};

/// The keyword passages whose coverage is looked at: the best of the first
/// few, as the top one is not always the fullest.
pub(crate) const COVERAGE_TOP: usize = 3;

/// Without an embedder, keywords answer a query when the words found in
/// one of the best passages carry at least this much IDF, in units of the
/// rarest word's (SciFact train: 3.7% of queries flagged, 49% of
/// out-of-domain questions; a keyword rule that flags 73% of those flags
/// 9.8% of the real queries).
pub const KEYWORD_RARE_WORDS: f32 = 1.2;

/// ... or when every word is found and they are rare on average (a one-word
/// query for a rare word is answered by the passage that holds it).
pub const KEYWORD_RARE_PER_WORD: f32 = 0.6;

/// With an embedder, keywords overrule a weak cosine only above this
/// (SciFact train with MiniLM: 1.4% flagged, 95.9% out-of-domain).
pub const KEYWORD_RARE_WORDS_OVER_COSINE: f32 = 3.0;

/// A query is answered by meaning when a passage is at least this close.
/// Calibrated for all-MiniLM-L6-v2, the base of mxbai-embed-xsmall-v1
/// (SciFact train: 0.34 flags 0.7% / 94.6% out-of-domain, 0.36 1.5% /
/// 96.8%, 0.40 3.1% / 99.3%); other embedders' cosines spread differently
/// and need their own calibration.
pub const COSINE_MIN: f32 = 0.36;

/// A reranker score (sigmoid) at or above which a result is an answer. Not
/// calibrated: no real reranker weights could be run here (see README,
/// Known limitations); 0.5 is the models' own decision boundary.
pub const RERANK_MIN: f32 = 0.5;

/// What the verdict is decided from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Best coverage of the query's words by one of the top keyword
    /// passages: the IDF-weighted share present, 0 to 1.
    pub coverage: Option<f32>,
    /// The IDF carried by the words that passage holds.
    pub covered_idf: Option<f32>,
    /// The same in units of the rarest word's IDF.
    pub covered_rare_words: Option<f32>,
    /// Words in the query.
    pub words: usize,
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
        let rare = self.covered_rare_words.unwrap_or(0.0);
        let every_word_rare = self.coverage.is_some_and(|c| c >= 0.99)
            && rare / self.words.max(1) as f32 >= KEYWORD_RARE_PER_WORD;
        match self.best_cosine {
            Some(cos) => cos < COSINE_MIN && rare < KEYWORD_RARE_WORDS_OVER_COSINE,
            None => !(rare >= KEYWORD_RARE_WORDS || every_word_rare),
        }
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
        passages: &super::passages::SearchPassages,
    ) -> Result<Evidence> {
        let mut best: Option<crate::lexical::Coverage> = None;
        if !lexical.is_empty() {
            let cat = self.reader()?;
            for (id, _) in lexical.iter().take(COVERAGE_TOP) {
                let Some(p) = passages.get(id) else { continue };
                let path = cat
                    .file_by_id(p.file_id)?
                    .map(|f| f.path)
                    .unwrap_or_default();
                let name = std::path::Path::new(&path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let c = self.lexical.coverage(lq, &[&p.text, &name])?;
                if best.is_none_or(|b| (c.share, c.idf) > (b.share, b.idf)) {
                    best = Some(c);
                }
            }
        }
        Ok(Evidence {
            coverage: best.map(|c| c.share),
            covered_idf: best.map(|c| c.idf),
            covered_rare_words: best.map(|c| c.rare_words),
            words: best.map_or(0, |c| c.words),
            best_cosine: vector.iter().map(|v| v.1).reduce(f32::max),
            best_rerank: fused.iter().filter_map(|c| c.rerank).reduce(f32::max),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(coverage: f32, rare: f32, words: usize, cosine: Option<f32>) -> Evidence {
        Evidence {
            coverage: Some(coverage),
            covered_idf: Some(rare * 8.0),
            covered_rare_words: Some(rare),
            words,
            best_cosine: cosine,
            best_rerank: None,
        }
    }

    #[test]
    fn keywords_alone_need_rare_words_found() {
        assert!(
            !evidence(0.6, 2.0, 8, None).no_strong_match(),
            "several rare words"
        );
        assert!(
            evidence(1.0, 0.8, 2, None).no_strong_match(),
            "two common words"
        );
        assert!(
            !evidence(1.0, 0.9, 1, None).no_strong_match(),
            "one rare word, found"
        );
        assert!(evidence(0.3, 0.9, 4, None).no_strong_match());
        assert!(
            Evidence::default().no_strong_match(),
            "no evidence, no match"
        );
    }

    #[test]
    fn a_cosine_decides_unless_keywords_are_overwhelming() {
        assert!(!evidence(0.2, 0.2, 5, Some(0.6)).no_strong_match());
        assert!(evidence(1.0, 2.0, 8, Some(0.2)).no_strong_match());
        assert!(!evidence(1.0, 3.5, 8, Some(0.2)).no_strong_match());
    }

    #[test]
    fn the_reranker_overrides_the_rest() {
        let mut e = evidence(1.0, 5.0, 5, Some(0.9));
        e.best_rerank = Some(0.01);
        assert!(e.no_strong_match());
        e.best_rerank = Some(0.9);
        e.best_cosine = Some(0.0);
        assert!(!e.no_strong_match());
    }
}
