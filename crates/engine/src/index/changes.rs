//! `Engine::apply_changes`: bring specific paths up to date, for the file
//! watcher. A path may be a new, changed or deleted file or folder.

use crate::crawl::{crawl_dir, FoundFile};
use crate::engine::Engine;
use crate::index::{self, IndexReport};
use crate::progress::{CancelFlag, Progress};
use crate::{Error, Result};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

impl Engine {
    /// Re-examines `paths` (files or folders, existing or gone) under the
    /// indexed roots: indexes what is new or changed, removes what is gone or
    /// now excluded. Paths outside every root are ignored.
    pub fn apply_changes(
        &self,
        paths: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        self.apply_changes_then(paths, progress, cancel, true)
    }

    /// [`apply_changes`](Self::apply_changes), recognising pending pages
    /// and embedding the new passages before returning only when `embed`:
    /// the watcher leaves both to its trailing thread, so keyword search gets
    /// a change first.
    pub fn apply_changes_then(
        &self,
        paths: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
        embed: bool,
    ) -> Result<IndexReport> {
        let started = Instant::now();
        let roots: Vec<PathBuf> = self.roots()?.into_iter().map(PathBuf::from).collect();
        let mut report = IndexReport::default();
        // Per root: files to (re)check, and catalog paths to drop.
        let mut found: BTreeMap<PathBuf, Vec<FoundFile>> = BTreeMap::new();
        let mut gone: Vec<String> = Vec::new();
        let mut files_by_dir: BTreeMap<(PathBuf, PathBuf), Vec<PathBuf>> = BTreeMap::new();
        let unique: HashSet<&PathBuf> = paths.iter().collect();
        for path in unique {
            let Some(root) = roots.iter().find(|r| path.starts_with(r)) else {
                continue;
            };
            match std::fs::symlink_metadata(path) {
                Err(_) => gone.push(path.to_string_lossy().into_owned()),
                Ok(md) if md.is_dir() => {
                    let mut seen = HashSet::new();
                    let list = found.entry(root.clone()).or_default();
                    let problems = match crawl_dir(root, path, None, &self.opts.crawl, |f| {
                        seen.insert(f.path.to_string_lossy().into_owned());
                        list.push(f);
                    }) {
                        Ok(p) => p,
                        // Renamed or deleted since the stat: the watcher
                        // reports that change too; for now it is gone.
                        Err(Error::MissingFolder(_)) => Vec::new(),
                        Err(e) => return Err(e),
                    };
                    report
                        .crawl_problems
                        .extend(problems.into_iter().map(index::Failure::from));
                    for f in self.catalog()?.files_with_prefix(&path.to_string_lossy())? {
                        if !seen.contains(&f.path) {
                            gone.push(f.path);
                        }
                    }
                }
                Ok(md) if md.is_file() => {
                    let dir = path.parent().unwrap_or(root).to_path_buf();
                    files_by_dir
                        .entry((root.clone(), dir))
                        .or_default()
                        .push(path.clone());
                }
                Ok(_) => {} // symlinks, sockets: never indexed
            }
        }
        // Single files: list their folder one level deep, so ignore files,
        // hidden-file rules and exclusions decide exactly as a full crawl would.
        for ((root, dir), files) in files_by_dir {
            let mut listed = BTreeMap::new();
            let listing = crawl_dir(&root, &dir, Some(1), &self.opts.crawl, |f| {
                listed.insert(f.path.clone(), f);
            });
            match listing {
                Ok(_) | Err(Error::MissingFolder(_)) => {} // a vanished folder lists nothing
                Err(e) => return Err(e),
            }
            for file in files {
                match listed.remove(&file) {
                    Some(f) => found.entry(root.clone()).or_default().push(f),
                    None => gone.push(file.to_string_lossy().into_owned()),
                }
            }
        }
        self.remove_paths(&gone, &mut report)?;
        for (root, mut files) in found {
            // A folder and a file inside it, both changed, can list the file
            // twice (the folder appeared after the caller grouped paths).
            files.sort_by(|a, b| a.path.cmp(&b.path));
            files.dedup_by(|a, b| a.path == b.path);
            report.seen += files.len() as u64;
            self.index_found(
                &root.to_string_lossy(),
                files,
                progress,
                cancel,
                &mut report,
            )?;
        }
        if embed {
            // The batch API runs both stages, as `Engine::index` does; the
            // watcher (`embed` false) leaves OCR and vectors to its
            // trailing thread.
            let recognised = self.recognise_pending(progress, cancel)?;
            report.indexed = report.indexed.saturating_sub(recognised.indexed_lost());
            report.absorb_recognised(recognised);
            report.embedded += self.embed_missing(progress, cancel)?;
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Tries every failed file again, even if it has not changed (after an
    /// upgrade that reads a format better, or a file that was locked).
    pub fn retry_failed(
        &self,
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        let paths: Vec<PathBuf> = {
            let cat = self.catalog()?;
            let failed = cat.files_with_status(crate::catalog::FileStatus::Failed)?;
            for f in &failed {
                cat.forget_content(f.id)?;
            }
            failed.into_iter().map(|f| PathBuf::from(f.path)).collect()
        };
        self.apply_changes(&paths, progress, cancel)
    }

    /// Removes catalog entries for paths (files, or folders and all below).
    fn remove_paths(&self, paths: &[String], report: &mut IndexReport) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let mut cat = self.catalog()?;
        let mut ids = Vec::new();
        for p in paths {
            ids.extend(cat.files_with_prefix(p)?.into_iter().map(|f| f.id));
        }
        ids.sort_unstable();
        ids.dedup();
        report.removed += ids.len() as u64;
        self.delete_files(&mut cat, &ids)
    }
}
