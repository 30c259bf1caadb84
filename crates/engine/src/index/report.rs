//! What an indexing run did, for the summary and the app.

use serde::Serialize;

/// A file that could not be indexed, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Path.
    pub path: String,
    /// Why, in words a person understands.
    pub reason: String,
}

impl From<crate::crawl::CrawlProblem> for Failure {
    fn from(p: crate::crawl::CrawlProblem) -> Self {
        Failure {
            path: p
                .path
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            reason: p.reason,
        }
    }
}

/// Counts from one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexReport {
    /// Files found by the crawl.
    pub seen: u64,
    /// Files (re)indexed this run.
    pub indexed: u64,
    /// Files unchanged since last time.
    pub unchanged: u64,
    /// Files skipped on purpose (too large, unsupported type).
    pub skipped: u64,
    /// Files that failed.
    pub failed: u64,
    /// Catalog entries removed because the file is gone.
    pub removed: u64,
    /// Passages written.
    pub passages: u64,
    /// Passages embedded.
    pub embedded: u64,
    /// Failures and skips of this run, with reasons.
    pub failures: Vec<Failure>,
    /// Folders or files the crawl could not read.
    pub crawl_problems: Vec<Failure>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl IndexReport {
    /// One-line summary.
    pub fn summary(&self) -> String {
        format!(
            "{} files: {} indexed, {} unchanged, {} skipped, {} failed, {} removed; {} passages, {} embedded in {:.1}s",
            self.seen,
            self.indexed,
            self.unchanged,
            self.skipped,
            self.failed,
            self.removed,
            self.passages,
            self.embedded,
            self.seconds
        )
    }

    /// Adds another run's counts (the watcher reports per batch).
    pub fn absorb(&mut self, other: IndexReport) {
        self.seen += other.seen;
        self.indexed += other.indexed;
        self.unchanged += other.unchanged;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.removed += other.removed;
        self.passages += other.passages;
        self.embedded += other.embedded;
        self.failures.extend(other.failures);
        self.crawl_problems.extend(other.crawl_problems);
        self.seconds += other.seconds;
    }
}
