//! An immutable view of one model's vectors that searches share behind an
//! `Arc`, and that follows the catalog incrementally.
//!
//! Why: reloading every vector after each write costs O(corpus) (about 1.5 GB
//! read at a million passages) and the embed stage writes every 64 passages.
//! Instead, SQLite triggers append every insert and delete on `vectors` to
//! `vector_log` (schema v2), in the writer's own transaction, so no code path
//! can forget to record a change and another process's writes are seen too.
//! A snapshot remembers the log position it reflects; catching up reads only
//! the log rows after it, tombstones the changed passages in the segments it
//! already has (copy-on-write bitmaps, never the vectors), and adds what was
//! inserted as a new small segment. Old snapshots stay valid for the searches
//! still holding them.
//!
//! SQLite stays the source of truth: a snapshot whose position is older than
//! what the log still holds (the writer trims it) reloads in full.

use super::index::{rescored, sort_hits, Quantization, RowSet, VectorIndex};
use super::persist;
use super::store::load_vectors;
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Segments kept before the small ones are merged into one.
const MAX_SEGMENTS: usize = 8;
/// Log rows kept behind the newest when the writer trims the log: enough for
/// a reader that missed a few embedding passes to catch up instead of
/// reloading.
pub const LOG_KEEP: i64 = 100_000;
/// Meta key: the newest log position trimmed away.
const LOG_FLOOR_KEY: &str = "vector_log_floor";

#[derive(Debug, Clone)]
struct Segment {
    index: Arc<VectorIndex>,
    deleted: Arc<RowSet>,
}

impl Segment {
    fn live(&self) -> usize {
        self.index.len() - self.deleted.len()
    }
}

/// One model's vectors as of a log position.
#[derive(Debug, Clone)]
pub struct VectorSnapshot {
    model: String,
    quant: Quantization,
    segments: Vec<Segment>,
    /// The `vector_log` position this reflects; `None` where the database
    /// has no log (then every refresh is a full load).
    position: Option<i64>,
}

/// What a refresh did (logged, and asserted by tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Nothing changed for this model.
    Unchanged,
    /// Applied changes from the log.
    CaughtUp {
        /// Passages whose vector was inserted, replaced or deleted.
        changed: usize,
    },
    /// Loaded every vector again (no usable log position).
    Reloaded,
    /// Read the copy on disk, then applied `changed` passages from the log.
    Restored {
        /// Passages changed since the copy was written.
        changed: usize,
    },
}

impl VectorSnapshot {
    /// Loads every vector of `model`, and the log position they reflect, in
    /// one read transaction so nothing committed in between is lost.
    pub fn load(conn: &Connection, model: &str, quant: Quantization) -> Result<VectorSnapshot> {
        let tx = conn.unchecked_transaction()?;
        let position = log_position(&tx)?;
        let index = VectorIndex::load_with(&tx, model, quant)?;
        tx.commit()?;
        Ok(VectorSnapshot {
            model: model.to_string(),
            quant,
            segments: vec![Segment {
                index: Arc::new(index),
                deleted: Arc::new(RowSet::default()),
            }],
            position,
        })
    }

    /// The copy at `path` (see `persist`), caught up from the log; `None`
    /// when there is no usable copy: absent, from another catalog, torn, or
    /// older than what the log still holds.
    pub fn load_persisted(
        conn: &Connection,
        path: &Path,
        model: &str,
        catalog_uid: &str,
    ) -> Result<Option<(VectorSnapshot, Refresh)>> {
        let Some((header, index)) = persist::read(path, model, catalog_uid)? else {
            return Ok(None);
        };
        let restored = VectorSnapshot {
            model: model.to_string(),
            quant: Quantization::Int8,
            segments: vec![Segment {
                index: Arc::new(index),
                deleted: Arc::new(RowSet::default()),
            }],
            position: Some(header.position),
        };
        Ok(restored.catch_up(conn)?.map(|(snap, how)| {
            let changed = match how {
                Refresh::CaughtUp { changed } => changed,
                _ => 0,
            };
            (snap, Refresh::Restored { changed })
        }))
    }

    /// Writes the live vectors to `path` for [`load_persisted`]
    /// (int8 snapshots with a log position only; others are skipped).
    /// Returns whether it wrote.
    pub fn persist(&self, path: &Path, catalog_uid: &str) -> Result<bool> {
        let Some(position) = self.position else {
            return Ok(false);
        };
        if self.quant != Quantization::Int8 || self.is_empty() {
            return Ok(false);
        }
        let mut rows: Vec<(i64, usize, usize)> = Vec::with_capacity(self.len());
        for (si, s) in self.segments.iter().enumerate() {
            for (r, &id) in s.index.ids().iter().enumerate() {
                if !s.deleted.contains(r) {
                    rows.push((id, si, r));
                }
            }
        }
        rows.sort_unstable();
        let segments: Vec<&VectorIndex> = self.segments.iter().map(|s| &*s.index).collect();
        persist::write(
            path,
            &self.model,
            &persist::Header {
                position,
                catalog_uid: catalog_uid.to_string(),
            },
            &segments,
            &rows,
        )?;
        Ok(true)
    }

    /// The log position this snapshot reflects.
    pub fn position(&self) -> Option<i64> {
        self.position
    }

    /// This snapshot brought up to date with `conn`'s view of the catalog:
    /// from the log when it can, else by a full load.
    pub fn refreshed(&self, conn: &Connection) -> Result<(VectorSnapshot, Refresh)> {
        match self.catch_up(conn)? {
            Some(done) => Ok(done),
            None => Ok((
                VectorSnapshot::load(conn, &self.model, self.quant)?,
                Refresh::Reloaded,
            )),
        }
    }

    fn catch_up(&self, conn: &Connection) -> Result<Option<(VectorSnapshot, Refresh)>> {
        let Some(from) = self.position else {
            return Ok(None);
        };
        let tx = conn.unchecked_transaction()?;
        let Some(to) = log_position(&tx)? else {
            return Ok(None);
        };
        if from < log_floor(&tx)? || to < from {
            return Ok(None);
        }
        // The last operation per passage decides: inserted (1) or deleted (0).
        let mut last: BTreeMap<i64, i64> = BTreeMap::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT passage_id, op FROM vector_log
                 WHERE seq > ?1 AND seq <= ?2 AND model = ?3 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![from, to, self.model], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (id, op) = row?;
                last.insert(id, op);
            }
        }
        let mut next = self.clone();
        next.position = Some(to);
        if last.is_empty() {
            return Ok(Some((next, Refresh::Unchanged)));
        }
        let inserted: Vec<i64> = last
            .iter()
            .filter(|(_, &op)| op != 0)
            .map(|(&id, _)| id)
            .collect();
        let vectors = load_vectors(&tx, &inserted, &self.model)?;
        tx.commit()?;
        // Every changed passage loses the row it had; inserted ones get a
        // new row in a segment of their own.
        for seg in &mut next.segments {
            let mut deleted: Option<RowSet> = None;
            for &id in last.keys() {
                for row in seg.index.rows_of(id) {
                    if !seg.deleted.contains(row) {
                        deleted
                            .get_or_insert_with(|| (*seg.deleted).clone())
                            .insert(row);
                    }
                }
            }
            if let Some(d) = deleted {
                seg.deleted = Arc::new(d);
            }
        }
        let mut fresh = VectorIndex::new(&self.model, self.quant);
        for id in &inserted {
            // A passage deleted after its insert was logged has no vector in
            // this transaction's view, and its delete comes later in the log.
            if let Some(v) = vectors.get(id) {
                fresh.push(*id, v)?;
            }
        }
        if !fresh.is_empty() {
            next.segments.push(Segment {
                index: Arc::new(fresh),
                deleted: Arc::new(RowSet::default()),
            });
        }
        next.compact()?;
        Ok(Some((
            next,
            Refresh::CaughtUp {
                changed: last.len(),
            },
        )))
    }

    /// Keeps the scan contiguous: past [`MAX_SEGMENTS`], every segment but
    /// the first is merged into one; a segment with more than a quarter of
    /// its rows deleted is rewritten without them. Both copy codes as they
    /// are, so the result equals a fresh load.
    fn compact(&mut self) -> Result<()> {
        if self.segments.len() > MAX_SEGMENTS {
            let tail = self.segments.split_off(1);
            self.segments.push(merge(&self.model, self.quant, &tail)?);
        }
        for seg in &mut self.segments {
            if seg.deleted.len() * 4 > seg.index.len() {
                *seg = merge(&self.model, self.quant, std::slice::from_ref(seg))?;
            }
        }
        self.segments.retain(|s| !s.index.is_empty());
        Ok(())
    }

    /// The model the vectors belong to.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Live vectors.
    pub fn len(&self) -> usize {
        self.segments.iter().map(Segment::live).sum()
    }

    /// Whether no live vector remains.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Segments held (tests watch compaction with it).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Heap bytes of the vectors held.
    pub fn resident_bytes(&self) -> usize {
        self.segments.iter().map(|s| s.index.resident_bytes()).sum()
    }

    /// Every live row as (id, codes or floats, scale), sorted by id: what
    /// tests compare against a fresh load.
    pub fn live_rows(&self) -> Vec<(i64, Vec<f32>, f32)> {
        let mut out: Vec<_> = self
            .segments
            .iter()
            .flat_map(|s| {
                (0..s.index.len())
                    .filter(|&r| !s.deleted.contains(r))
                    .map(|r| s.index.row(r))
            })
            .collect();
        out.sort_by_key(|r| r.0);
        out
    }

    /// The `top_n` nearest live passages, approximate under int8.
    pub fn search(&self, query: &[f32], top_n: usize) -> Vec<(i64, f32)> {
        let mut hits: Vec<(i64, f32)> = self
            .segments
            .iter()
            .flat_map(|s| s.index.search_excluding(query, top_n, Some(&s.deleted)))
            .collect();
        sort_hits(&mut hits);
        hits.truncate(top_n);
        hits
    }

    /// Like [`search`](Self::search), with int8 candidates rescored from the
    /// stored f32 vectors.
    pub fn search_rescored(
        &self,
        conn: &Connection,
        query: &[f32],
        top_n: usize,
    ) -> Result<Vec<(i64, f32)>> {
        rescored(conn, &self.model, self.quant, query, top_n, |n| {
            self.search(query, n)
        })
    }

    /// The `top_n` nearest among `ids` only, rescored: a selective filter's
    /// passages are scored directly instead of over-fetching from the whole
    /// index and throwing most of it away.
    pub fn search_within(
        &self,
        conn: &Connection,
        query: &[f32],
        ids: &[i64],
        top_n: usize,
    ) -> Result<Vec<(i64, f32)>> {
        rescored(conn, &self.model, self.quant, query, top_n, |n| {
            let mut hits = Vec::new();
            for s in &self.segments {
                let rows: Vec<usize> = ids
                    .iter()
                    .flat_map(|&id| s.index.rows_of(id))
                    .filter(|&r| !s.deleted.contains(r))
                    .collect();
                hits.extend(s.index.score_rows(query, &rows));
            }
            sort_hits(&mut hits);
            hits.truncate(n);
            hits
        })
    }
}

/// The live rows of `segments`, in one new segment sorted by id.
fn merge(model: &str, quant: Quantization, segments: &[Segment]) -> Result<Segment> {
    let mut rows: Vec<(i64, usize, usize)> = Vec::new();
    for (si, s) in segments.iter().enumerate() {
        for (r, &id) in s.index.ids().iter().enumerate() {
            if !s.deleted.contains(r) {
                rows.push((id, si, r));
            }
        }
    }
    rows.sort_unstable();
    let mut out = VectorIndex::new(model, quant);
    for (_, si, r) in rows {
        out.push_row_of(&segments[si].index, r)?;
    }
    out.shrink_to_fit();
    Ok(Segment {
        index: Arc::new(out),
        deleted: Arc::new(RowSet::default()),
    })
}

/// The newest `vector_log` position, 0 for an empty log; `None` when the
/// database has no log (an older schema, or a bare `vectors` table).
fn log_position(conn: &Connection) -> Result<Option<i64>> {
    let has_log: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vector_log')",
        [],
        |r| r.get(0),
    )?;
    if !has_log {
        return Ok(None);
    }
    // AUTOINCREMENT keeps the high-water mark in sqlite_sequence even when
    // the newest rows were trimmed.
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'vector_log'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(Some(seq.unwrap_or(0)))
}

/// The newest position trimmed from the log: a snapshot older than this
/// cannot catch up.
fn log_floor(conn: &Connection) -> Result<i64> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [LOG_FLOOR_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Drops log rows more than `keep` behind the newest, recording the floor.
/// Called by the writer after a batch of vector changes; O(rows dropped).
pub fn trim_log(conn: &Connection, keep: i64) -> Result<u64> {
    let Some(newest) = log_position(conn)? else {
        return Ok(0);
    };
    let floor = newest - keep;
    if floor <= log_floor(conn)? {
        return Ok(0);
    }
    let tx = conn.unchecked_transaction()?;
    let n = tx.execute("DELETE FROM vector_log WHERE seq <= ?1", [floor])?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![LOG_FLOOR_KEY, floor.to_string()],
    )?;
    tx.commit()?;
    Ok(n as u64)
}
