//! From raw `notify` events to what the indexer must do. Kept free of I/O so
//! the rules can be unit-tested on hand-built events.

use crate::crawl::{is_excluded, is_temporary};
use crate::options::CrawlOptions;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::ErrorKind;
use std::path::{Path, PathBuf};

/// What one event (or watcher error) asks of the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing: reads, temporary files, hidden or excluded paths.
    Ignore,
    /// Re-examine these paths (each paired with its root).
    Paths(Vec<(PathBuf, PathBuf)>),
    /// Events were lost: re-examine these folders in full.
    Rescan(Vec<PathBuf>),
    /// The OS watch limit was hit under these roots: poll them instead.
    Poll(Vec<PathBuf>, String),
}

/// What the classifier needs to know about the index.
pub(crate) struct Scope<'a> {
    /// Canonical indexed roots.
    pub roots: &'a [PathBuf],
    /// Crawl rules (hidden files, system folders).
    pub crawl: &'a CrawlOptions,
    /// The data dir: its own writes must never feed back into indexing.
    pub data_dir: &'a Path,
}

impl Scope<'_> {
    fn root_of(&self, path: &Path) -> Option<&PathBuf> {
        // The longest root wins when roots nest.
        self.roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
    }

    /// Roots touched by `paths`, or all roots when the paths say nothing.
    fn roots_for(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = paths
            .iter()
            .filter_map(|p| self.root_of(p).cloned())
            .collect();
        if out.is_empty() {
            out = self.roots.to_vec();
        }
        out.sort();
        out.dedup();
        out
    }

    /// What to rescan when events were lost: the folders named (FSEvents
    /// names the subtree to rescan), else every root the event touches.
    fn folders_for(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let dirs: Vec<PathBuf> = paths
            .iter()
            .filter(|p| self.root_of(p).is_some())
            .cloned()
            .collect();
        if dirs.is_empty() {
            self.roots_for(paths)
        } else {
            dirs
        }
    }

    /// Classifies one event from a watcher.
    pub(crate) fn classify(&self, event: &notify::Result<notify::Event>) -> Action {
        let event = match event {
            Ok(e) => e,
            Err(err) => {
                let roots = self.roots_for(&err.paths);
                return match err.kind {
                    ErrorKind::MaxFilesWatch => Action::Poll(
                        roots,
                        "the system limit on watched folders (inotify max_user_watches) was reached".into(),
                    ),
                    // Anything else from a watcher may have cost events.
                    _ => {
                        tracing::warn!(target: "watch", error = %err, "watcher error; rescanning");
                        Action::Rescan(self.folders_for(&err.paths))
                    }
                };
            }
        };
        if event.need_rescan() {
            // inotify's queue overflowed (IN_Q_OVERFLOW) or the OS said so:
            // the events say nothing reliable about which paths changed.
            return Action::Rescan(self.folders_for(&event.paths));
        }
        match event.kind {
            // Our own reads (open, close-without-write) must not loop back.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
            EventKind::Access(_) => return Action::Ignore,
            _ => {}
        }
        let paths: Vec<(PathBuf, PathBuf)> = event
            .paths
            .iter()
            .filter(|p| self.wanted(p))
            .filter_map(|p| self.root_of(p).map(|r| (p.clone(), r.clone())))
            .collect();
        if paths.is_empty() {
            Action::Ignore
        } else {
            Action::Paths(paths)
        }
    }

    /// Whether a changed path can matter to the index. Ignore files and
    /// exclusion globs are left to `apply_changes`, which applies them as
    /// the crawl does; this only drops the cheap, high-volume noise.
    fn wanted(&self, path: &Path) -> bool {
        if path.starts_with(self.data_dir) || is_temporary(path) {
            return false;
        }
        match self.root_of(path) {
            Some(root) => path == root.as_path() || !is_excluded(root, path, self.crawl),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, Flag, ModifyKind, RenameMode};
    use notify::Event;

    fn scope_test(f: impl FnOnce(&Scope)) {
        let roots = vec![PathBuf::from("/r")];
        let crawl = CrawlOptions::default();
        f(&Scope {
            roots: &roots,
            crawl: &crawl,
            data_dir: Path::new("/r/.crumb-data"),
        })
    }

    fn ev(kind: EventKind, paths: &[&str]) -> notify::Result<Event> {
        let mut e = Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        Ok(e)
    }

    #[test]
    fn changes_under_roots_become_paths() {
        scope_test(|s| {
            let rename = ev(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/r/a.txt.tmp", "/r/a.txt"],
            );
            assert_eq!(
                s.classify(&rename),
                Action::Paths(vec![("/r/a.txt".into(), "/r".into())])
            );
            let write = ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &["/r/d/b.md"],
            );
            assert!(matches!(s.classify(&write), Action::Paths(_)));
        });
    }

    #[test]
    fn noise_is_ignored() {
        scope_test(|s| {
            for (kind, path) in [
                (
                    EventKind::Access(AccessKind::Open(AccessMode::Any)),
                    "/r/a.txt",
                ),
                (EventKind::Create(CreateKind::File), "/r/.git/index.lock"),
                (EventKind::Create(CreateKind::File), "/r/~$budget.xlsx"),
                (
                    EventKind::Create(CreateKind::File),
                    "/r/.crumb-data/catalog.sqlite-wal",
                ),
                (EventKind::Create(CreateKind::File), "/elsewhere/a.txt"),
                (
                    EventKind::Create(CreateKind::File),
                    "/r/node_modules/x/index.js",
                ),
            ] {
                assert_eq!(s.classify(&ev(kind, &[path])), Action::Ignore, "{path}");
            }
        });
    }

    #[test]
    fn lost_events_and_limits_are_never_silent() {
        scope_test(|s| {
            let overflow = Ok(Event::new(EventKind::Other).set_flag(Flag::Rescan));
            assert_eq!(s.classify(&overflow), Action::Rescan(vec!["/r".into()]));
            let limit =
                Err(notify::Error::new(ErrorKind::MaxFilesWatch).add_path("/r/deep".into()));
            assert!(
                matches!(s.classify(&limit), Action::Poll(r, _) if r == vec![PathBuf::from("/r")])
            );
            let io = Err(notify::Error::generic("boom"));
            assert_eq!(s.classify(&io), Action::Rescan(vec!["/r".into()]));
            let subtree = Ok(Event::new(EventKind::Other)
                .set_flag(Flag::Rescan)
                .add_path("/r/deep".into()));
            assert_eq!(s.classify(&subtree), Action::Rescan(vec!["/r/deep".into()]));
        });
    }
}
