//! The pending-changes queue between the OS watchers and the indexing thread.
//!
//! Events only mark paths dirty; the indexer later re-examines each path as it
//! is *then* on disk, so ten events on one file cost one update and the order
//! of events never matters. The set is bounded: past `cap` paths it collapses
//! into a rescan of the affected roots, which `apply_changes` treats as folders
//! (crawl + compare), so an overflow costs time but never loses a change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Dirty paths and folders waiting for the indexer.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Dirty path → the indexed root holding it.
    paths: BTreeMap<PathBuf, PathBuf>,
    rescans: BTreeSet<PathBuf>,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
    cap: usize,
    /// Times the queue overflowed into a rescan.
    pub(crate) overflows: u64,
}

impl Pending {
    /// An empty queue holding at most `cap` individual paths.
    pub(crate) fn new(cap: usize) -> Self {
        Pending {
            paths: BTreeMap::new(),
            rescans: BTreeSet::new(),
            first_at: None,
            last_at: None,
            cap: cap.max(1),
            overflows: 0,
        }
    }

    fn touch(&mut self, now: Instant) {
        self.first_at.get_or_insert(now);
        self.last_at = Some(now);
    }

    /// Marks `path` dirty. `root` is the indexed folder holding it, rescanned
    /// instead should the queue overflow.
    pub(crate) fn push(&mut self, path: PathBuf, root: &Path, now: Instant) {
        self.touch(now);
        if self.rescans.iter().any(|r| path.starts_with(r)) {
            return; // a rescan of an enclosing folder will see it
        }
        if self.paths.len() >= self.cap && !self.paths.contains_key(&path) {
            tracing::warn!(target: "watch", cap = self.cap, "too many pending changes; rescanning the affected folders instead");
            self.overflows += 1;
            let roots: BTreeSet<PathBuf> = std::mem::take(&mut self.paths)
                .into_values()
                .chain(std::iter::once(root.to_path_buf()))
                .collect();
            for r in roots {
                self.push_rescan(r, now);
            }
            return;
        }
        self.paths.insert(path, root.to_path_buf());
    }

    /// Asks for a full re-examination of `folder` (a lost-events signal, a
    /// switch to polling, an overflow).
    pub(crate) fn push_rescan(&mut self, folder: PathBuf, now: Instant) {
        self.touch(now);
        self.paths.retain(|p, _| !p.starts_with(&folder));
        self.rescans.retain(|r| !r.starts_with(&folder));
        if !self.rescans.iter().any(|r| folder.starts_with(r)) {
            self.rescans.insert(folder);
        }
    }

    /// Paths and folders waiting.
    pub(crate) fn len(&self) -> usize {
        self.paths.len() + self.rescans.len()
    }

    /// Folders waiting for a rescan.
    pub(crate) fn rescans(&self) -> usize {
        self.rescans.len()
    }

    /// Whether a batch should be taken now: the events went quiet for
    /// `quiet`, or the oldest has waited `max_wait` (a steady stream of
    /// events must not starve the index).
    pub(crate) fn ready(&self, now: Instant, quiet: Duration, max_wait: Duration) -> bool {
        match (self.first_at, self.last_at) {
            (Some(first), Some(last)) if self.len() > 0 => {
                now.duration_since(last) >= quiet || now.duration_since(first) >= max_wait
            }
            _ => false,
        }
    }

    /// How long until [`Pending::ready`] can turn true, for the indexer's wait.
    pub(crate) fn wait_hint(&self, now: Instant, quiet: Duration, max_wait: Duration) -> Duration {
        match (self.first_at, self.last_at) {
            (Some(first), Some(last)) if self.len() > 0 => {
                let a = (last + quiet).saturating_duration_since(now);
                let b = (first + max_wait).saturating_duration_since(now);
                a.min(b).max(Duration::from_millis(5))
            }
            _ => Duration::from_secs(3600),
        }
    }

    /// Takes up to `max` entries: rescans first (they subsume paths), then
    /// paths in order. Whatever is left keeps its place for the next batch.
    pub(crate) fn take(&mut self, max: usize) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        while out.len() < max {
            let Some(r) = self.rescans.pop_first() else {
                break;
            };
            out.push(r);
        }
        while out.len() < max {
            let Some((p, _)) = self.paths.pop_first() else {
                break;
            };
            out.push(p);
        }
        if self.len() == 0 {
            self.first_at = None;
            self.last_at = None;
        } else {
            // What is left is due at once.
            self.first_at = Some(Instant::now() - Duration::from_secs(3600));
        }
        out
    }

    /// Puts paths back (a batch interrupted by a pause, or files written too
    /// recently to trust their mtime). `roots` maps each to its root.
    pub(crate) fn requeue(&mut self, paths: Vec<PathBuf>, roots: &[PathBuf], now: Instant) {
        for p in paths {
            match roots.iter().find(|r| p.starts_with(r)) {
                Some(r) => {
                    let r = r.clone();
                    self.push(p, &r, now)
                }
                None => self.push_rescan(p, now),
            }
        }
    }
}

/// Drops paths below a folder that is itself in the batch and still a
/// folder: re-examining the folder covers them, and listing a file twice
/// would index it twice.
pub(crate) fn coalesce(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths.dedup();
    let mut out: Vec<PathBuf> = Vec::with_capacity(paths.len());
    let mut dir: Option<PathBuf> = None;
    for p in paths {
        if let Some(d) = &dir {
            if p.starts_with(d) {
                continue;
            }
        }
        dir = p.is_dir().then(|| p.clone());
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_coalesce_and_overflow_into_a_rescan() {
        let now = Instant::now();
        let root = Path::new("/r");
        let mut q = Pending::new(3);
        for _ in 0..5 {
            q.push("/r/a".into(), root, now);
        }
        assert_eq!(q.len(), 1);
        q.push("/r/b".into(), root, now);
        q.push("/r/c".into(), root, now);
        q.push("/r/c".into(), root, now);
        assert_eq!(q.overflows, 0, "a path already pending takes no room");
        q.push("/r/d".into(), root, now);
        assert_eq!(q.overflows, 1);
        assert_eq!(q.take(10), vec![PathBuf::from("/r")]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn a_rescan_subsumes_paths_below_it() {
        let now = Instant::now();
        let mut q = Pending::new(100);
        q.push("/r/x/1".into(), Path::new("/r"), now);
        q.push("/r/y".into(), Path::new("/r"), now);
        q.push_rescan("/r/x".into(), now);
        q.push("/r/x/2".into(), Path::new("/r"), now);
        assert_eq!(
            q.take(10),
            vec![PathBuf::from("/r/x"), PathBuf::from("/r/y")]
        );
    }

    #[test]
    fn ready_after_quiet_or_max_wait() {
        let t = Instant::now();
        let mut q = Pending::new(10);
        let (quiet, max) = (Duration::from_millis(100), Duration::from_millis(500));
        assert!(!q.ready(t, quiet, max));
        q.push("/r/a".into(), Path::new("/r"), t);
        assert!(!q.ready(t + Duration::from_millis(50), quiet, max));
        assert!(q.ready(t + Duration::from_millis(100), quiet, max));
        q.push(
            "/r/b".into(),
            Path::new("/r"),
            t + Duration::from_millis(450),
        );
        assert!(q.ready(t + Duration::from_millis(500), quiet, max));
    }

    #[test]
    fn coalesce_keeps_files_under_a_path_that_is_not_a_folder() {
        let tmp = std::env::temp_dir().join(format!("crumb-coalesce-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("d")).unwrap();
        let out = coalesce(vec![
            tmp.join("d/f"),
            tmp.join("d"),
            tmp.join("gone"),
            tmp.join("gone/f"),
            tmp.join("d"),
        ]);
        assert_eq!(
            out,
            vec![tmp.join("d"), tmp.join("gone"), tmp.join("gone/f")]
        );
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
