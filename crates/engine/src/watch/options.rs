//! Tuning for the watcher, with defaults that keep "saved a second ago" findable.

use std::time::Duration;

/// How the watcher batches, throttles and falls back.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchOptions {
    /// A batch starts once events have been quiet this long. Long enough to
    /// swallow an editor's write-temp-then-rename save in one update.
    pub quiet: Duration,
    /// …or once the oldest pending change has waited this long, so a steady
    /// stream of events (a sync client) cannot postpone indexing forever.
    pub max_wait: Duration,
    /// Most paths per batch: small batches keep the writer's locks short, so
    /// searches stay fast and a pause takes effect quickly.
    pub batch_paths: usize,
    /// Most distinct paths held pending; beyond it the queue collapses into a
    /// rescan of the affected folders (memory stays bounded in a burst).
    pub max_pending: usize,
    /// How often folders that cannot be watched are polled.
    pub poll_interval: Duration,
    /// Poll every folder instead of using OS events (network drives, tests).
    pub force_polling: bool,
    /// Reconcile against the disk on start (catch up after downtime). It is
    /// also what registers a new folder as an indexed root: without it,
    /// only folders already indexed can be watched usefully.
    pub reconcile_on_start: bool,
    /// Run the indexing thread at low CPU priority (nice 10 on Linux).
    pub low_priority: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            quiet: Duration::from_millis(250),
            max_wait: Duration::from_millis(1000),
            batch_paths: 256,
            max_pending: 50_000,
            poll_interval: Duration::from_secs(30),
            force_polling: false,
            reconcile_on_start: true,
            low_priority: true,
        }
    }
}

impl WatchOptions {
    /// Sets the quiet period before a batch.
    pub fn with_quiet(mut self, d: Duration) -> Self {
        self.quiet = d;
        self
    }
    /// Sets the longest wait of a pending change.
    pub fn with_max_wait(mut self, d: Duration) -> Self {
        self.max_wait = d;
        self
    }
    /// Sets the most paths per batch.
    pub fn with_batch_paths(mut self, n: usize) -> Self {
        self.batch_paths = n.max(1);
        self
    }
    /// Sets the pending-queue bound.
    pub fn with_max_pending(mut self, n: usize) -> Self {
        self.max_pending = n.max(1);
        self
    }
    /// Sets the polling interval for folders that cannot be watched.
    pub fn with_poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }
    /// Polls everything instead of using OS events.
    pub fn with_force_polling(mut self, yes: bool) -> Self {
        self.force_polling = yes;
        self
    }
    /// Turns the start-up reconcile on or off.
    pub fn with_reconcile_on_start(mut self, yes: bool) -> Self {
        self.reconcile_on_start = yes;
        self
    }
    /// Turns low CPU priority on or off.
    pub fn with_low_priority(mut self, yes: bool) -> Self {
        self.low_priority = yes;
        self
    }
}
