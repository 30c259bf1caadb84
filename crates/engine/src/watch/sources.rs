//! Where changes come from: the OS watcher, or polling where the OS will not
//! watch. Both only queue paths; the indexing thread does the rest.

use super::events::{Action, Scope};
use super::worker::Worker;
use super::{PollingRoot, WatchEvent};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The OS watcher (dropping it removes the watches) and the folders polled
/// instead. Polling re-examines the folder against the catalog (crawl +
/// compare), not against a poller's own snapshot: a change the poller never
/// saw (made between its first scan and a rescan) would otherwise stay wrong.
pub(super) struct Watches {
    pub(super) native: Option<RecommendedWatcher>,
    pub(super) polled: Vec<PathBuf>,
    /// When the polled roots are next rescanned; None while that rescan is
    /// queued or running, so the interval counts from the end of the last
    /// one and a slow rescan never runs back to back with the next.
    pub(super) next_poll: Option<Instant>,
}

impl Worker {
    /// Watching comes first, so nothing changed during the reconcile is
    /// missed. Folders the OS will not watch are polled instead.
    pub(super) fn watch_roots(&self) -> Watches {
        let mut w = Watches {
            native: None,
            polled: Vec::new(),
            next_poll: Some(Instant::now() + self.opts.poll_interval),
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
    pub(super) fn poll_root(&self, w: &mut Watches, root: &Path, reason: &str) {
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
}
