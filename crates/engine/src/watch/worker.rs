//! The indexing thread: sets up the OS watches, reconciles, then applies
//! batches of changes until stopped. It is the only thread that writes.

use super::events::{Action, Scope};
use super::queue::coalesce;
use super::{BatchReport, PollingRoot, Shared, WatchEvent, WatchOptions, WatchPhase};
use crate::engine::Engine;
use crate::progress::{IndexingStep, NoProgress};
use crate::{Error, Result};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

pub(crate) type OnEvent = Box<dyn Fn(&WatchEvent) + Send + Sync>;

/// The folders to watch, canonical: the given ones, or every indexed root.
pub(crate) fn resolve_roots(engine: &Engine, roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let roots: Vec<PathBuf> = if roots.is_empty() {
        engine.roots()?.into_iter().map(PathBuf::from).collect()
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
    on_event: OnEvent,
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
            }
            .run()
        })
        .map_err(|e| Error::io("start the watcher thread", e))
}

struct Worker {
    engine: Arc<Engine>,
    roots: Vec<PathBuf>,
    opts: WatchOptions,
    shared: Arc<Shared>,
    on_event: OnEvent,
}

/// The OS watcher (dropping it removes the watches) and the folders polled
/// instead. Polling re-examines the folder against the catalog (crawl +
/// compare), not against a poller's own snapshot: a change the poller never
/// saw (made between its first scan and a rescan) would otherwise stay wrong.
struct Watches {
    native: Option<RecommendedWatcher>,
    polled: Vec<PathBuf>,
    next_poll: Instant,
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

    fn error(&self, err: &Error) {
        tracing::warn!(target: "watch", error = %err, "live indexing error");
        let wire = err.to_wire();
        self.shared.lock().status.last_error = Some(wire.clone());
        (self.on_event)(&WatchEvent::Error { error: wire });
    }

    /// Watching comes first, so nothing changed during the reconcile is
    /// missed. Folders the OS will not watch are polled instead.
    fn watch_roots(&self) -> Watches {
        let mut w = Watches {
            native: None,
            polled: Vec::new(),
            next_poll: Instant::now() + self.opts.poll_interval,
        };
        if !self.opts.force_polling {
            // Like the crawl, never follow symlinks: a watch inside a linked
            // folder would index files a full crawl leaves out.
            let config = notify::Config::default().with_follow_symlinks(false);
            match RecommendedWatcher::new(self.handler(), config) {
                Ok(n) => w.native = Some(n),
                Err(e) => {
                    let reason = format!("file events are unavailable ({e})");
                    for r in &self.roots {
                        self.poll_root(&mut w, r, &reason);
                    }
                    return w;
                }
            }
        }
        for root in &self.roots {
            let result = match w.native.as_mut() {
                Some(n) => n.watch(root, RecursiveMode::Recursive),
                None => {
                    self.poll_root(&mut w, root, "polling was requested");
                    continue;
                }
            };
            if let Err(e) = result {
                let reason = match e.kind {
                    notify::ErrorKind::MaxFilesWatch => {
                        "the system limit on watched folders (inotify max_user_watches) was reached; raise fs.inotify.max_user_watches".to_string()
                    }
                    _ => format!("the folder could not be watched ({e})"),
                };
                self.poll_root(&mut w, root, &reason);
            }
        }
        w
    }

    /// Falls back to polling `root`, and says so.
    fn poll_root(&self, w: &mut Watches, root: &Path, reason: &str) {
        if w.polled.iter().any(|p| p == root) {
            return;
        }
        // Free the partial recursive watch: other folders (and other
        // programs) need the watches it holds.
        if let Some(n) = w.native.as_mut() {
            let _ = n.unwatch(root);
        }
        w.polled.push(root.to_path_buf());
        let polling = PollingRoot {
            root: root.to_string_lossy().into_owned(),
            reason: reason.to_string(),
            interval_s: self.opts.poll_interval.as_secs(),
        };
        tracing::warn!(target: "watch", root = %root.display(), reason, "polling this folder instead of watching it");
        {
            let mut inner = self.shared.lock();
            inner.status.polling.push(polling.clone());
            // Changes since the failed watch, without waiting for the first poll.
            inner
                .pending
                .push_rescan(root.to_path_buf(), Instant::now());
        }
        self.shared.wake.notify_all();
        (self.on_event)(&WatchEvent::Polling { root: polling });
    }

    /// The callback the OS watchers run on their own threads: classify and
    /// queue, nothing more (it must never block on indexing).
    fn handler(&self) -> impl notify::EventHandler {
        let shared = self.shared.clone();
        let roots = self.roots.clone();
        let crawl = self.engine.options().crawl.clone();
        let data = self.engine.options().data_dir.clone();
        let data_dir = data.canonicalize().unwrap_or(data);
        move |event: notify::Result<notify::Event>| {
            let scope = Scope {
                roots: &roots,
                crawl: &crawl,
                data_dir: &data_dir,
            };
            let action = scope.classify(&event);
            let now = Instant::now();
            let mut inner = shared.lock();
            match action {
                Action::Ignore => return,
                Action::Paths(paths) => {
                    for (p, root) in paths {
                        inner.pending.push(p, &root, now);
                    }
                }
                Action::Rescan(dirs) => {
                    tracing::warn!(target: "watch", ?dirs, "events were lost; rescanning");
                    for d in dirs {
                        inner.pending.push_rescan(d, now);
                    }
                }
                Action::Poll(roots, reason) => {
                    inner
                        .poll_requests
                        .extend(roots.into_iter().map(|r| (r, reason.clone())));
                }
            }
            drop(inner);
            shared.wake.notify_all();
        }
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
            let result = self
                .engine
                .index(&self.roots, &progress, &self.shared.cancel);
            self.set_busy(false);
            match result {
                Ok(report) => {
                    (self.on_event)(&WatchEvent::Reconciled { report });
                    return true;
                }
                Err(Error::Cancelled) => continue, // paused or stopped: see the top
                Err(e) => {
                    self.error(&e);
                    return true; // keep watching: changes still get applied
                }
            }
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
                if !watches.polled.is_empty() && now >= watches.next_poll {
                    for root in &watches.polled {
                        inner.pending.push_rescan(root.clone(), now);
                    }
                    watches.next_poll = now + self.opts.poll_interval;
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
                if !watches.polled.is_empty() {
                    wait = wait.min(watches.next_poll.saturating_duration_since(now));
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
        let result = self
            .engine
            .apply_changes(&batch, &NoProgress, &self.shared.cancel);
        let mut inner = self.shared.lock();
        inner.status.busy = false;
        match result {
            Ok(report) => {
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
            }
            Err(Error::Cancelled) => {
                // Paused or stopping: redo the whole batch later (cheap, as
                // what was committed is now unchanged). On stop the next
                // start's reconcile covers it.
                inner.pending.requeue(batch, &self.roots, Instant::now());
            }
            Err(e) => {
                drop(inner);
                self.error(&e);
            }
        }
    }
}

/// Nice 10 for this thread and the extraction threads it spawns (Linux
/// threads have their own nice value and children inherit it). Elsewhere
/// the nice value is per process and would slow the app's window too.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
            tracing::debug!(target: "watch", "could not lower the indexing thread's priority");
        }
    }
}
