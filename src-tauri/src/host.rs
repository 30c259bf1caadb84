//! The engine as the app holds it: one in-process `Engine` behind an `Arc`,
//! plus the two bits of state the window needs around it: which file ids the
//! webview may open, and which search is the newest.

use crate::error::{coded, CmdResult};
use crumb_engine::{Engine, EngineOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Forget served hits beyond this many files; the window only shows a page.
const MAX_REMEMBERED_HITS: usize = 10_000;

/// Owns the engine and the per-window bookkeeping.
pub struct Host {
    engine: RwLock<Arc<Engine>>,
    /// True when another process holds the writer and we opened read-only.
    read_only: bool,
    /// Paths of files the engine returned, by file id. Open and reveal look
    /// paths up here, so the webview can only name files it was shown.
    served: Mutex<HashMap<i64, PathBuf>>,
    /// The newest search sequence number the webview has sent.
    latest_search: AtomicU64,
}

impl Host {
    /// Opens the data dir. If another process (say `crumb watch`) is the
    /// writer, falls back to read-only so search still works.
    pub fn open(data_dir: &Path, exclusions: &[String]) -> anyhow::Result<Host> {
        let opts = engine_options(data_dir, exclusions);
        let (engine, read_only) = match Engine::open(opts.clone()) {
            Ok(e) => (e, false),
            Err(crumb_engine::Error::Busy(_)) => {
                tracing::warn!(target: "app", "index is busy in another process; opening read-only");
                (Engine::open(opts.with_read_only(true))?, true)
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Host {
            engine: RwLock::new(Arc::new(engine)),
            read_only,
            served: Mutex::new(HashMap::new()),
            latest_search: AtomicU64::new(0),
        })
    }

    /// The engine, shared. Cheap; callers hold it for one operation.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether indexing is impossible because another process is the writer.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Records a search sequence number and says whether it is still the
    /// newest. A stale search is skipped before it costs anything.
    pub fn begin_search(&self, seq: u64) -> CmdResult<()> {
        let prev = self.latest_search.fetch_max(seq, Ordering::SeqCst);
        self.check_current(prev, seq)
    }

    /// Errors with `cancelled` when a newer search has started.
    pub fn still_current(&self, seq: u64) -> CmdResult<()> {
        self.check_current(self.latest_search.load(Ordering::SeqCst), seq)
    }

    fn check_current(&self, latest: u64, seq: u64) -> CmdResult<()> {
        if latest > seq {
            Err(coded("cancelled", "a newer search replaced this one"))
        } else {
            Ok(())
        }
    }

    /// Remembers the paths of hits served to the webview.
    pub fn remember<'a>(&self, hits: impl IntoIterator<Item = (i64, &'a str)>) {
        if let Ok(mut m) = self.served.lock() {
            if m.len() > MAX_REMEMBERED_HITS {
                m.clear();
            }
            for (id, path) in hits {
                m.insert(id, PathBuf::from(path));
            }
        }
    }

    /// The path of a file the webview was shown, by id.
    pub fn served_path(&self, file_id: i64) -> CmdResult<PathBuf> {
        self.served
            .lock()
            .ok()
            .and_then(|m| m.get(&file_id).cloned())
            .ok_or_else(|| {
                coded(
                    "unknown_file",
                    format!("no search result has file id {file_id}"),
                )
            })
    }
}

/// Engine options from the app's settings.
pub fn engine_options(data_dir: &Path, exclusions: &[String]) -> EngineOptions {
    let crawl = crumb_engine::CrawlOptions {
        exclude: exclusions.to_vec(),
        ..Default::default()
    };
    EngineOptions::new(data_dir).with_crawl(crawl)
}
