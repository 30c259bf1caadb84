//! `Engine::status`: what is indexed, what failed, which models run where.

use crate::catalog::FileStatus;
use crate::engine::Engine;
use crate::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    /// Indexed files.
    pub indexed: u64,
    /// Failed files.
    pub failed: u64,
    /// Skipped files.
    pub skipped: u64,
}

/// A loaded model and where it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelStatus {
    /// "embedder" or "reranker".
    pub role: String,
    /// Model id.
    pub id: String,
    /// Execution provider actually running it.
    pub provider: String,
}

/// The state of an index.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    /// Data dir.
    pub data_dir: String,
    /// Indexed folders.
    pub roots: Vec<String>,
    /// Files indexed.
    pub files_indexed: u64,
    /// Files that failed.
    pub files_failed: u64,
    /// Files skipped.
    pub files_skipped: u64,
    /// Passages.
    pub passages: u64,
    /// Stored vectors (all embedding models).
    pub vectors: u64,
    /// Passages the lexical index holds; equals `passages` when consistent.
    pub lexical_docs: u64,
    /// Pages (of scanned PDFs) and image files whose text was recognised (OCR).
    pub recognised_pages: u64,
    /// Pages (and image files) waiting for text recognition, the second
    /// indexing stage: findable by name now, by their words once read.
    pub pending_ocr_pages: u64,
    /// Per kind.
    pub by_type: BTreeMap<String, KindCounts>,
    /// Loaded models.
    pub models: Vec<ModelStatus>,
}

impl Engine {
    /// Counts and models.
    pub fn status(&self) -> Result<Status> {
        let cat = self.catalog()?;
        let mut st = Status {
            data_dir: self.opts.data_dir.to_string_lossy().into_owned(),
            roots: cat.roots()?,
            passages: cat.passage_count()?,
            vectors: cat.vector_count(None)?,
            lexical_docs: self.lexical.num_docs(),
            recognised_pages: cat.labelled_page_count(crate::ocr::RECOGNISED_LABEL)?,
            pending_ocr_pages: cat.pending_ocr_count()?,
            ..Default::default()
        };
        for (kind, status, n) in cat.counts_by_kind()? {
            let e = st.by_type.entry(kind.as_str().to_string()).or_default();
            match status {
                FileStatus::Indexed => {
                    e.indexed += n;
                    st.files_indexed += n;
                }
                FileStatus::Failed => {
                    e.failed += n;
                    st.files_failed += n;
                }
                FileStatus::Skipped => {
                    e.skipped += n;
                    st.files_skipped += n;
                }
            }
        }
        if let Some(e) = self.embedder() {
            st.models.push(ModelStatus {
                role: "embedder".into(),
                id: e.id().to_string(),
                provider: e.provider(),
            });
        }
        if let Some(r) = self.reranker() {
            st.models.push(ModelStatus {
                role: "reranker".into(),
                id: r.id().to_string(),
                provider: r.provider(),
            });
        }
        Ok(st)
    }
}
