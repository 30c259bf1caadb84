//! The second indexing stage's queue: pages waiting for text recognition
//! (table `ocr_pending`, schema v3), and the write that adds what was
//! recognised to a file already indexed by its text and name.

use super::files::FileStatus;
use super::Catalog;
use crate::chunk::Passage;
use crate::Result;
use rusqlite::{params, OptionalExtension};

/// What the second stage recognised on some pages of one file.
pub struct Recognised<'a> {
    /// The file.
    pub file_id: i64,
    /// The content hash the pages were read from: a file changed since is
    /// left alone (its re-index records its pages afresh).
    pub hash: &'a str,
    /// The recognised passages, located at their pages.
    pub passages: &'a [Passage],
    /// Pages now done (read, or given up on).
    pub done: &'a [u32],
    /// The file's status and reason should it end with no text at all.
    pub if_empty: (FileStatus, &'a str),
}

impl Catalog {
    /// Pages waiting for text recognition, in all files. 0 in a catalog
    /// written before the second stage existed, which a read-only open
    /// (`crumb status` beside an older writer) does not migrate.
    pub fn pending_ocr_count(&self) -> Result<u64> {
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ocr_pending')",
            [],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(0);
        }
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM ocr_pending", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// The next file with pages waiting (lowest id first, so files are
    /// finished in the order they were first indexed) and up to `limit` of
    /// its pages, in page order.
    pub fn next_pending_ocr(&self, limit: usize) -> Result<Option<(i64, Vec<u32>)>> {
        let file: Option<i64> = self
            .conn
            .query_row("SELECT MIN(file_id) FROM ocr_pending", [], |r| r.get(0))
            .optional()?
            .flatten();
        let Some(file) = file else {
            return Ok(None);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT page FROM ocr_pending WHERE file_id = ?1 ORDER BY page LIMIT ?2",
        )?;
        let pages = st
            .query_map(params![file, limit as i64], |r| r.get::<_, i64>(0))?
            .map(|p| p.map(|p| p.clamp(0, u32::MAX as i64) as u32))
            .collect::<rusqlite::Result<Vec<u32>>>()?;
        Ok(Some((file, pages)))
    }

    /// Forgets a file's waiting pages (it changed, or is gone).
    pub fn drop_pending_ocr(&self, file_id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM ocr_pending WHERE file_id = ?1", [file_id])?;
        Ok(())
    }

    /// Adds recognised passages to a file after its existing ones, marks
    /// their pages done and the file unsynced (the caller mirrors it into
    /// the lexical index next, as the first stage does), all in one
    /// transaction. False, with nothing written, when the file changed or
    /// went away since its pages were read.
    pub fn add_recognised(&mut self, r: &Recognised<'_>) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let current: Option<Option<String>> = tx
            .query_row("SELECT hash FROM files WHERE id = ?1", [r.file_id], |row| {
                row.get(0)
            })
            .optional()?;
        if current.flatten().as_deref() != Some(r.hash) {
            return Ok(false);
        }
        // Recognised text goes after the text layer's passages, in ord and in
        // byte offsets, so passage order and ranges stay unique per file.
        let (next_ord, next_byte): (i64, i64) = tx.query_row(
            "SELECT COALESCE(MAX(ord) + 1, 0), COALESCE(MAX(byte_end) + 1, 0) FROM passages WHERE file_id = ?1",
            [r.file_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO passages(file_id, ord, text, byte_start, byte_end, page, line, label)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (i, p) in r.passages.iter().enumerate() {
                ins.execute(params![
                    r.file_id,
                    next_ord + i as i64,
                    p.text,
                    next_byte + p.byte_start as i64,
                    next_byte + p.byte_end as i64,
                    p.location.page.map(i64::from),
                    p.location.line.map(i64::from),
                    p.location.label
                ])?;
            }
            let mut done =
                tx.prepare_cached("DELETE FROM ocr_pending WHERE file_id = ?1 AND page = ?2")?;
            for page in r.done {
                done.execute(params![r.file_id, i64::from(*page)])?;
            }
        }
        let (passages, waiting): (i64, i64) = tx.query_row(
            "SELECT (SELECT COUNT(*) FROM passages WHERE file_id = ?1),
                    (SELECT COUNT(*) FROM ocr_pending WHERE file_id = ?1)",
            [r.file_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if passages == 0 && waiting == 0 {
            let (status, reason) = r.if_empty;
            tx.execute(
                "UPDATE files SET status = ?2, reason = ?3 WHERE id = ?1",
                params![r.file_id, status.as_str(), reason],
            )?;
        }
        tx.execute(
            "UPDATE files SET lexical_synced = 0 WHERE id = ?1",
            [r.file_id],
        )?;
        tx.commit()?;
        Ok(true)
    }
}
