//! Query side: requests, hits with their score details, rank fusion and
//! grouping of passages into files.

pub mod confidence;
mod fuse;
mod group;
mod names;
mod passages;
pub mod query;
mod rerank;
mod run;
pub mod window;

pub use confidence::Evidence;
pub use fuse::{fuse, fuse_with, Candidate, Fusion, CONVEX_ALPHA, RRF_K};
pub use group::group_by_file;
pub use query::ParsedQuery;
pub use rerank::{rerank_candidates, RerankCache};
pub use run::SearchStage;

use crate::extract::Location;
use crate::kind::FileKind;
use crate::lexical::Snippet;
use serde::{Deserialize, Serialize};

/// Which retrievers to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keywords only.
    Bm25,
    /// Embeddings only.
    Vector,
    /// Both, fused by reciprocal rank (falls back to BM25 without an embedder).
    #[default]
    Hybrid,
}

impl std::str::FromStr for Mode {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Mode> {
        match s {
            "bm25" => Ok(Mode::Bm25),
            "vector" => Ok(Mode::Vector),
            "hybrid" => Ok(Mode::Hybrid),
            other => Err(crate::Error::Input(format!(
                "unknown mode {other:?}; use bm25, vector or hybrid"
            ))),
        }
    }
}

/// Restrictions on what may match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// Only these kinds (any when empty).
    pub kinds: Vec<FileKind>,
    /// Only files below this folder.
    pub folder: Option<String>,
    /// Modified at or after (seconds since epoch).
    pub modified_after: Option<i64>,
    /// Modified before (seconds since epoch).
    pub modified_before: Option<i64>,
}

impl Filters {
    /// True when nothing is restricted.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.folder.is_none()
            && self.modified_after.is_none()
            && self.modified_before.is_none()
    }

    /// Whether a file of `kind` at `path`, modified at `modified` (seconds
    /// since epoch), passes. The lexical index applies the same rules as
    /// query clauses; this is for results found elsewhere (vectors).
    pub fn admits(&self, kind: FileKind, path: &str, modified: i64) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&kind))
            && self
                .folder
                .as_ref()
                .is_none_or(|d| std::path::Path::new(path).starts_with(d))
            && self.modified_after.is_none_or(|a| modified >= a)
            && self.modified_before.is_none_or(|b| modified < b)
    }
}

/// A search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// What the person typed.
    pub query: String,
    /// Most files to return.
    pub limit: usize,
    /// Retrievers.
    pub mode: Mode,
    /// Candidates taken from each retriever.
    pub candidates: usize,
    /// Rerank the top fused files with the cross-encoder, when one is loaded.
    pub rerank: bool,
    /// How many files the reranker reads (each through its best one or two
    /// passages): the full depth.
    pub rerank_top: usize,
    /// Files reranked first, and shown, before the rest of the depth follows
    /// (progressive search).
    pub rerank_first: usize,
    /// Tokens of one (query, passage window) pair the reranker reads; `None`:
    /// [`window::CPU_WINDOW_TOKENS`] on a CPU, the model's whole window on an
    /// accelerator.
    pub rerank_window: Option<usize>,
    /// How the keyword and meaning lists are combined.
    pub fusion: Fusion,
    /// Restrictions.
    pub filters: Filters,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            limit: 10,
            mode: Mode::Hybrid,
            candidates: 100,
            rerank: true,
            rerank_top: 20,
            rerank_first: 10,
            rerank_window: None,
            fusion: Fusion::default(),
            filters: Filters::default(),
        }
    }
}

impl SearchRequest {
    /// A request for `query` with defaults.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            ..Default::default()
        }
    }
    /// Sets the result limit.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Sets the mode.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
    /// Turns reranking on or off.
    pub fn with_rerank(mut self, rerank: bool) -> Self {
        self.rerank = rerank;
        self
    }
    /// Sets the filters.
    pub fn with_filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }
}

/// Why a hit ranks where it does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreDetails {
    /// 1-based rank of the best passage in the BM25 list.
    pub bm25_rank: Option<usize>,
    /// Its BM25 score.
    pub bm25_score: Option<f32>,
    /// 1-based rank in the vector list.
    pub vector_rank: Option<usize>,
    /// Its cosine similarity.
    pub vector_score: Option<f32>,
    /// Reciprocal-rank-fusion score.
    pub fused_score: f32,
    /// Cross-encoder relevance (sigmoid of the logit), when reranked.
    pub rerank_score: Option<f32>,
}

/// One file in the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Catalog file id: what the app uses to open or reveal the file.
    pub file_id: i64,
    /// Absolute path.
    pub path: String,
    /// Document title.
    pub title: Option<String>,
    /// Kind.
    pub kind: FileKind,
    /// Modification time, seconds since epoch.
    pub modified: i64,
    /// The ranking score: rerank score when reranked, else fused, else BM25.
    pub score: f32,
    /// The best passage, as highlighted text.
    pub snippet: Snippet,
    /// Where that passage is.
    pub location: Location,
    /// The best passage's id (negative for a file's name entry: a file with
    /// no text, found by its name).
    pub passage_id: i64,
    /// Score details.
    pub details: ScoreDetails,
    /// Whether the query matched the file's name (or folder) rather than
    /// its content.
    pub matched: Matched,
}

/// What part of a file a hit matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matched {
    /// The text: its words, or its meaning.
    #[default]
    Content,
    /// Only the file's name, folder or title.
    Name,
}

/// The answer to a search: files, best first, and whether any of them is a
/// strong match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The files.
    pub hits: Vec<Hit>,
    /// True when the evidence says none of the hits really answers the
    /// query: the app shows them under a "no strong match" line.
    pub no_strong_match: bool,
    /// What that verdict was decided from.
    pub evidence: Evidence,
    /// Operators that could not be read (a malformed date), in words.
    pub problems: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_admit_only_matching_kind_folder_and_dates() {
        let f = Filters {
            kinds: vec![FileKind::Pdf],
            folder: Some("/home/me/work".into()),
            modified_after: Some(100),
            modified_before: Some(200),
        };
        assert!(f.admits(FileKind::Pdf, "/home/me/work/a/b.pdf", 150));
        assert!(!f.admits(FileKind::Docx, "/home/me/work/b.docx", 150));
        assert!(
            !f.admits(FileKind::Pdf, "/home/me/workshop/b.pdf", 150),
            "folder, not prefix"
        );
        assert!(
            !f.admits(FileKind::Pdf, "/home/me/work/b.pdf", 200),
            "before is exclusive"
        );
        assert!(!f.admits(FileKind::Pdf, "/home/me/work/b.pdf", 99));
        assert!(Filters::default().is_empty());
        assert!(!f.is_empty());
    }
}
