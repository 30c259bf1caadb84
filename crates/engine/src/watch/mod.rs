//! Live indexing: keep the index current while files change.
//!
//! A [`Watcher`] watches the indexed folders with the OS's file events
//! (`notify`: inotify, FSEvents, ReadDirectoryChangesW) and feeds the changed
//! paths to [`Engine::apply_changes`] from one background thread, the
//! engine's single writer. On start it watches first and reconciles second
//! (a full [`Engine::index`] by size, mtime and hash), so changes made while
//! Crumb was closed are caught and none made during the reconcile fall into a
//! gap: their events wait in the queue and are applied after it.
//!
//! Events only mark paths dirty (see `queue`); the paths are re-examined as
//! they are on disk when their batch runs, which makes editors' atomic saves,
//! renames and bursts of thousands of events cheap and order-independent.
//! Lost events (inotify's queue overflow, our own bounded queue filling up)
//! turn into a rescan of the affected folders. When the OS refuses more
//! watches, the folders affected are polled instead and the status says so.
//!
//! ```no_run
//! use crumb_engine::watch::{WatchOptions, Watcher};
//! use crumb_engine::{Engine, EngineOptions};
//! use std::sync::Arc;
//!
//! let engine = Arc::new(Engine::open(EngineOptions::new("/tmp/crumb-data"))?);
//! let watcher = Watcher::start(engine, &["/home/me/Documents".into()], WatchOptions::default(), |e| {
//!     println!("{e:?}");
//! })?;
//! // … later:
//! println!("{:?}", watcher.status());
//! watcher.stop()?;
//! # Ok::<(), crumb_engine::Error>(())
//! ```

mod embedding;
mod events;
mod options;
mod queue;
mod sources;
mod worker;

pub use options::WatchOptions;

use crate::engine::Engine;
use crate::index::IndexReport;
use crate::progress::{CancelFlag, IndexingStep};
use crate::{Error, Result, WireError};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the watcher is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchPhase {
    /// Setting up the OS watches.
    Starting,
    /// Catching up with changes made while Crumb was not running.
    Reconciling,
    /// Up to date, or applying changes as they come.
    Watching,
    /// Stopped (by [`Watcher::stop`], or after a fatal error).
    Stopped,
}

/// A folder polled because the OS would not watch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollingRoot {
    /// The indexed folder.
    pub root: String,
    /// Why, in words a person understands.
    pub reason: String,
    /// Seconds between polls.
    pub interval_s: u64,
}

/// One applied batch of changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchReport {
    /// Paths (files or folders) re-examined.
    pub paths: usize,
    /// What happened to them.
    pub report: IndexReport,
    /// When it finished, ms since the Unix epoch.
    pub finished_ms: i64,
}

impl BatchReport {
    /// Whether the batch changed the index at all (a no-op batch follows,
    /// e.g., a file touched without a change of content).
    pub fn changed_anything(&self) -> bool {
        let r = &self.report;
        r.indexed + r.removed + r.failed + r.skipped > 0
    }

    /// "updated 3, removed 1" and friends, for a log line.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let mut parts = vec![format!("updated {}", r.indexed)];
        for (n, what) in [
            (r.removed, "removed"),
            (r.skipped, "skipped"),
            (r.failed, "failed"),
        ] {
            if n > 0 {
                parts.push(format!("{what} {n}"));
            }
        }
        format!("{} ({:.2}s)", parts.join(", "), r.seconds)
    }
}

/// A snapshot of the watcher's state, for the app's status bar and
/// `crumb watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchStatus {
    /// Phase.
    pub phase: WatchPhase,
    /// Paused by the user: events are still collected, nothing is indexed.
    pub paused: bool,
    /// A batch (or the reconcile) is running now.
    pub busy: bool,
    /// Passages committed by batches still wait for their vectors, or are
    /// being embedded now: keyword search has them, meaning search not yet.
    pub embedding: bool,
    /// Text recognition (OCR, the second indexing stage) is reading pages
    /// now, on the trailing thread, behind keyword work.
    pub recognising: bool,
    /// Pages waiting for text recognition: "Recognising text: N pages left".
    pub ocr_pending: u64,
    /// The user paused text recognition ([`Watcher::pause_recognition`]).
    pub ocr_paused: bool,
    /// Text recognition is on in the engine's options; when off, pages
    /// left pending by an earlier run wait for a run with it on.
    pub ocr_enabled: bool,
    /// Paths and folders waiting to be applied.
    pub pending: usize,
    /// Of which folders waiting for a full rescan.
    pub rescans_pending: usize,
    /// Times the pending queue overflowed into a rescan.
    pub overflows: u64,
    /// Batches applied since start.
    pub batches: u64,
    /// The last batch that changed something.
    pub last_batch: Option<BatchReport>,
    /// Folders polled instead of watched, with reasons.
    pub polling: Vec<PollingRoot>,
    /// The last error, if any (the watcher keeps going).
    pub last_error: Option<WireError>,
    /// Watched folders.
    pub roots: Vec<String>,
}

impl WatchStatus {
    /// Up to date: reconciled, nothing pending, nothing running, every
    /// committed passage embedded, every page recognised (unless text
    /// recognition is paused or off).
    pub fn is_idle(&self) -> bool {
        self.phase == WatchPhase::Watching
            && !self.busy
            && !self.embedding
            && self.pending == 0
            && !self.recognising
            && (self.ocr_pending == 0 || self.ocr_paused || !self.ocr_enabled)
    }
}

/// What the watcher tells its owner as it goes (the app forwards these to
/// the window; `crumb watch` prints them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WatchEvent {
    /// Progress of the start-up reconcile.
    Progress {
        /// The step.
        step: IndexingStep,
    },
    /// The start-up reconcile finished.
    Reconciled {
        /// Its report.
        report: IndexReport,
    },
    /// A batch of changes was applied and changed the index.
    Batch {
        /// The batch.
        batch: BatchReport,
    },
    /// The trailing embedding queue gave vectors to passages that batches
    /// had committed: they are now found by meaning too.
    Embedded {
        /// Passages embedded in this pass.
        passages: u64,
    },
    /// The trailing thread recognised the text of some pages (OCR): they
    /// are found by their words now.
    Recognised {
        /// Pages read (or given up on) in this step.
        pages: u64,
        /// Pages still waiting.
        left: u64,
    },
    /// A batch changed how many pages wait for text recognition (new
    /// scans, or scans deleted), whether or not recognition is on.
    OcrWaiting {
        /// Pages waiting.
        left: u64,
    },
    /// A folder could not be watched and is polled instead.
    Polling {
        /// The folder and why.
        root: PollingRoot,
    },
    /// Something failed; the watcher carries on.
    Error {
        /// The error.
        error: WireError,
    },
}

/// State shared between the handle, the OS watcher callbacks and the
/// indexing thread.
pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) wake: Condvar,
    /// Cancels the running batch or reconcile (on stop or pause).
    pub(crate) cancel: CancelFlag,
    /// Cancels the running embedding pass (on stop or pause).
    pub(crate) embed_cancel: CancelFlag,
}

pub(crate) struct Inner {
    pub(crate) pending: queue::Pending,
    pub(crate) status: WatchStatus,
    pub(crate) stop: bool,
    /// Roots the OS refused to watch, waiting for the thread to poll them.
    pub(crate) poll_requests: Vec<(PathBuf, String)>,
    /// A batch committed passages since the embedding thread last looked.
    pub(crate) embed_due: bool,
    /// Pages may wait for text recognition (the trailing thread looks).
    pub(crate) ocr_due: bool,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the status down with it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running watcher. Dropping it stops it.
pub struct Watcher {
    engine: Arc<Engine>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    embed_thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching `roots` (all indexed folders when empty) and returns at
    /// once; the watches, the reconcile and all indexing happen on a
    /// background thread, reported through `on_event` and [`Watcher::status`].
    pub fn start(
        engine: Arc<Engine>,
        roots: &[PathBuf],
        opts: WatchOptions,
        on_event: impl Fn(&WatchEvent) + Send + Sync + 'static,
    ) -> Result<Watcher> {
        if engine.options().read_only {
            return Err(Error::Input(
                "a read-only engine cannot watch: open the data dir for writing".into(),
            ));
        }
        let roots = worker::resolve_roots(&engine, roots)?;
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                pending: queue::Pending::new(opts.max_pending),
                status: WatchStatus {
                    phase: WatchPhase::Starting,
                    paused: false,
                    busy: false,
                    embedding: false,
                    recognising: false,
                    ocr_pending: engine.pending_ocr_pages()?,
                    ocr_paused: engine.recognition_paused(),
                    ocr_enabled: engine.recognition_enabled(),
                    pending: 0,
                    rescans_pending: 0,
                    overflows: 0,
                    batches: 0,
                    last_batch: None,
                    polling: Vec::new(),
                    last_error: None,
                    roots: roots
                        .iter()
                        .map(|r| r.to_string_lossy().into_owned())
                        .collect(),
                },
                stop: false,
                poll_requests: Vec::new(),
                embed_due: false,
                ocr_due: true,
            }),
            wake: Condvar::new(),
            cancel: CancelFlag::new(),
            embed_cancel: CancelFlag::new(),
        });
        let on_event: worker::SharedOnEvent = Arc::new(Box::new(on_event));
        let embed_thread = embedding::spawn(
            engine.clone(),
            shared.clone(),
            on_event.clone(),
            opts.low_priority,
        )?;
        let thread = worker::spawn(engine.clone(), roots, opts, shared.clone(), on_event)?;
        Ok(Watcher {
            engine,
            shared,
            thread: Some(thread),
            embed_thread: Some(embed_thread),
        })
    }

    /// Stops indexing (the running batch is cancelled between its commits)
    /// until [`Watcher::resume`]. Events keep being collected meanwhile.
    pub fn pause(&self) {
        self.shared.lock().status.paused = true;
        self.shared.cancel.cancel();
        self.shared.embed_cancel.cancel();
        self.shared.wake.notify_all();
    }

    /// Resumes after [`Watcher::pause`]; what was interrupted is redone.
    pub fn resume(&self) {
        self.shared.lock().status.paused = false;
        self.shared.wake.notify_all();
    }

    /// Pauses text recognition (the second stage) after the page it is
    /// reading; keyword indexing, embedding and search go on. Pages stay
    /// pending, also across restarts, until [`Watcher::resume_recognition`].
    ///
    /// True when a step was being read as the pause came: it is finished
    /// first, and its [`WatchEvent::Recognised`] (or [`WatchEvent::Error`])
    /// says when recognition has actually stopped.
    pub fn pause_recognition(&self) -> bool {
        let mut inner = self.shared.lock();
        self.engine.pause_recognition();
        inner.status.ocr_paused = true;
        let in_flight = inner.status.recognising;
        drop(inner);
        self.shared.wake.notify_all();
        in_flight
    }

    /// Resumes text recognition after [`Watcher::pause_recognition`].
    pub fn resume_recognition(&self) {
        self.engine.resume_recognition();
        let mut inner = self.shared.lock();
        inner.status.ocr_paused = false;
        inner.ocr_due = true;
        drop(inner);
        self.shared.wake.notify_all();
    }

    /// Tells the trailing thread that text recognition was turned on or off
    /// ([`Engine::set_recognition_enabled`]): pages waiting are read, or
    /// left, from now on.
    pub fn recognition_changed(&self) {
        let mut inner = self.shared.lock();
        inner.status.ocr_enabled = self.engine.recognition_enabled();
        inner.ocr_due = true;
        drop(inner);
        self.shared.wake.notify_all();
    }

    /// Queues a full rescan of every watched folder (a "check now" button).
    pub fn rescan(&self) {
        let mut inner = self.shared.lock();
        let roots: Vec<PathBuf> = inner.status.roots.iter().map(PathBuf::from).collect();
        for r in roots {
            inner.pending.push_rescan(r, Instant::now());
        }
        drop(inner);
        self.shared.wake.notify_all();
    }

    /// The current state.
    pub fn status(&self) -> WatchStatus {
        let inner = self.shared.lock();
        let mut st = inner.status.clone();
        st.ocr_enabled = self.engine.recognition_enabled();
        st.pending = inner.pending.len();
        st.rescans_pending = inner.pending.rescans();
        st.overflows = inner.pending.overflows;
        st
    }

    /// Waits until the watcher is idle (see [`WatchStatus::is_idle`]) or
    /// `timeout` passes; returns whether it is idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.status().is_idle() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops: cancels the running batch (what it committed stays committed;
    /// the rest is picked up by the next start's reconcile), removes the OS
    /// watches and joins the indexing thread.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        self.shared.lock().stop = true;
        self.shared.cancel.cancel();
        self.shared.embed_cancel.cancel();
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            t.join()
                .map_err(|_| Error::Bug("the watcher's indexing thread panicked".into()))?;
        }
        if let Some(t) = self.embed_thread.take() {
            t.join()
                .map_err(|_| Error::Bug("the watcher's embedding thread panicked".into()))?;
        }
        Ok(())
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn the_app_can_keep_a_watcher_in_its_shared_state() {
        send_sync::<super::Watcher>();
        send_sync::<super::WatchStatus>();
    }
}
