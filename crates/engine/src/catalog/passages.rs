//! Passage rows, and the bookkeeping that keeps the lexical index in step.

use super::files::{upsert_file, NewFile};
use super::Catalog;
use crate::chunk::Passage;
use crate::extract::Location;
use crate::Result;
use rusqlite::params;
use std::collections::HashMap;

/// A passage as stored, with what search needs to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPassage {
    /// Passage id (tantivy documents and vectors are keyed by it).
    pub id: i64,
    /// Owning file.
    pub file_id: i64,
    /// Position within the file.
    pub ord: i64,
    /// Text.
    pub text: String,
    /// Byte range in the document text.
    pub byte_start: i64,
    /// End of the byte range.
    pub byte_end: i64,
    /// Page, line or label.
    pub location: Location,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPassage> {
    Ok(StoredPassage {
        id: r.get(0)?,
        file_id: r.get(1)?,
        ord: r.get(2)?,
        text: r.get(3)?,
        byte_start: r.get(4)?,
        byte_end: r.get(5)?,
        location: Location {
            page: r.get::<_, Option<i64>>(6)?.map(|v| v as u32),
            line: r.get::<_, Option<i64>>(7)?.map(|v| v as u32),
            label: r.get(8)?,
        },
    })
}

const COLUMNS: &str = "id, file_id, ord, text, byte_start, byte_end, page, line, label";

/// One file's outcome, ready to be written in a batch.
pub struct FileWrite<'a> {
    /// The file row.
    pub file: NewFile<'a>,
    /// Its passages (empty when it failed or was skipped).
    pub passages: &'a [Passage],
    /// Its pages left for text recognition (the second stage).
    pub pending_ocr: &'a [u32],
}

impl Catalog {
    /// Writes a batch of files and their passages in one transaction, replacing
    /// whatever each file had before. Returns the file ids in order.
    pub fn write_files(&mut self, batch: &[FileWrite<'_>]) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(batch.len());
        {
            let mut del = tx.prepare_cached("DELETE FROM passages WHERE file_id = ?1")?;
            let mut del_pending =
                tx.prepare_cached("DELETE FROM ocr_pending WHERE file_id = ?1")?;
            let mut ins_pending = tx.prepare_cached(
                "INSERT OR IGNORE INTO ocr_pending(file_id, page) VALUES (?1, ?2)",
            )?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO passages(file_id, ord, text, byte_start, byte_end, page, line, label)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for w in batch {
                let id = upsert_file(&tx, &w.file)?;
                del.execute([id])?;
                // A changed file's old pages are no longer its pages.
                del_pending.execute([id])?;
                for page in w.pending_ocr {
                    ins_pending.execute(params![id, i64::from(*page)])?;
                }
                for (ord, p) in w.passages.iter().enumerate() {
                    ins.execute(params![
                        id,
                        ord as i64,
                        p.text,
                        p.byte_start as i64,
                        p.byte_end as i64,
                        p.location.page.map(i64::from),
                        p.location.line.map(i64::from),
                        p.location.label
                    ])?;
                }
                ids.push(id);
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Passages of one file, in order.
    pub fn passages_of(&self, file_id: i64) -> Result<Vec<StoredPassage>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM passages WHERE file_id = ?1 ORDER BY ord"
        ))?;
        let rows = st.query_map([file_id], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Passages by id; ids no longer in the catalog are left out. One query
    /// for all of them (a search resolves its 100 candidates here).
    pub fn passages_by_id(&self, ids: &[i64]) -> Result<HashMap<i64, StoredPassage>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = super::id_list(ids)?;
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM passages WHERE id IN (SELECT value FROM json_each(?1))"
        ))?;
        let rows = st.query_map([list], from_row)?;
        let mut out = HashMap::with_capacity(ids.len());
        for p in rows {
            let p = p?;
            out.insert(p.id, p);
        }
        Ok(out)
    }

    /// The file of each passage in `ids` that the catalog still has, without
    /// reading any text: what grouping meaning-search candidates into files
    /// needs.
    pub fn passage_files(&self, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = super::id_list(ids)?;
        let mut st = self.conn.prepare_cached(
            "SELECT id, file_id FROM passages WHERE id IN (SELECT value FROM json_each(?1))",
        )?;
        let rows = st.query_map([list], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Files written to the catalog but not yet mirrored in the lexical index.
    pub fn unsynced_files(&self) -> Result<Vec<i64>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM files WHERE lexical_synced = 0 ORDER BY id")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks every file as not mirrored in the lexical index, so the next
    /// repair rewrites them all (after the index was rebuilt empty).
    pub fn mark_all_lexical_unsynced(&self) -> Result<()> {
        self.conn
            .execute("UPDATE files SET lexical_synced = 0", [])?;
        Ok(())
    }

    /// Deleted files whose lexical documents may still exist.
    pub fn pending_lexical_deletes(&self) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare("SELECT file_id FROM lexical_deletes")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records that the lexical index now mirrors these files and deletions.
    pub fn mark_lexical_synced(&mut self, files: &[i64], deletes: &[i64]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in files {
            tx.execute("UPDATE files SET lexical_synced = 1 WHERE id = ?1", [id])?;
        }
        for id in deletes {
            tx.execute("DELETE FROM lexical_deletes WHERE file_id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Number of passages.
    pub fn passage_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM passages", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Pages whose text was recognised (OCR): distinct (file, page) of
    /// passages labelled `label`, an image file counting as one page.
    pub fn labelled_page_count(&self, label: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM (SELECT DISTINCT file_id, COALESCE(page, 0) FROM passages \
             WHERE label = ?1)",
            [label],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Passages with id above `after` that have no vector for `model`, in id order.
    pub fn passages_missing_vectors(
        &self,
        model: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.id, p.text FROM passages p
             WHERE p.id > ?2 AND NOT EXISTS
               (SELECT 1 FROM vectors v WHERE v.passage_id = p.id AND v.model = ?1)
             ORDER BY p.id LIMIT ?3",
        )?;
        let rows = st.query_map(params![model, after, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The highest passage id in use (0 when there is none).
    pub fn max_passage_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM passages", [], |r| {
                r.get(0)
            })?)
    }

    /// How many passages numbered above `after` have no vector for `model`
    /// (`after` = 0: all of them). Passage ids are never reused, so a caller
    /// that knows every passage up to some id has one counts only the rest.
    pub fn count_missing_vectors(&self, model: &str, after: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM passages p WHERE p.id > ?2 AND NOT EXISTS
               (SELECT 1 FROM vectors v WHERE v.passage_id = p.id AND v.model = ?1)",
            params![model, after],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Stores vectors in one transaction. A passage deleted since it was read
    /// (its file changed meanwhile) is skipped rather than failing the batch.
    pub fn store_vectors(&mut self, model: &str, items: &[(i64, &[f32])]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO vectors (passage_id, model, dim, data)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM passages WHERE id = ?1)",
            )?;
            for (id, v) in items {
                st.execute(params![
                    id,
                    model,
                    v.len() as i64,
                    crate::vectors::encode_vector(v)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// SQLite's change counter for commits made by other connections.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// Whether any vector is stored, for any model.
    pub fn has_vectors(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS(SELECT 1 FROM vectors)", [], |r| r.get(0))?)
    }

    /// Number of stored vectors for a model (all models when `None`).
    pub fn vector_count(&self, model: Option<&str>) -> Result<u64> {
        crate::vectors::count_vectors(&self.conn, model)
    }
}
