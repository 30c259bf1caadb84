//! The folders that hold indexed files, for a folder filter built from what
//! is indexed: every folder between an indexed root and its files, not only
//! the roots.

use crate::engine::Engine;
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// A folder that holds indexed files, directly or below it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndexedFolder {
    /// Absolute path.
    pub path: String,
    /// Indexed files at or below it.
    pub files: u64,
}

impl Engine {
    /// Folders holding indexed files, from each root down, in path order;
    /// at most `limit` of them (the shallowest first when there are more).
    pub fn indexed_folders(&self, limit: usize) -> Result<Vec<IndexedFolder>> {
        let cat = self.reader()?;
        let roots = cat.roots()?;
        let mut st = cat
            .conn()
            .prepare_cached("SELECT path FROM files WHERE status = 'indexed'")?;
        let paths = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        drop(st);
        drop(cat);
        Ok(folders_of(&roots, paths.iter().map(String::as_str), limit))
    }
}

/// Each folder from a file's root down to the file's own folder, with how
/// many files it holds.
fn folders_of<'a>(
    roots: &[String],
    files: impl Iterator<Item = &'a str>,
    limit: usize,
) -> Vec<IndexedFolder> {
    let mut counts: BTreeMap<&'a str, u64> = BTreeMap::new();
    for file in files {
        let Some(root) = roots
            .iter()
            .filter(|r| Path::new(file).starts_with(Path::new(r.as_str())))
            .max_by_key(|r| r.len())
        else {
            continue;
        };
        let mut dir = Path::new(file).parent();
        while let Some(d) = dir {
            let Some(s) = d.to_str() else { break };
            *counts.entry(s).or_default() += 1;
            if !d.starts_with(Path::new(root.as_str())) || s.len() <= root.len() {
                break;
            }
            dir = d.parent();
        }
    }
    let mut out: Vec<IndexedFolder> = counts
        .into_iter()
        .map(|(p, n)| IndexedFolder {
            path: p.to_string(),
            files: n,
        })
        .collect();
    if out.len() > limit {
        // Keep the shallowest folders, then show them in path order.
        out.sort_by_key(|f| (Path::new(&f.path).components().count(), f.path.clone()));
        out.truncate(limit);
        out.sort_by(|a, b| a.path.cmp(&b.path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subfolders_are_listed_with_their_counts_and_nothing_above_the_root() {
        let roots = vec!["/home/u/docs".to_string()];
        let files = [
            "/home/u/docs/a.txt",
            "/home/u/docs/tax/2023/return.pdf",
            "/home/u/docs/tax/2024/return.pdf",
            "/home/u/docs/garden/plan.md",
        ];
        let got: Vec<(String, u64)> = folders_of(&roots, files.into_iter(), 100)
            .into_iter()
            .map(|f| (f.path, f.files))
            .collect();
        assert_eq!(
            got,
            [
                ("/home/u/docs".to_string(), 4),
                ("/home/u/docs/garden".to_string(), 1),
                ("/home/u/docs/tax".to_string(), 2),
                ("/home/u/docs/tax/2023".to_string(), 1),
                ("/home/u/docs/tax/2024".to_string(), 1),
            ]
        );
        let top: Vec<String> = folders_of(&roots, files.into_iter(), 3)
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(
            top,
            ["/home/u/docs", "/home/u/docs/garden", "/home/u/docs/tax"]
        );
    }
}
