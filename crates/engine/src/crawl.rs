//! Walks the configured folders: honours ignore files and exclusions, skips
//! hidden and system folders, never follows symlink loops.

use crate::options::CrawlOptions;
use crate::{Error, Result};
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};

/// A file the crawler found, with the stat data the catalog compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// What the walk could not read, kept so the summary can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlProblem {
    /// The path, when known.
    pub path: Option<PathBuf>,
    /// What went wrong.
    pub reason: String,
}

/// Folders never worth indexing, whatever the ignore files say.
const SYSTEM_DIRS: &[&str] = &[
    "node_modules",
    "__pycache__",
    "$RECYCLE.BIN",
    "System Volume Information",
    "lost+found",
    ".Trash",
    ".Trash-1000",
];

/// Lists every indexable file under `root`.
pub fn crawl(
    root: &Path,
    opts: &CrawlOptions,
    mut on_file: impl FnMut(FoundFile),
) -> Result<Vec<CrawlProblem>> {
    if !root.is_dir() {
        return Err(Error::MissingFolder(root.to_path_buf()));
    }
    let mut overrides = OverrideBuilder::new(root);
    for pat in &opts.exclude {
        // Override globs whitelist by default; a leading '!' makes them exclude.
        overrides
            .add(&format!("!{pat}"))
            .map_err(|e| Error::Input(format!("bad exclusion pattern {pat:?}: {e}")))?;
    }
    let overrides = overrides
        .build()
        .map_err(|e| Error::Input(format!("bad exclusion patterns: {e}")))?;
    let walker = WalkBuilder::new(root)
        .hidden(!opts.include_hidden)
        .git_ignore(opts.respect_ignore_files)
        .git_global(false)
        .git_exclude(opts.respect_ignore_files)
        .ignore(opts.respect_ignore_files)
        .parents(opts.respect_ignore_files)
        .require_git(false)
        .add_custom_ignore_filename(".crumbignore")
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SYSTEM_DIRS.contains(&n)))
        })
        .build();
    let mut problems = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                problems.push(CrawlProblem {
                    path: error_path(&err),
                    reason: err.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        match entry.metadata() {
            Ok(md) => on_file(FoundFile {
                path: entry.path().to_path_buf(),
                size: md.len(),
                mtime_ns: mtime_ns(&md),
            }),
            Err(err) => problems.push(CrawlProblem {
                path: Some(entry.path().to_path_buf()),
                reason: err.to_string(),
            }),
        }
    }
    Ok(problems)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// Modification time in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// Whether `path` would be excluded by the hidden-file and system-folder rules
/// relative to `root` (the watcher uses this for single paths).
pub fn is_excluded(root: &Path, path: &Path, opts: &CrawlOptions) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return true;
    };
    rel.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        (!opts.include_hidden && name.starts_with('.')) || SYSTEM_DIRS.contains(&name.as_ref())
    })
}
