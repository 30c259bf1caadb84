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
    on_file: impl FnMut(FoundFile),
) -> Result<Vec<CrawlProblem>> {
    crawl_dir(root, root, None, opts, on_file)
}

/// Lists indexable files under `dir`, a folder inside the indexed `root`
/// (whose exclusions and ignore files apply), down to `max_depth`.
pub fn crawl_dir(
    root: &Path,
    dir: &Path,
    max_depth: Option<usize>,
    opts: &CrawlOptions,
    mut on_file: impl FnMut(FoundFile),
) -> Result<Vec<CrawlProblem>> {
    if !dir.is_dir() {
        return Err(Error::MissingFolder(dir.to_path_buf()));
    }
    if dir != root && is_ignored(root, dir, opts) {
        return Ok(Vec::new());
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
    let walker = WalkBuilder::new(dir)
        .max_depth(max_depth)
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
        if !entry.file_type().is_some_and(|t| t.is_file()) || is_temporary(entry.path()) {
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

/// Whether `path` names an editor, office or download temporary or lock file
/// (`~$x.docx`, `x.swp`, `x.part`, `#x#`, `.~lock.x#`, vim's `4913`…). These
/// come and go within seconds and are never indexed; the crawl and the
/// watcher both ask here so that a full index and a watched one agree.
pub fn is_temporary(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    const SUFFIXES: &[&str] = &[
        ".swp",
        ".swx",
        ".swo",
        ".part",
        ".partial",
        ".crdownload",
        ".download",
        ".tmp",
        ".temp",
        ".kate-swp",
        ".crswap",
        "~",
    ];
    name.starts_with("~$")
        || (name.starts_with(".~lock.") && name.ends_with('#'))
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".goutputstream-")
        || name == "4913"
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
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

/// Whether the folder `dir` inside `root` (or any folder between them) is
/// excluded: hidden or system names, exclusion globs, or an ignore file in an
/// ancestor. A walk started at `dir` cannot tell, since a walker never applies
/// rules to its own starting point.
pub fn is_ignored(root: &Path, dir: &Path, opts: &CrawlOptions) -> bool {
    if is_excluded(root, dir, opts) {
        return true;
    }
    let Ok(rel) = dir.strip_prefix(root) else {
        return true;
    };
    let mut overrides = OverrideBuilder::new(root);
    for pat in &opts.exclude {
        let _ = overrides.add(&format!("!{pat}"));
    }
    let overrides = overrides.build().ok();
    // Each folder from the root down to `dir`.
    let mut current = root.to_path_buf();
    let mut chain = Vec::new();
    for c in rel.components() {
        current.push(c);
        chain.push(current.clone());
    }
    for (i, folder) in chain.iter().enumerate() {
        if let Some(o) = &overrides {
            if o.matched(folder, true).is_ignore() {
                return true;
            }
        }
        if !opts.respect_ignore_files {
            continue;
        }
        // Ignore files in the root and in every folder above this one.
        let parents = std::iter::once(root).chain(chain[..i].iter().map(PathBuf::as_path));
        for parent in parents {
            for name in [".gitignore", ".ignore", ".crumbignore"] {
                let file = parent.join(name);
                if !file.is_file() {
                    continue;
                }
                let mut b = ignore::gitignore::GitignoreBuilder::new(parent);
                if b.add(&file).is_some() {
                    continue;
                }
                if let Ok(gi) = b.build() {
                    if gi.matched(folder, true).is_ignore() {
                        return true;
                    }
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::is_temporary;
    use std::path::Path;

    #[test]
    fn temporary_and_lock_files_are_recognised() {
        for name in [
            "~$report.docx",
            ".notes.txt.swp",
            "a.swx",
            "movie.mkv.part",
            "setup.exe.crdownload",
            "x.TMP",
            "#draft.org#",
            ".~lock.budget.ods#",
            "4913",
            "notes.txt~",
        ] {
            assert!(is_temporary(Path::new(name)), "{name}");
        }
        for name in [
            "report.docx",
            "#",
            "tmp.txt",
            "part.md",
            "49130",
            "lock.txt",
        ] {
            assert!(!is_temporary(Path::new(name)), "{name}");
        }
    }
}
