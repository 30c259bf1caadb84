//! Live indexing for the window: a `crumb_engine::watch::Watcher` over the
//! configured folders, its events folded into one `IndexingState` that the
//! window (`indexing` events) and the tray show. The watcher reconciles on
//! start (a full pass, with progress) and then applies changes as they come;
//! changing the folders restarts it. Pausing pauses the watcher: changes are
//! still collected and applied on resume.
//!
//! Deadlock rule: the tray's `notify` waits on the main thread (Tauri runs
//! menu updates there), so no lock the main thread takes (the state, for
//! `boot`) is held while notifying, and the main thread never calls the
//! methods that take the others (commands and the tray hand them to workers).

use crate::host::Host;
use crumb_engine::progress::{CancelFlag, IndexingStep};
use crumb_engine::watch::{PollingRoot, WatchEvent, WatchOptions, Watcher};
use crumb_engine::{IndexReport, WireError};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Progress events closer together than this are dropped (step changes are not).
const EVENT_INTERVAL: Duration = Duration::from_millis(100);

/// How long "Retry failed files" waits for the watcher's batch in flight.
const PAUSE_WAIT: Duration = Duration::from_secs(30);

/// What the window and tray show about indexing.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndexingState {
    /// A full pass (the start-up reconcile, or a retry) is in progress.
    pub running: bool,
    /// The user paused indexing.
    pub paused: bool,
    /// The start-up reconcile is done and changes are applied as they come.
    pub watching: bool,
    /// The latest step reported.
    pub step: Option<IndexingStep>,
    /// The latest problem (the watcher keeps going).
    pub last_error: Option<WireError>,
    /// Folders checked periodically because the OS would not watch them.
    pub polling: Vec<PollingRoot>,
    /// Live batches that changed the index; the window re-runs its query
    /// when this grows.
    pub updates: u64,
    /// Pages waiting for text recognition (the second indexing stage):
    /// "Recognising text: N pages left".
    pub ocr_pending: u64,
    /// The user paused text recognition.
    pub ocr_paused: bool,
    /// Paused, but the page being read when the pause came is still being
    /// finished: "Pausing after the current page" until it lands.
    pub ocr_stopping: bool,
    /// Text recognition is turned off in Settings: pages wait unread.
    pub ocr_off: bool,
}

/// Receives state changes (the window and the tray).
pub type Notify = Arc<dyn Fn(&IndexingState) + Send + Sync>;

/// The state and its listeners, shared with the watcher's callback.
struct Reporter {
    state: Mutex<IndexingState>,
    /// Held while notifying, so listeners see changes in order; the main
    /// thread never takes it.
    order: Mutex<()>,
    notify: Notify,
}

impl Reporter {
    /// Changes the state; notifies when `f` says the change is worth it.
    fn update(&self, f: impl FnOnce(&mut IndexingState) -> bool) {
        let _order = lock(&self.order);
        let snapshot = {
            let mut st = lock(&self.state);
            if !f(&mut st) {
                return;
            }
            st.clone()
        };
        (self.notify)(&snapshot);
    }

    fn set(&self, f: impl FnOnce(&mut IndexingState)) {
        self.update(|st| {
            f(st);
            true
        })
    }
}

/// Owns the watcher and the state it reports.
pub struct Indexer {
    reporter: Arc<Reporter>,
    /// Shared so a retry can pause it without holding this lock.
    watcher: Mutex<Option<Arc<Watcher>>>,
    /// Cancels a retry in flight (pause cancels it).
    retry_cancel: Mutex<CancelFlag>,
    options: WatchOptions,
}

impl Indexer {
    /// An idle indexer that reports through `notify`.
    pub fn new(notify: Notify) -> Indexer {
        Indexer {
            reporter: Arc::new(Reporter {
                state: Mutex::new(IndexingState::default()),
                order: Mutex::new(()),
                notify,
            }),
            watcher: Mutex::new(None),
            retry_cancel: Mutex::new(CancelFlag::new()),
            options: WatchOptions::default(),
        }
    }

    /// Uses these watcher options (tests shorten the batching delays).
    pub fn with_options(mut self, options: WatchOptions) -> Indexer {
        self.options = options;
        self
    }

    /// The current state.
    pub fn state(&self) -> IndexingState {
        lock(&self.reporter.state).clone()
    }

    /// (Re)starts watching `roots`: stops the current watcher, then starts
    /// one whose reconcile registers and catches up with every folder.
    /// Returns once the watcher is started; a missing folder is reported in
    /// the state and the others are still watched.
    pub fn start(&self, host: Arc<Host>, roots: Vec<PathBuf>) -> anyhow::Result<()> {
        if host.read_only() {
            anyhow::bail!("another Crumb process is indexing this data dir; search works, indexing waits for it");
        }
        let mut slot = lock(&self.watcher);
        stop_watcher(slot.take());
        let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) =
            roots.into_iter().partition(|r| r.is_dir());
        // Shown until the folders change: the others are watched meanwhile.
        let missing = missing
            .first()
            .map(|m| crumb_engine::Error::MissingFolder(m.clone()).to_wire());
        self.set(|st| {
            *st = IndexingState {
                running: !present.is_empty(),
                step: (!present.is_empty()).then_some(IndexingStep::Crawling { seen: 0 }),
                last_error: missing.clone(),
                updates: st.updates,
                ..IndexingState::default()
            }
        });
        if present.is_empty() {
            return Ok(());
        }
        let on_event = on_event(self.reporter.clone(), missing);
        match Watcher::start(host.engine(), &present, self.options.clone(), on_event) {
            Ok(w) => {
                let st = w.status();
                self.set(|s| {
                    s.ocr_pending = st.ocr_pending;
                    s.ocr_paused = st.ocr_paused;
                    s.ocr_off = !st.ocr_enabled;
                });
                *slot = Some(Arc::new(w));
                Ok(())
            }
            Err(e) => {
                self.set(|st| {
                    st.running = false;
                    st.last_error = Some(e.to_wire());
                });
                Err(e.into())
            }
        }
    }

    /// Stops watching (no folders left).
    pub fn stop(&self) {
        stop_watcher(lock(&self.watcher).take());
        self.set(|st| *st = IndexingState::default());
    }

    /// Pauses indexing: the watcher collects changes but applies none.
    pub fn pause(&self) {
        if let Some(w) = lock(&self.watcher).as_ref() {
            w.pause();
        }
        lock(&self.retry_cancel).cancel();
        self.set(|st| {
            st.paused = true;
            st.running = false;
        });
    }

    /// Pauses text recognition only: keyword indexing and search go on,
    /// and the pages left wait until [`Indexer::resume_recognition`].
    pub fn pause_recognition(&self, host: &Host) {
        let watcher = lock(&self.watcher);
        // The watcher is asked inside the state's update: the event that ends
        // a step in flight waits for it, so it cannot be overtaken.
        self.set(|st| {
            st.ocr_stopping = match watcher.as_ref() {
                Some(w) => w.pause_recognition(),
                None => {
                    host.engine().pause_recognition();
                    false
                }
            };
            st.ocr_paused = true;
        });
    }

    /// Resumes text recognition.
    pub fn resume_recognition(&self, host: &Host) {
        match lock(&self.watcher).as_ref() {
            Some(w) => w.resume_recognition(),
            None => host.engine().resume_recognition(),
        }
        self.set(|st| {
            st.ocr_paused = false;
            st.ocr_stopping = false;
        });
    }

    /// Text recognition was turned on or off in Settings: the watcher reads
    /// the pages waiting, or leaves them, from now on.
    pub fn recognition_changed(&self) {
        if let Some(w) = lock(&self.watcher).as_ref() {
            w.recognition_changed();
            let on = w.status().ocr_enabled;
            self.set(|st| st.ocr_off = !on);
        }
    }

    /// Resumes after [`Indexer::pause`]; an interrupted reconcile starts over.
    pub fn resume(&self) {
        let watcher = lock(&self.watcher).clone();
        self.set(|st| {
            st.paused = false;
            st.running = watcher.is_some() && !st.watching;
        });
        if let Some(w) = watcher {
            w.resume();
        }
    }

    /// Re-indexes the files that failed, with the watcher paused meanwhile
    /// (one writer), and returns what happened.
    pub fn retry_failed(&self, host: &Host) -> anyhow::Result<IndexReport> {
        self.with_watcher_paused(host, |engine, progress, cancel| {
            engine.retry_failed(progress, cancel)
        })
    }

    /// Embeds every passage that lacks a vector for the current embedder
    /// (after a switch of embedder), with the watcher paused meanwhile and
    /// progress in the indexing state; returns how many were embedded.
    pub fn embed_missing(&self, host: &Host) -> anyhow::Result<u64> {
        self.with_watcher_paused(host, |engine, progress, cancel| {
            engine.embed_missing(progress, cancel)
        })
    }

    /// Runs `work` as the one writer: the watcher paused, progress reported,
    /// cancelled by a pause.
    fn with_watcher_paused<T>(
        &self,
        host: &Host,
        work: impl FnOnce(
            &crumb_engine::Engine,
            &dyn crumb_engine::progress::Progress,
            &CancelFlag,
        ) -> crumb_engine::Result<T>,
    ) -> anyhow::Result<T> {
        if host.read_only() {
            anyhow::bail!("another Crumb process is indexing this data dir");
        }
        let watcher = lock(&self.watcher).clone();
        if let Some(w) = &watcher {
            w.pause();
            let end = Instant::now() + PAUSE_WAIT;
            while w.status().busy && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let cancel = CancelFlag::new();
        *lock(&self.retry_cancel) = cancel.clone();
        self.set(|st| st.running = true);
        let progress = progress_reporter(self.reporter.clone());
        let result = work(&host.engine(), &progress, &cancel);
        let paused = self.state().paused;
        self.set(|st| {
            st.running = !st.watching && !paused;
            match &result {
                Ok(_) => st.step = Some(IndexingStep::Done),
                Err(crumb_engine::Error::Cancelled) => {}
                Err(e) => st.last_error = Some(e.to_wire()),
            }
        });
        // Unless the folders changed meanwhile: a replaced watcher must stay
        // paused until it is dropped, so there is only ever one writer.
        let current = |w: &Arc<Watcher>| {
            lock(&self.watcher)
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, w))
        };
        if let Some(w) = watcher.filter(|w| !paused && current(w)) {
            w.resume();
        }
        Ok(result?)
    }

    /// Waits until the watcher has nothing to do, or `timeout` passes.
    #[cfg(test)]
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let w = lock(&self.watcher).clone();
        w.is_some_and(|w| w.wait_idle(timeout))
    }

    fn set(&self, f: impl FnOnce(&mut IndexingState)) {
        self.reporter.set(f)
    }
}

/// Stops a watcher, unless a retry still holds it: then it stops when the
/// retry lets go of it.
fn stop_watcher(watcher: Option<Arc<Watcher>>) {
    if let Some(Ok(w)) = watcher.map(Arc::try_unwrap) {
        if let Err(e) = w.stop() {
            tracing::warn!(target: "app::index", error = %e, "watcher did not stop cleanly");
        }
    }
}

/// Folds watcher events into the state and passes it on. `standing` is a
/// problem found at start (a missing folder) that later successes must not
/// hide.
fn on_event(
    reporter: Arc<Reporter>,
    standing: Option<WireError>,
) -> impl Fn(&WatchEvent) + Send + Sync + 'static {
    let progress = progress_reporter(reporter.clone());
    move |event: &WatchEvent| match event {
        WatchEvent::Progress { step } => progress(step),
        WatchEvent::Reconciled { report } => {
            tracing::info!(target: "app::index", seconds = report.seconds, "caught up; watching");
            reporter.set(|st| {
                st.running = false;
                st.watching = true;
                st.step = Some(IndexingStep::Done);
                st.last_error = standing.clone();
            })
        }
        WatchEvent::Batch { .. } => reporter.set(|st| {
            st.updates += 1;
            st.last_error = standing.clone();
        }),
        // Meaning search catches up on its own; the window's status polls
        // the counts.
        WatchEvent::Embedded { .. } => {}
        WatchEvent::Recognised { pages, left } => reporter.set(|st| {
            st.ocr_pending = *left;
            // A step ended: if a pause came during it, it holds now.
            st.ocr_stopping = false;
            // Recognised text is new content: the window re-runs its query.
            if *pages > 0 {
                st.updates += 1;
            }
        }),
        WatchEvent::OcrWaiting { left } => reporter.set(|st| st.ocr_pending = *left),
        WatchEvent::Polling { root } => reporter.set(|st| st.polling.push(root.clone())),
        // The watcher carries on; a failed reconcile is retried as rescans.
        WatchEvent::Error { error } => reporter.set(|st| {
            st.ocr_stopping = false;
            st.running = false;
            st.watching = true;
            st.last_error = Some(error.clone());
        }),
    }
}

/// A progress callback that drives the bar, throttled except on step changes.
fn progress_reporter(reporter: Arc<Reporter>) -> impl Fn(&IndexingStep) + Send + Sync + 'static {
    let last_sent = Mutex::new(Instant::now() - EVENT_INTERVAL);
    move |step: &IndexingStep| {
        reporter.update(|st| {
            if st.paused {
                return false; // the pass is about to notice the pause
            }
            let same_kind =
                st.step.as_ref().map(std::mem::discriminant) == Some(std::mem::discriminant(step));
            st.running = true;
            st.step = Some(step.clone());
            let mut last = lock(&last_sent);
            let send = !same_kind || last.elapsed() >= EVENT_INTERVAL;
            if send {
                *last = Instant::now();
            }
            send
        })
    }
}

/// Locks, recovering from a panic in another holder: indexing state is plain
/// data, so the last written value is still meaningful.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_engine::SearchRequest;

    fn quick() -> WatchOptions {
        WatchOptions::default()
            .with_quiet(Duration::from_millis(50))
            .with_max_wait(Duration::from_millis(200))
            .with_low_priority(false)
    }

    fn recording() -> (Indexer, Arc<Mutex<Vec<IndexingState>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let ix = Indexer::new(Arc::new(move |s: &IndexingState| {
            lock(&sink).push(s.clone())
        }))
        .with_options(quick());
        (ix, events)
    }

    fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
        let end = Instant::now() + Duration::from_secs(60);
        while !f() {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn first_hit(host: &Host, q: &str) -> Option<String> {
        let hits = host.engine().search(&SearchRequest::new(q)).unwrap();
        hits.first().map(|h| h.path.clone())
    }

    #[test]
    fn a_folder_added_mid_run_is_indexed_by_the_restarted_watcher() {
        let data = tempfile::tempdir().unwrap();
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for i in 0..200 {
            std::fs::write(
                a.path().join(format!("a{i}.txt")),
                format!("alpha note {i}"),
            )
            .unwrap();
        }
        std::fs::write(b.path().join("bread.md"), "sourdough starter hydration").unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, events) = recording();

        ix.start(host.clone(), vec![a.path().into()]).unwrap();
        ix.start(host.clone(), vec![a.path().into(), b.path().into()])
            .unwrap();
        assert!(ix.wait_idle(Duration::from_secs(60)));
        let st = ix.state();

        assert_eq!(st.step, Some(IndexingStep::Done));
        assert!(st.watching && !st.running && !st.paused && st.last_error.is_none());
        assert!(first_hit(&host, "sourdough").unwrap().ends_with("bread.md"));
        assert!(first_hit(&host, "alpha").is_some());
        let events = lock(&events);
        assert!(events.iter().any(|s| s.running));
        assert!(events.last().is_some_and(|s| !s.running));
    }

    #[test]
    fn switching_to_an_embedder_embeds_the_keyword_only_index_with_progress() {
        let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/models/minilm");
        assert!(
            model.join("config.json").is_file(),
            "missing {}: run `make setup` (scripts/setup-models.sh)",
            model.display()
        );
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(
                docs.path().join(format!("n{i}.txt")),
                format!("note {i} about kneading dough and baking bread"),
            )
            .unwrap();
        }
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, events) = recording();
        ix.start(host.clone(), vec![docs.path().into()]).unwrap();
        assert!(ix.wait_idle(Duration::from_secs(60)));
        let before = host.engine().status().unwrap();
        assert!(before.passages >= 5 && before.vectors == 0, "{before:?}");

        crumb_engine::models::init_runtime(Some(data.path())).unwrap();
        let embedder = crumb_engine::models::load_embedder(
            &model,
            crumb_engine::models::ExecutionProvider::Cpu,
        )
        .unwrap();
        host.engine().set_embedder(Some(Arc::from(embedder)));
        let n = ix.embed_missing(&host).unwrap();

        let after = host.engine().status().unwrap();
        assert_eq!(n, after.passages);
        assert_eq!(after.vectors, after.passages);
        assert!(lock(&events)
            .iter()
            .any(|s| matches!(s.step, Some(IndexingStep::Embedding { .. }))));
        // The watcher is running again afterwards.
        assert!(ix.state().watching && !ix.state().paused);
    }

    #[test]
    fn files_saved_and_deleted_after_the_index_show_up_without_a_new_pass() {
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("old.txt"), "quartzbanana leftovers").unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, _events) = recording();
        ix.start(host.clone(), vec![docs.path().into()]).unwrap();
        assert!(ix.wait_idle(Duration::from_secs(60)));
        assert!(first_hit(&host, "quartzbanana").is_some());

        std::fs::write(docs.path().join("new.md"), "zebrafinch migration notes").unwrap();
        std::fs::remove_file(docs.path().join("old.txt")).unwrap();
        wait_for("the new file", || {
            first_hit(&host, "zebrafinch").is_some_and(|p| p.ends_with("new.md"))
        });
        wait_for("the deleted file to go", || {
            first_hit(&host, "quartzbanana").is_none()
        });
        wait_for("the update count", || ix.state().updates > 0);
    }

    #[test]
    fn pause_holds_changes_until_resume() {
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("a.txt"), "first words").unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, _events) = recording();
        ix.start(host.clone(), vec![docs.path().into()]).unwrap();
        assert!(ix.wait_idle(Duration::from_secs(60)));

        ix.pause();
        assert!(ix.state().paused);
        std::fs::write(docs.path().join("b.txt"), "pelicanmoss").unwrap();
        std::thread::sleep(Duration::from_millis(800));
        assert!(first_hit(&host, "pelicanmoss").is_none());
        ix.resume();
        assert!(!ix.state().paused);
        wait_for("the held change", || {
            first_hit(&host, "pelicanmoss").is_some()
        });
    }

    #[test]
    fn polled_folders_are_reported_not_silent() {
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, _events) = recording();
        let ix = ix.with_options(quick().with_force_polling(true));
        ix.start(host, vec![docs.path().into()]).unwrap();
        wait_for("the polling notice", || !ix.state().polling.is_empty());
        let p = &ix.state().polling[0];
        assert_eq!(p.interval_s, 30);
        assert!(!p.reason.is_empty());
    }

    #[test]
    fn a_missing_folder_is_reported_and_the_others_still_watched() {
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("a.txt"), "heronlake").unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let ix = Indexer::new(Arc::new(|_: &IndexingState| {})).with_options(quick());
        ix.start(host.clone(), vec![data.path().join("nope")])
            .unwrap();
        let st = ix.state();
        assert!(!st.running);
        assert_eq!(
            st.last_error.map(|e| e.code),
            Some("missing_folder".to_string())
        );

        ix.start(
            host.clone(),
            vec![data.path().join("nope"), docs.path().into()],
        )
        .unwrap();
        assert_eq!(
            ix.state().last_error.map(|e| e.code),
            Some("missing_folder".to_string())
        );
        wait_for("the present folder", || {
            first_hit(&host, "heronlake").is_some()
        });
        assert!(ix.wait_idle(Duration::from_secs(60)));
        assert_eq!(
            ix.state().last_error.map(|e| e.code),
            Some("missing_folder".to_string()),
            "a finished catch-up must not hide the missing folder"
        );
    }

    #[test]
    fn retry_failed_runs_with_the_watcher_paused_and_resumes_it() {
        let data = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("a.txt"), "ospreyglen").unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let (ix, _events) = recording();
        ix.start(host.clone(), vec![docs.path().into()]).unwrap();
        assert!(ix.wait_idle(Duration::from_secs(60)));

        let report = ix.retry_failed(&host).unwrap();
        assert_eq!(report.failed, 0);
        let st = ix.state();
        assert!(!st.running && !st.paused);
        std::fs::write(docs.path().join("b.txt"), "kestrelfen").unwrap();
        wait_for("live updates after a retry", || {
            first_hit(&host, "kestrelfen").is_some()
        });
    }
}
