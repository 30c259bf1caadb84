//! File rows: one per file seen, whatever became of it.

use super::Catalog;
use crate::kind::FileKind;
use crate::Result;
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

/// What became of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Text extracted and indexed.
    Indexed,
    /// Extraction failed; `reason` says why.
    Failed,
    /// Deliberately not indexed (too large, unsupported type); `reason` says why.
    Skipped,
}

impl FileStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FileStatus::Indexed => "indexed",
            FileStatus::Failed => "failed",
            FileStatus::Skipped => "skipped",
        }
    }
    fn parse(s: &str) -> FileStatus {
        match s {
            "indexed" => FileStatus::Indexed,
            "skipped" => FileStatus::Skipped,
            _ => FileStatus::Failed,
        }
    }
}

/// A file row as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    /// Catalog id; stable while the file keeps its path.
    pub id: i64,
    /// Absolute path.
    pub path: String,
    /// The indexed folder it was found under.
    pub root: String,
    /// Document kind.
    pub kind: FileKind,
    /// Size in bytes when indexed.
    pub size: u64,
    /// Modification time (ns since epoch) when indexed.
    pub mtime_ns: i64,
    /// blake3 of the content, when read.
    pub hash: Option<String>,
    /// Outcome.
    pub status: FileStatus,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// Document title, if any.
    pub title: Option<String>,
}

/// A file row to write.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// Absolute path.
    pub path: &'a str,
    /// Indexed folder.
    pub root: &'a str,
    /// Kind.
    pub kind: FileKind,
    /// Size.
    pub size: u64,
    /// Modification time.
    pub mtime_ns: i64,
    /// Content hash.
    pub hash: Option<&'a str>,
    /// Outcome.
    pub status: FileStatus,
    /// Reason for failure or skip.
    pub reason: Option<&'a str>,
    /// Title.
    pub title: Option<&'a str>,
}

const COLUMNS: &str = "id, path, root, kind, size, mtime_ns, hash, status, reason, title";

fn from_row(r: &Row<'_>) -> rusqlite::Result<FileRecord> {
    let kind: String = r.get(3)?;
    let status: String = r.get(7)?;
    Ok(FileRecord {
        id: r.get(0)?,
        path: r.get(1)?,
        root: r.get(2)?,
        kind: FileKind::parse(&kind).unwrap_or(FileKind::Other),
        size: r.get::<_, i64>(4)? as u64,
        mtime_ns: r.get(5)?,
        hash: r.get(6)?,
        status: FileStatus::parse(&status),
        reason: r.get(8)?,
        title: r.get(9)?,
    })
}

/// Inserts or replaces the row for `f.path`, keeping its id, and marks it as
/// not yet mirrored in the lexical index. Returns the id.
pub(crate) fn upsert_file(tx: &rusqlite::Transaction<'_>, f: &NewFile<'_>) -> Result<i64> {
    let now = crate::time::now_ns();
    let id = tx.query_row(
        "INSERT INTO files(path, root, kind, size, mtime_ns, hash, status, reason, title, indexed_ns, lexical_synced)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)
         ON CONFLICT(path) DO UPDATE SET root = excluded.root, kind = excluded.kind,
           size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash,
           status = excluded.status, reason = excluded.reason, title = excluded.title,
           indexed_ns = excluded.indexed_ns, lexical_synced = 0
         RETURNING id",
        params![
            f.path,
            f.root,
            f.kind.as_str(),
            f.size as i64,
            f.mtime_ns,
            f.hash,
            f.status.as_str(),
            f.reason,
            f.title,
            now
        ],
        |r| r.get(0),
    )?;
    Ok(id)
}

impl Catalog {
    /// The row for a path.
    pub fn file_by_path(&self, path: &str) -> Result<Option<FileRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM files WHERE path = ?1"),
                [path],
                from_row,
            )
            .optional()?)
    }

    /// The row for an id.
    pub fn file_by_id(&self, id: i64) -> Result<Option<FileRecord>> {
        // Cached: a search looks up each file it shows, and compiling the
        // statement every time was a tenth of a keyword search.
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM files WHERE id = ?1"))?;
        Ok(st.query_row([id], from_row).optional()?)
    }

    /// Every file under an indexed root.
    pub fn files_under_root(&self, root: &str) -> Result<Vec<FileRecord>> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM files WHERE root = ?1"))?;
        let rows = st.query_map([root], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every file whose path is `prefix` or lies below it (folder deletes and renames).
    ///
    /// A range on the unique index over `path`, so a watcher batch costs what
    /// the folder holds, not a scan of every file: the paths below `dir/`
    /// are exactly those `>= "dir/"` and `< "dir0"` ('0' follows '/' in
    /// byte order, which is SQLite's default collation).
    pub fn files_with_prefix(&self, prefix: &str) -> Result<Vec<FileRecord>> {
        let base = prefix.trim_end_matches('/');
        let (lo, hi) = (format!("{base}/"), format!("{base}0"));
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM files WHERE path = ?1
             UNION ALL
             SELECT {COLUMNS} FROM files WHERE path >= ?2 AND path < ?3"
        ))?;
        let rows = st.query_map([prefix, lo.as_str(), hi.as_str()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Files with a given status, for `crumb status --failed`.
    pub fn files_with_status(&self, status: FileStatus) -> Result<Vec<FileRecord>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM files WHERE status = ?1 ORDER BY path"
        ))?;
        let rows = st.query_map([status.as_str()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Updates only the stat data of an unchanged file (touched, same content).
    pub fn touch_file(&self, id: i64, mtime_ns: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE files SET mtime_ns = ?2 WHERE id = ?1",
            params![id, mtime_ns],
        )?;
        Ok(())
    }

    /// Forgets what is known of a file's content so the next pass re-reads it.
    pub fn forget_content(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE files SET size = -1, mtime_ns = -1, hash = NULL WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Deletes files (and, by cascade, their passages and vectors), recording
    /// them for removal from the lexical index in the same transaction.
    pub fn delete_files(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "INSERT OR IGNORE INTO lexical_deletes(file_id) VALUES (?1)",
                [id],
            )?;
            tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Counts per (kind, status).
    pub fn counts_by_kind(&self) -> Result<Vec<(FileKind, FileStatus, u64)>> {
        let mut st = self
            .conn
            .prepare("SELECT kind, status, COUNT(*) FROM files GROUP BY kind, status")?;
        let rows = st.query_map([], |r| {
            let k: String = r.get(0)?;
            let s: String = r.get(1)?;
            Ok((
                FileKind::parse(&k).unwrap_or(FileKind::Other),
                FileStatus::parse(&s),
                r.get::<_, i64>(2)? as u64,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records an indexed root folder.
    pub fn add_root(&self, root: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO roots(path, added_ns) VALUES (?1, ?2)",
            params![root, crate::time::now_ns()],
        )?;
        Ok(())
    }

    /// Forgets a root folder. Its files are deleted first, through
    /// [`Catalog::delete_files`], so the lexical index learns of them too.
    pub fn remove_root(&mut self, root: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM roots WHERE path = ?1", [root])?;
        Ok(())
    }

    /// Indexed roots.
    pub fn roots(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT path FROM roots ORDER BY path")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_finds_the_folder_and_what_is_below_it_not_its_siblings() {
        let dir = tempfile::tempdir().unwrap();
        let cat = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        for p in [
            "/d/a",
            "/d/a/x.txt",
            "/d/a/sub/y.txt",
            "/d/a0",
            "/d/ab/z.txt",
            "/d/a.txt",
        ] {
            cat.conn()
                .execute(
                    "INSERT INTO files(path, root, kind, size, mtime_ns, status, indexed_ns)
                     VALUES (?1, '/d', 'text', 1, 1, 'indexed', 1)",
                    [p],
                )
                .unwrap();
        }
        let mut got: Vec<String> = cat
            .files_with_prefix("/d/a")
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect();
        got.sort();
        assert_eq!(got, ["/d/a", "/d/a/sub/y.txt", "/d/a/x.txt"]);
        assert_eq!(cat.files_with_prefix("/d/a/").unwrap().len(), 2);
        // The lookup is a range on the path index, not a scan.
        let plan: String = cat
            .conn()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM files WHERE path >= '/d/a/' AND path < '/d/a0'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("USING"), "{plan}");
    }
}
