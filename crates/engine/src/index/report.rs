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
    /// Pages (and image files) waiting for text recognition: after
    /// `Engine::index` or `index_text`, all of the catalog's when the run
    /// ended; after a watcher batch, those the batch added.
    pub ocr_pending: u64,
    /// Pages whose text the second stage recognised (or gave up on) this run.
    pub recognised_pages: u64,
    /// Seconds until the first stage had committed: from then on every file
    /// was findable by its name and text layer, while OCR filled in.
    pub keyword_seconds: f64,
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
        let mut ocr = String::new();
        if self.recognised_pages > 0 {
            ocr.push_str(&format!("; {} pages recognised", self.recognised_pages));
        }
        if self.ocr_pending > 0 {
            ocr.push_str(&format!(
                "; {} pages wait for text recognition",
                self.ocr_pending
            ));
        }
        format!(
            "{} files: {} indexed, {} unchanged, {} skipped, {} failed, {} removed; {} passages, {} embedded{ocr} in {:.1}s",
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

    /// Files the second stage ended without any text (the first stage had
    /// counted them indexed, by name with text to come).
    pub(crate) fn indexed_lost(&self) -> u64 {
        self.skipped + self.failed
    }

    /// Adds the second stage's outcome to the first stage's report.
    pub(crate) fn absorb_recognised(&mut self, stage: IndexReport) {
        self.skipped += stage.skipped;
        self.failed += stage.failed;
        self.failures.extend(stage.failures);
        self.passages += stage.passages;
        self.recognised_pages += stage.recognised_pages;
        self.ocr_pending = stage.ocr_pending;
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
        self.ocr_pending += other.ocr_pending;
        self.recognised_pages += other.recognised_pages;
        self.failures.extend(other.failures);
        self.crawl_problems.extend(other.crawl_problems);
        self.seconds += other.seconds;
    }
}
