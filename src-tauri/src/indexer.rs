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
    notify: Notify,
}

impl Indexer {
    /// An idle indexer that reports through `notify`.
    pub fn new(notify: Notify) -> Indexer {
        Indexer {
            state: Arc::new(Mutex::new(IndexingState::default())),
            cancel: Mutex::new(CancelFlag::new()),
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
        std::thread::Builder::new()
            .name("crumb-index".into())
            .spawn(move || run(host, roots, cancel, state, notify))?;
        Ok(())
    }

    /// Asks the running job to stop after its current batch.
    pub fn pause(&self) {
        let st = lock(&self.state);
        if st.running {
            lock(&self.cancel).cancel();
        }
    }
}

fn run(host: Arc<Host>, roots: Vec<PathBuf>, cancel: CancelFlag, state: Arc<Mutex<IndexingState>>, notify: Notify) {
    let _span = tracing::info_span!(target: "app::index", "index", roots = roots.len()).entered();
    let last_sent = Mutex::new(Instant::now() - EVENT_INTERVAL);
    let progress = |step: &IndexingStep| {
        let mut st = lock(&state);
        let same_kind = st.step.as_ref().map(std::mem::discriminant) == Some(std::mem::discriminant(step));
        st.step = Some(step.clone());
        let mut last = lock(&last_sent);
        if !same_kind || last.elapsed() >= EVENT_INTERVAL {
            *last = Instant::now();
            notify(&st);
        }
    };
    let engine = host.engine();
    let result = engine.index(&roots, &progress, &cancel);
    let mut st = lock(&state);
    st.running = false;
    match result {
        Ok(report) => {
            tracing::info!(target: "app::index", seconds = report.seconds, "indexing finished");
            st.paused = false;
            st.step = Some(IndexingStep::Done);
            st.last_error = None;
        }
        Err(crumb_engine::Error::Cancelled) => st.paused = true,
        Err(e) => {
            tracing::warn!(target: "app::index", error = %e, "indexing failed");
            st.last_error = Some(e.to_wire());
        }
    }
    notify(&st);
}

/// Locks, recovering from a panic in another holder: indexing state is plain
/// data, so the last written value is still meaningful.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
