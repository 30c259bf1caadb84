//! The indexing job: one run at a time on its own thread, with progress sent
//! to the window as `indexing` events and to the tray. Pausing cancels the run
//! between batches; resuming starts a new run, which skips files already done.

use crate::host::Host;
use crumb_engine::progress::{CancelFlag, IndexingStep};
use crumb_engine::WireError;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Progress events closer together than this are dropped (step changes are not).
const EVENT_INTERVAL: Duration = Duration::from_millis(100);

/// What the window and tray show about indexing.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndexingState {
    /// A run is in progress.
    pub running: bool,
    /// The user paused the last run.
    pub paused: bool,
    /// The latest step reported.
    pub step: Option<IndexingStep>,
    /// Why the last run stopped, when it failed.
    pub last_error: Option<WireError>,
}

/// Receives state changes (the window and the tray).
pub type Notify = Arc<dyn Fn(&IndexingState) + Send + Sync>;

/// Starts, pauses and reports indexing runs.
pub struct Indexer {
    state: Arc<Mutex<IndexingState>>,
    cancel: Mutex<CancelFlag>,
    /// Roots asked for while a run was going: the run goes again with them,
    /// so a folder added mid-run is not left out.
    pending: Arc<Mutex<Option<Vec<PathBuf>>>>,
    notify: Notify,
}

impl Indexer {
    /// An idle indexer that reports through `notify`.
    pub fn new(notify: Notify) -> Indexer {
        Indexer {
            state: Arc::new(Mutex::new(IndexingState::default())),
            cancel: Mutex::new(CancelFlag::new()),
            pending: Arc::new(Mutex::new(None)),
            notify,
        }
    }

    /// The current state.
    pub fn state(&self) -> IndexingState {
        lock(&self.state).clone()
    }

    /// Starts a run over `roots` unless one is running. Returns at once.
    pub fn start(&self, host: Arc<Host>, roots: Vec<PathBuf>) -> anyhow::Result<()> {
        if host.read_only() {
            anyhow::bail!("another Crumb process is indexing this data dir; search works, indexing waits for it");
        }
        let cancel = CancelFlag::new();
        {
            let mut st = lock(&self.state);
            if st.running {
                *lock(&self.pending) = Some(roots);
                return Ok(());
            }
            *st = IndexingState {
                running: true,
                paused: false,
                step: Some(IndexingStep::Crawling { seen: 0 }),
                last_error: None,
            };
            (self.notify)(&st);
        }
        *lock(&self.cancel) = cancel.clone();
        let state = self.state.clone();
        let notify = self.notify.clone();
        let pending = self.pending.clone();
        std::thread::Builder::new()
            .name("crumb-index".into())
            .spawn(move || {
                let mut roots = roots;
                loop {
                    let finished = run(&host, &roots, &cancel, &state, &notify);
                    // Decide under the state lock, which `start` also takes, so a
                    // request cannot slip in between "nothing pending" and "idle".
                    let mut st = lock(&state);
                    let next = lock(&pending).take();
                    match next {
                        Some(r) if finished => roots = r,
                        _ => {
                            st.running = false;
                            notify(&st);
                            break;
                        }
                    }
                }
            })?;
        Ok(())
    }

    /// Asks the running job to stop after its current batch.
    pub fn pause(&self) {
        let st = lock(&self.state);
        if st.running {
            *lock(&self.pending) = None;
            lock(&self.cancel).cancel();
        }
    }
}

/// One pass over `roots`; true when it ran to the end (not paused or failed).
/// Leaves `running` set: the caller clears it once no pass is pending.
fn run(
    host: &Host,
    roots: &[PathBuf],
    cancel: &CancelFlag,
    state: &Mutex<IndexingState>,
    notify: &Notify,
) -> bool {
    let _span = tracing::info_span!(target: "app::index", "index", roots = roots.len()).entered();
    let last_sent = Mutex::new(Instant::now() - EVENT_INTERVAL);
    let progress = |step: &IndexingStep| {
        let mut st = lock(state);
        let same_kind =
            st.step.as_ref().map(std::mem::discriminant) == Some(std::mem::discriminant(step));
        st.step = Some(step.clone());
        let mut last = lock(&last_sent);
        if !same_kind || last.elapsed() >= EVENT_INTERVAL {
            *last = Instant::now();
            notify(&st);
        }
    };
    let result = host.engine().index(roots, &progress, cancel);
    let mut st = lock(state);
    match result {
        Ok(report) => {
            tracing::info!(target: "app::index", seconds = report.seconds, "indexing finished");
            st.paused = false;
            st.step = Some(IndexingStep::Done);
            st.last_error = None;
            true
        }
        Err(crumb_engine::Error::Cancelled) => {
            st.paused = true;
            false
        }
        Err(e) => {
            tracing::warn!(target: "app::index", error = %e, "indexing failed");
            st.last_error = Some(e.to_wire());
            false
        }
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

    fn wait_idle(ix: &Indexer) -> IndexingState {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let st = ix.state();
            if !st.running {
                return st;
            }
            assert!(Instant::now() < end, "indexing did not finish");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_folder_added_mid_run_is_indexed_by_a_second_pass() {
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
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let ix = Indexer::new(Arc::new(move |s: &IndexingState| {
            lock(&sink).push(s.clone())
        }));

        ix.start(host.clone(), vec![a.path().into()]).unwrap();
        ix.start(host.clone(), vec![a.path().into(), b.path().into()])
            .unwrap();
        let st = wait_idle(&ix);

        assert_eq!(st.step, Some(IndexingStep::Done));
        assert!(!st.paused && st.last_error.is_none());
        let hits = host
            .engine()
            .search(&SearchRequest::new("sourdough"))
            .unwrap();
        assert!(hits[0].path.ends_with("bread.md"));
        let events = lock(&events);
        assert!(events.first().is_some_and(|s| s.running));
        assert!(events.last().is_some_and(|s| !s.running));
    }

    #[test]
    fn a_missing_folder_is_reported_not_panicked() {
        let data = tempfile::tempdir().unwrap();
        let host = Arc::new(Host::open(data.path(), &[]).unwrap());
        let ix = Indexer::new(Arc::new(|_: &IndexingState| {}));
        ix.start(host, vec![data.path().join("nope")]).unwrap();
        let st = wait_idle(&ix);
        assert_eq!(
            st.last_error.map(|e| e.code),
            Some("missing_folder".to_string())
        );
    }
}
