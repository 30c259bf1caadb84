//! The indexing thread: sets up the OS watches, reconciles, then applies
//! batches of changes until stopped. It is the only thread that writes.

use super::queue::coalesce;
use super::sources::Watches;
use super::{BatchReport, Shared, WatchEvent, WatchOptions, WatchPhase};
use crate::engine::Engine;
use crate::progress::{IndexingStep, NoProgress};
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) type OnEvent = Box<dyn Fn(&WatchEvent) + Send + Sync>;
/// The owner's callback, shared by the indexing and embedding threads.
pub(crate) type SharedOnEvent = Arc<OnEvent>;

/// The folders to watch, canonical: the given ones, or every indexed root
/// that is there now (an unplugged drive must not stop the others).
pub(crate) fn resolve_roots(engine: &Engine, roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let roots: Vec<PathBuf> = if roots.is_empty() {
        let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) = engine
            .roots()?
            .into_iter()
            .map(PathBuf::from)
            .partition(|r| r.is_dir());
        for r in missing {
            tracing::warn!(target: "watch", root = %r.display(), "indexed folder not found; not watching it");
        }
        present
    } else {
        roots.to_vec()
    };
    if roots.is_empty() {
        return Err(Error::Input(
            "no folders to watch: index a folder first".into(),
        ));
    }
    let mut out = Vec::new();
    for r in roots {
        if !r.is_dir() {
            return Err(Error::MissingFolder(r));
        }
        out.push(
            r.canonicalize()
                .map_err(|e| Error::io(format!("resolve {}", r.display()), e))?,
        );
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub(crate) fn spawn(
    engine: Arc<Engine>,
    roots: Vec<PathBuf>,
    opts: WatchOptions,
    shared: Arc<Shared>,
    on_event: SharedOnEvent,
) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("crumb-watch".into())
        .spawn(move || {
            if opts.low_priority {
                lower_priority();
            }
            Worker {
                engine,
                roots,
                opts,
                shared,
                on_event,
                failures: AtomicU32::new(0),
            }
            .run()
        })
        .map_err(|e| Error::io("start the watcher thread", e))
}

/// The indexing thread's state.
pub(super) struct Worker {
    pub(super) engine: Arc<Engine>,
    pub(super) roots: Vec<PathBuf>,
    pub(super) opts: WatchOptions,
    pub(super) shared: Arc<Shared>,
    pub(super) on_event: SharedOnEvent,
    /// Failed batches in a row, for the back-off.
    pub(super) failures: AtomicU32,
}

impl Worker {
    fn run(self) {
        let mut watches = self.watch_roots();
        self.set_phase(WatchPhase::Reconciling);
        if self.opts.reconcile_on_start && !self.reconcile() {
            return self.set_phase(WatchPhase::Stopped);
        }
        self.set_phase(WatchPhase::Watching);
        tracing::info!(target: "watch", roots = ?self.roots, "watching");
        while let Some(batch) = self.next_batch(&mut watches) {
            self.apply(batch);
        }
        drop(watches);
        self.set_phase(WatchPhase::Stopped);
    }

    fn set_phase(&self, phase: WatchPhase) {
        self.shared.lock().status.phase = phase;
    }

    fn set_busy(&self, busy: bool) {
        self.shared.lock().status.busy = busy;
    }

    pub(super) fn error(&self, err: &Error) {
        tracing::warn!(target: "watch", error = %err, "live indexing error");
        let wire = err.to_wire();
        self.shared.lock().status.last_error = Some(wire.clone());
        (self.on_event)(&WatchEvent::Error { error: wire });
    }

    /// The start-up reconcile; redone after a pause interrupts it. False when
    /// stopped.
    fn reconcile(&self) -> bool {
        loop {
            if !self.wait_unpaused() {
                return false;
            }
            self.set_busy(true);
            let progress =
                |step: &IndexingStep| (self.on_event)(&WatchEvent::Progress { step: step.clone() });
            // The first stage only: text recognition trails behind on the
            // embedding thread, so the folders are searchable by keyword
            // before any scan is read.
            let result = self
                .engine
                .index_text(&self.roots, &progress, &self.shared.cancel);
            self.note_ocr_pending();
            self.set_busy(false);
            match result {
                Ok(report) => {
                    (self.on_event)(&WatchEvent::Reconciled { report });
                    return true;
                }
                Err(Error::Cancelled) => continue, // paused or stopped: see the top
                Err(e) => {
                    // Keep watching, and retry the catch-up as rescans of
                    // the roots, with the batches' back-off.
                    self.error(&e);
                    let mut inner = self.shared.lock();
                    for r in &self.roots {
                        inner.pending.push_rescan(r.clone(), Instant::now());
                    }
                    return true;
                }
            }
        }
    }

    /// Counts the pages waiting for text recognition (a batch or the
    /// reconcile may have added some) before the batch is seen as done, so
    /// that "idle" never shows between a batch and the trailing thread's
    /// first look; and wakes that thread.
    fn note_ocr_pending(&self) {
        let left = self.engine.pending_ocr_pages();
        let mut inner = self.shared.lock();
        let mut changed = None;
        match left {
            Ok(n) => {
                if inner.status.ocr_pending != n {
                    changed = Some(n);
                }
                inner.status.ocr_pending = n;
            }
            Err(e) => {
                tracing::debug!(target: "watch", error = %e, "could not count pages waiting for OCR")
            }
        }
        inner.ocr_due = true;
        drop(inner);
        self.shared.wake.notify_all();
        // Said even while recognition is off, when nothing else would say it.
        if let Some(left) = changed {
            (self.on_event)(&WatchEvent::OcrWaiting { left });
        }
    }

    /// Blocks while paused. False when stopped.
    fn wait_unpaused(&self) -> bool {
        let mut inner = self.shared.lock();
        while inner.status.paused && !inner.stop {
            inner = self
                .shared
                .wake
                .wait(inner)
                .unwrap_or_else(|p| p.into_inner());
        }
        if !inner.stop {
            // Clear a cancel left by a pause, under the lock so that a stop
            // cannot slip in between.
            self.shared.cancel.reset();
        }
        !inner.stop
    }

    /// Waits for the next batch to be due (or a poll request); None when
    /// stopped.
    fn next_batch(&self, watches: &mut Watches) -> Option<Vec<PathBuf>> {
        loop {
            let mut inner = self.shared.lock();
            loop {
                if inner.stop {
                    return None;
                }
                if !inner.poll_requests.is_empty() {
                    break;
                }
                let now = Instant::now();
                if watches.next_poll.is_none() && inner.pending.rescans() == 0 {
                    // The last poll's rescan has been applied: count from now.
                    watches.next_poll = Some(now + self.opts.poll_interval);
                }
                let poll_due = watches.next_poll.is_some_and(|t| now >= t);
                if !watches.polled.is_empty() && poll_due {
                    for root in &watches.polled {
                        inner.pending.push_rescan(root.clone(), now);
                    }
                    watches.next_poll = None;
                }
                if !inner.status.paused
                    && inner
                        .pending
                        .ready(now, self.opts.quiet, self.opts.max_wait)
                {
                    break;
                }
                let mut wait = inner
                    .pending
                    .wait_hint(now, self.opts.quiet, self.opts.max_wait);
                if let Some(next) = watches.next_poll.filter(|_| !watches.polled.is_empty()) {
                    wait = wait.min(next.saturating_duration_since(now));
                }
                inner = self
                    .shared
                    .wake
                    .wait_timeout(inner, wait)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            let requests = std::mem::take(&mut inner.poll_requests);
            if !requests.is_empty() {
                drop(inner);
                for (root, reason) in requests {
                    self.poll_root(watches, &root, &reason);
                }
                continue;
            }
            let batch = inner.pending.take(self.opts.batch_paths);
            inner.status.busy = true;
            self.shared.cancel.reset();
            return Some(coalesce(batch));
        }
    }

    fn apply(&self, batch: Vec<PathBuf>) {
        let n = batch.len();
        let _span = tracing::debug_span!(target: "watch", "batch", paths = n).entered();
        // Keyword changes commit now; their passages' vectors trail in the
        // embedding thread, so the next batch never waits for the model.
        let result =
            self.engine
                .apply_changes_then(&batch, &NoProgress, &self.shared.cancel, false);
        // The batch stays busy until the pages it left for text recognition
        // are counted (`finish_batch`), after its event: so a search that
        // sees the change finds its event already sent, and "idle" never
        // shows before the count.
        let failed = {
            let mut inner = self.shared.lock();
            match result {
                Ok(report) => {
                    if report.passages > 0 && self.engine.embedder().is_some() {
                        inner.embed_due = true;
                        inner.status.embedding = true;
                        self.shared.wake.notify_all();
                    }
                    let batch = BatchReport {
                        paths: n,
                        report,
                        finished_ms: crate::time::now_ns() / 1_000_000,
                    };
                    inner.status.batches += 1;
                    if batch.changed_anything() {
                        tracing::info!(target: "watch", "{}", batch.summary());
                        inner.status.last_batch = Some(batch.clone());
                        drop(inner);
                        (self.on_event)(&WatchEvent::Batch { batch });
                    }
                    None
                }
                Err(Error::Cancelled) => {
                    // Paused or stopping: redo the whole batch later (cheap, as
                    // what was committed is now unchanged). On stop the next
                    // start's reconcile covers it.
                    inner.pending.requeue(batch, &self.roots, Instant::now());
                    None
                }
                Err(e) => {
                    // Often a race with the disk (a folder renamed while it was
                    // being listed): retry the batch, backing off so that a
                    // lasting failure (disk full) does not spin.
                    inner.pending.requeue(batch, &self.roots, Instant::now());
                    Some(e)
                }
            }
        };
        self.finish_batch();
        if let Some(e) = failed {
            let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            self.error(&e);
            self.back_off(failures);
            return;
        }
        self.failures.store(0, Ordering::Relaxed);
    }

    /// Counts the pages waiting for text recognition, then marks the batch
    /// done and wakes the trailing thread, which waits for keyword work to
    /// finish before it reads the next pages.
    fn finish_batch(&self) {
        self.note_ocr_pending();
        self.shared.lock().status.busy = false;
        self.shared.wake.notify_all();
    }

    /// Sleeps 0.1 s, 0.2 s, 0.4 s… up to 10 s, or until stopped.
    fn back_off(&self, failures: u32) {
        let wait = Duration::from_millis(100u64 << failures.min(7)).min(Duration::from_secs(10));
        let deadline = Instant::now() + wait;
        let mut inner = self.shared.lock();
        while !inner.stop && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            inner = self
                .shared
                .wake
                .wait_timeout(inner, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

/// Nice 10 for this thread and the extraction threads it spawns (Linux
/// threads have their own nice value and children inherit it). Elsewhere
/// the nice value is per process and would slow the app's window too.
pub(super) fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
            tracing::debug!(target: "watch", "could not lower the indexing thread's priority");
        }
    }
}
