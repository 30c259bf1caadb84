//! Brute-force cosine search over one model's vectors, held in one contiguous
//! row-major buffer so dot products stream through memory and vectorise.

use super::simd;
use super::store::decode_vector;
use crate::{Error, Result};
use rusqlite::Connection;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// How vectors are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantization {
    /// Full f32: exact scores, 4 bytes per dimension.
    #[default]
    None,
    /// One signed byte per dimension plus a per-vector scale: a quarter of
    /// the memory; scores are approximate until rescored with f32 vectors
    /// from the store ([`VectorIndex::search_rescored`]).
    Int8,
}

/// An in-memory index of one embedding model's vectors.
#[derive(Debug, Clone, Default)]
pub struct VectorIndex {
    model: String,
    dim: usize,
    ids: Vec<i64>,
    /// `ids.len() × dim` floats, row-major (empty under int8).
    data: Vec<f32>,
    /// `ids.len() × dim` codes, row-major (empty under f32).
    codes: Vec<i8>,
    /// Per-vector dequantisation scale (int8 only).
    scales: Vec<f32>,
    quant: Quantization,
    /// Whether `ids` ascend (true for everything loaded from the store), so a
    /// passage's row is found by binary search.
    unsorted: bool,
}

/// Candidates scored in int8 per requested hit before f32 rescoring.
const RESCORE_FACTOR: usize = 4;
/// Rows per scanning thread at least: below this a thread costs more than it saves.
const PARALLEL_ROWS: usize = 65_536;

impl VectorIndex {
    /// Loads every vector of `model` from the store as f32.
    pub fn load(conn: &Connection, model: &str) -> Result<VectorIndex> {
        VectorIndex::load_with(conn, model, Quantization::None)
    }

    /// Loads every vector of `model` with the given in-memory layout.
    pub fn load_with(conn: &Connection, model: &str, quant: Quantization) -> Result<VectorIndex> {
        // Readers may hold read-only connections, so look rather than create.
        let has_table: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vectors')",
            [],
            |r| r.get(0),
        )?;
        if !has_table {
            return Ok(VectorIndex::new(model, quant));
        }
        let mut stmt = conn.prepare(
            "SELECT passage_id, dim, data FROM vectors WHERE model = ?1 ORDER BY passage_id",
        )?;
        let mut rows = stmt.query([model])?;
        let mut index = VectorIndex::new(model, quant);
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let dim = row.get::<_, i64>(1)?.max(0) as usize;
            let blob: Vec<u8> = row.get(2)?;
            index.push(id, &decode_vector(&blob, dim)?)?;
        }
        index.shrink_to_fit();
        tracing::debug!(target: "vectors::index", model, n = index.len(), bytes = index.resident_bytes(), "vector index loaded");
        Ok(index)
    }

    /// Builds an index from vectors in memory.
    pub fn from_vectors(
        model: &str,
        items: &[(i64, Vec<f32>)],
        quant: Quantization,
    ) -> Result<VectorIndex> {
        let mut index = VectorIndex::new(model, quant);
        for (id, v) in items {
            index.push(*id, v)?;
        }
        Ok(index)
    }

    /// An empty index for `model`; fill it with [`push`](Self::push).
    pub fn new(model: &str, quant: Quantization) -> VectorIndex {
        VectorIndex {
            model: model.to_string(),
            quant,
            ..Default::default()
        }
    }

    /// Adds one vector (e.g. a passage embedded after the index was loaded).
    /// The first vector fixes the dimension; under int8 it is quantised.
    pub fn push(&mut self, id: i64, v: &[f32]) -> Result<()> {
        if self.ids.is_empty() {
            self.dim = v.len();
        } else if v.len() != self.dim {
            return Err(Error::Bug(format!(
                "vector of passage {id} has {} dimensions, the index {}",
                v.len(),
                self.dim
            )));
        }
        if self.ids.last().is_some_and(|&last| last >= id) {
            self.unsorted = true;
        }
        self.ids.push(id);
        match self.quant {
            Quantization::None => self.data.extend_from_slice(v),
            Quantization::Int8 => {
                let (codes, scale) = quantize(v);
                self.codes.extend_from_slice(&codes);
                self.scales.push(scale);
            }
        }
        Ok(())
    }

    /// The model the vectors belong to.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Vector dimension (0 when empty).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// How vectors are held.
    pub fn quantization(&self) -> Quantization {
        self.quant
    }

    /// Releases spare capacity left by loading, so memory is what the data needs.
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.data.shrink_to_fit();
        self.codes.shrink_to_fit();
        self.scales.shrink_to_fit();
    }

    /// Heap bytes the index holds (ids, vectors, scales).
    pub fn resident_bytes(&self) -> usize {
        self.ids.capacity() * 8
            + self.data.capacity() * 4
            + self.codes.capacity()
            + self.scales.capacity() * 4
    }

    /// The `top_n` passages most similar to `query`, best first, as
    /// `(passage_id, cosine)`. Under int8 the scores are approximate.
    pub fn search(&self, query: &[f32], top_n: usize) -> Vec<(i64, f32)> {
        self.search_excluding(query, top_n, None)
    }

    /// Like [`search`](Self::search), skipping the rows set in `deleted`
    /// (a snapshot's tombstones).
    pub(crate) fn search_excluding(
        &self,
        query: &[f32],
        top_n: usize,
        deleted: Option<&RowSet>,
    ) -> Vec<(i64, f32)> {
        if top_n == 0 || self.is_empty() || query.len() != self.dim {
            return Vec::new();
        }
        let mut scores = self.scores(query);
        if let Some(d) = deleted {
            d.rows().for_each(|row| scores[row] = f32::NEG_INFINITY);
        }
        let mut hits = top_k(scores.into_iter(), &self.ids, top_n);
        hits.retain(|h| h.1 > f32::NEG_INFINITY);
        hits
    }

    /// Every row's score against `query`. A large index is split across the
    /// cores: a million rows take tens of milliseconds even in int8, and a
    /// search is what the person is waiting for.
    fn scores(&self, query: &[f32]) -> Vec<f32> {
        let rows = self.ids.len();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(rows / PARALLEL_ROWS)
            .max(1);
        let per = rows.div_ceil(threads);
        let quantized = (self.quant == Quantization::Int8).then(|| quantize(query));
        let part = |from: usize, to: usize| -> Vec<f32> {
            match &quantized {
                None => simd::scan_f32(&self.data[from * self.dim..to * self.dim], self.dim, query),
                Some((q, qs)) => {
                    let mut s =
                        simd::scan_i8(&self.codes[from * self.dim..to * self.dim], self.dim, q);
                    s.iter_mut()
                        .zip(&self.scales[from..to])
                        .for_each(|(x, vs)| *x *= vs * qs);
                    s
                }
            }
        };
        if threads == 1 {
            return part(0, rows);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = (t * per, ((t + 1) * per).min(rows));
                    scope.spawn(move || part(from, to))
                })
                .collect();
            let mut out = Vec::with_capacity(rows);
            for h in handles {
                // A scan cannot panic short of a bug; a lost part would
                // silently drop rows, so fall back to scanning it here.
                out.extend(h.join().unwrap_or_default());
            }
            if out.len() != rows {
                return part(0, rows);
            }
            out
        })
    }

    /// Approximate scores of the given rows only: a selective filter's
    /// passages, scored without scanning the rest.
    pub(crate) fn score_rows(&self, query: &[f32], rows: &[usize]) -> Vec<(i64, f32)> {
        if query.len() != self.dim {
            return Vec::new();
        }
        match self.quant {
            Quantization::None => rows
                .iter()
                .map(|&r| {
                    let v = &self.data[r * self.dim..(r + 1) * self.dim];
                    (self.ids[r], dot(v, query))
                })
                .collect(),
            Quantization::Int8 => {
                let (q, qs) = quantize(query);
                let scores = simd::scan_i8_rows(&self.codes, self.dim, &q, rows);
                rows.iter()
                    .zip(scores)
                    .map(|(&r, s)| (self.ids[r], s * self.scales[r] * qs))
                    .collect()
            }
        }
    }

    /// The passage ids, row by row.
    pub(crate) fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// Dimension, int8 codes and scales (int8 only), as `persist` writes them.
    pub(crate) fn int8_parts(&self) -> Option<(&[i8], &[f32])> {
        (self.quant == Quantization::Int8).then_some((&self.codes[..], &self.scales[..]))
    }

    /// An int8 index from its parts, as `persist` reads them.
    pub(crate) fn from_int8_parts(
        model: &str,
        dim: usize,
        ids: Vec<i64>,
        codes: Vec<i8>,
        scales: Vec<f32>,
    ) -> Result<VectorIndex> {
        if codes.len() != ids.len() * dim || scales.len() != ids.len() {
            return Err(Error::Bug("vector parts of different lengths".into()));
        }
        let unsorted = ids.windows(2).any(|w| w[0] >= w[1]);
        Ok(VectorIndex {
            model: model.to_string(),
            dim,
            ids,
            data: Vec::new(),
            codes,
            scales,
            quant: Quantization::Int8,
            unsorted,
        })
    }

    /// The rows holding `id` (one, unless an unsorted index was pushed the
    /// same id twice).
    pub(crate) fn rows_of(&self, id: i64) -> Vec<usize> {
        if self.unsorted {
            return (0..self.ids.len()).filter(|&r| self.ids[r] == id).collect();
        }
        self.ids
            .binary_search(&id)
            .map(|r| vec![r])
            .unwrap_or_default()
    }

    /// Appends `from`'s row `row` as it is (no re-quantisation): compaction.
    pub(crate) fn push_row_of(&mut self, from: &VectorIndex, row: usize) -> Result<()> {
        if self.quant != from.quant || (!self.ids.is_empty() && self.dim != from.dim) {
            return Err(Error::Bug(
                "merging vector indexes of different layouts".into(),
            ));
        }
        let id = from.ids[row];
        if self.ids.is_empty() {
            self.dim = from.dim;
        }
        if self.ids.last().is_some_and(|&last| last >= id) {
            self.unsorted = true;
        }
        self.ids.push(id);
        let span = row * from.dim..(row + 1) * from.dim;
        match self.quant {
            Quantization::None => self.data.extend_from_slice(&from.data[span]),
            Quantization::Int8 => {
                self.codes.extend_from_slice(&from.codes[span]);
                self.scales.push(from.scales[row]);
            }
        }
        Ok(())
    }

    /// Row `row` as stored: (id, codes or floats as f32, scale): what a fresh
    /// load must reproduce exactly (tests compare snapshots with it).
    pub fn row(&self, row: usize) -> (i64, Vec<f32>, f32) {
        let span = row * self.dim..(row + 1) * self.dim;
        match self.quant {
            Quantization::None => (self.ids[row], self.data[span].to_vec(), 1.0),
            Quantization::Int8 => (
                self.ids[row],
                self.codes[span].iter().map(|&c| c as f32).collect(),
                self.scales[row],
            ),
        }
    }

    /// Like [`search`](Self::search), but under int8 takes a few times more
    /// candidates and rescores them with their exact f32 vectors from `conn`.
    pub fn search_rescored(
        &self,
        conn: &Connection,
        query: &[f32],
        top_n: usize,
    ) -> Result<Vec<(i64, f32)>> {
        rescored(conn, &self.model, self.quantization(), query, top_n, |n| {
            self.search(query, n)
        })
    }
}

/// The best `top_n` by exact score. `candidates(n)` gives the best `n` by
/// the index's own score: exact already without quantization; under int8,
/// [`RESCORE_FACTOR`] times more of them are rescored with their stored f32
/// vectors.
pub(crate) fn rescored(
    conn: &Connection,
    model: &str,
    quant: Quantization,
    query: &[f32],
    top_n: usize,
    candidates: impl FnOnce(usize) -> Vec<(i64, f32)>,
) -> Result<Vec<(i64, f32)>> {
    if quant == Quantization::None {
        return Ok(candidates(top_n));
    }
    rescore(
        conn,
        model,
        query,
        candidates(top_n * RESCORE_FACTOR),
        top_n,
    )
}

/// The best `top_n` of `candidates` by their exact f32 vectors from the store.
fn rescore(
    conn: &Connection,
    model: &str,
    query: &[f32],
    candidates: Vec<(i64, f32)>,
    top_n: usize,
) -> Result<Vec<(i64, f32)>> {
    let ids: Vec<i64> = candidates.iter().map(|h| h.0).collect();
    let stored = super::store::load_vectors(conn, &ids, model)?;
    let mut exact: Vec<(i64, f32)> = ids
        .iter()
        .filter_map(|id| stored.get(id).map(|v| (*id, dot(v, query))))
        .collect();
    sort_hits(&mut exact);
    exact.truncate(top_n);
    Ok(exact)
}

/// Best score first; ties by passage id, so results are deterministic.
pub(crate) fn sort_hits(hits: &mut [(i64, f32)]) {
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// A set of row numbers (a segment's tombstones), as a bitmap.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowSet {
    words: Vec<u64>,
    len: usize,
}

impl RowSet {
    /// Adds `row`; returns whether it was new.
    pub(crate) fn insert(&mut self, row: usize) -> bool {
        let (w, b) = (row / 64, row % 64);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        let new = self.words[w] & (1 << b) == 0;
        self.words[w] |= 1 << b;
        self.len += new as usize;
        new
    }

    pub(crate) fn contains(&self, row: usize) -> bool {
        self.words
            .get(row / 64)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The set rows, ascending. Each search visits them, so only set bits
    /// are: a million-row segment with a few tombstones costs a few steps,
    /// not a million bit tests.
    pub(crate) fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut left = w;
            std::iter::from_fn(move || {
                (left != 0).then(|| {
                    let b = left.trailing_zeros() as usize;
                    left &= left - 1;
                    i * 64 + b
                })
            })
        })
    }
}

/// Symmetric int8 quantisation: codes in -127..=127 and the scale back to f32.
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; v.len()], 0.0);
    }
    let inv = 127.0 / max;
    let codes = v
        .iter()
        .map(|x| (x * inv).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (codes, max / 127.0)
}

/// Dot product of two f32 vectors (see [`simd`] for the scan over rows).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    simd::dot_f32(a, b)
}

#[derive(PartialEq)]
struct Scored(f32, usize);
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    // Higher score first; on ties the earlier row (lower passage id) wins, so
    // results are deterministic.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Keeps the best `n` scores with a bounded min-heap.
fn top_k(scores: impl Iterator<Item = f32>, ids: &[i64], n: usize) -> Vec<(i64, f32)> {
    let mut heap: BinaryHeap<Reverse<Scored>> = BinaryHeap::with_capacity(n + 1);
    for (row, s) in scores.enumerate() {
        if heap.len() < n {
            heap.push(Reverse(Scored(s, row)));
        } else if heap
            .peek()
            .is_some_and(|Reverse(worst)| Scored(s, row) > *worst)
        {
            heap.pop();
            heap.push(Reverse(Scored(s, row)));
        }
    }
    let mut out: Vec<Scored> = heap.into_iter().map(|Reverse(s)| s).collect();
    out.sort_by(|a, b| b.cmp(a));
    out.into_iter()
        .map(|Scored(s, row)| (ids[row], s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_the_naive_sum_for_odd_lengths() {
        let a: Vec<f32> = (0..13).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..13).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn a_row_set_lists_exactly_its_rows_in_order() {
        let mut set = RowSet::default();
        for r in [130, 0, 64, 63, 64] {
            set.insert(r);
        }
        assert_eq!(set.rows().collect::<Vec<_>>(), vec![0, 63, 64, 130]);
        assert_eq!(set.len(), 4);
        assert!(set.contains(63) && !set.contains(65));
    }

    #[test]
    fn top_k_is_sorted_and_breaks_ties_by_row() {
        let got = top_k([0.1, 0.9, 0.5, 0.9].into_iter(), &[10, 11, 12, 13], 3);
        assert_eq!(got, vec![(11, 0.9), (13, 0.9), (12, 0.5)]);
    }
}
