//! Progress reporting and cancellation, as types the UI and CLI can show.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What indexing is doing now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum IndexingStep {
    /// Repairing a previous interrupted run.
    Repairing,
    /// Walking folders.
    Crawling {
        /// Files seen so far.
        seen: u64,
    },
    /// Extracting, chunking and writing documents.
    Indexing {
        /// Files processed so far.
        done: u64,
        /// Files that need processing.
        total: u64,
        /// The file in hand.
        current: String,
    },
    /// Computing embeddings for passages that lack them.
    Embedding {
        /// Passages embedded so far.
        done: u64,
        /// Passages that need embedding.
        total: u64,
    },
    /// The second stage: recognising the text of scanned pages and images
    /// (OCR), behind the first stage's keyword commit.
    Recognising {
        /// Pages recognised so far in this run.
        done: u64,
        /// Pages still waiting.
        left: u64,
    },
    /// Committing indexes.
    Committing,
    /// Finished.
    Done,
}

/// Receives progress. Implemented for any `Fn(&IndexingStep)`.
pub trait Progress: Send + Sync {
    /// Called at each step change and periodically within a step.
    fn report(&self, step: &IndexingStep);
}

impl<F: Fn(&IndexingStep) + Send + Sync> Progress for F {
    fn report(&self, step: &IndexingStep) {
        self(step)
    }
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _: &IndexingStep) {}
}

/// A cheap, cloneable cancel flag checked between batches.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A fresh, unset flag.
    pub fn new() -> Self {
        Self::default()
    }
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst)
    }
    /// Clears a previous request.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst)
    }
    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
