//! Owned ONNX sessions (`Session::run` needs `&mut`), fed with padded integer
//! batches, returning the first float output.
//!
//! A model is a small pool of sessions, each behind its own mutex. On a CPU,
//! transformer inference at desktop batch sizes scales poorly across threads
//! inside one run (many of DeBERTa's and BERT's operators are small or
//! sequential), so running independent batches on one single-threaded session
//! per physical core keeps every core busy. The measurements behind this are in
//! docs/BENCHMARKS.md ("Reranking the search path's own pairs").

use super::runtime::{open_session, SessionTuning};
use super::ExecutionProvider;
use crate::{Error, Result};
use ort::session::Session;
use ort::value::Tensor;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A padded `[rows, cols]` batch of token ids with its attention mask.
pub(crate) struct Batch {
    pub rows: usize,
    pub cols: usize,
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub type_ids: Vec<i64>,
}

impl Batch {
    /// Pads token sequences to the longest one, on the right or the left.
    pub fn pad(seqs: &[&(Vec<u32>, Vec<u32>)], pad_id: u32, left: bool) -> Batch {
        let rows = seqs.len();
        let cols = seqs
            .iter()
            .map(|(ids, _)| ids.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut b = Batch {
            rows,
            cols,
            ids: vec![i64::from(pad_id); rows * cols],
            mask: vec![0; rows * cols],
            type_ids: vec![0; rows * cols],
        };
        for (r, (ids, types)) in seqs.iter().enumerate() {
            let start = r * cols + if left { cols - ids.len() } else { 0 };
            for (k, (&id, &t)) in ids
                .iter()
                .zip(types.iter().chain(std::iter::repeat(&0)))
                .enumerate()
            {
                b.ids[start + k] = i64::from(id);
                b.mask[start + k] = 1;
                b.type_ids[start + k] = i64::from(t);
            }
        }
        b
    }

    /// Position ids as Hugging Face builds them from a padded `[rows, cols]`
    /// attention mask: the running count of real tokens minus one, and 1 on
    /// padding. Causal exports (Qwen2) take them as an input; with left
    /// padding a row's first real token must sit at position 0, not at its
    /// column.
    pub fn position_ids_of(mask: &[i64], cols: usize) -> Vec<i64> {
        let mut out = vec![1; mask.len()];
        let cols = cols.max(1);
        for (mask, pos) in mask.chunks(cols).zip(out.chunks_mut(cols)) {
            let mut seen = 0;
            for (&m, p) in mask.iter().zip(pos) {
                if m != 0 {
                    *p = seen;
                    seen += 1;
                }
            }
        }
        out
    }
}

/// Groups sequences of the given lengths into batches: sorted by length, so
/// padding stays small, and each batch bounded by `max_rows` and by
/// `rows × cols² ≤ budget`. Attention memory grows with the square of the
/// length, so long sequences go in small batches; this is what keeps the
/// runtime's memory bounded over a whole indexing run. Returns indices into
/// `lens`, shortest first.
pub(crate) fn plan_batches(lens: &[usize], max_rows: usize, budget: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lens.len()).collect();
    order.sort_by_key(|&i| lens[i]);
    let mut out = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for i in order {
        let cols = lens[i].max(1);
        let rows_after = cur.len() + 1;
        if !cur.is_empty() && (rows_after > max_rows.max(1) || rows_after * cols * cols > budget) {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Where a row's per-token work (the feed-forward layers, about 12 hidden
/// sizes of multiply-adds per token) equals its attention's (one per pair
/// of tokens): the cost model that orders batches in [`OrtModel::run_all`].
const ATTENTION_COST_COLS: usize = 512;

/// The inputs Crumb knows how to fill.
const KNOWN_INPUTS: [&str; 4] = [
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
];

/// A float output copied out of the session: its shape and row-major data.
/// With [`OrtModel::last_position_only`], a `[batch, seq, vocab]` output
/// comes out as `[batch, 1, columns]`: the chosen columns of the last position.
pub(crate) struct Output {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A loaded ONNX model: one or more sessions of the same file.
pub(crate) struct OrtModel {
    sessions: Vec<Mutex<Session>>,
    /// A session that [`Self::run_all`] never takes, for [`Self::run_foreground`]:
    /// a search's query must not queue behind the indexer's batches. Opened
    /// at the first query (`None` inside: it could not be opened, or the
    /// model runs on an accelerator, where the one session is shared), so
    /// a process that only indexes never holds it.
    foreground: std::sync::OnceLock<Option<Mutex<Session>>>,
    /// Where the sessions came from, to open the foreground one later.
    path: std::path::PathBuf,
    tuning: SessionTuning,
    inputs: Vec<String>,
    output: String,
    provider: ExecutionProvider,
    next: AtomicUsize,
    last_columns: Option<Vec<usize>>,
}

impl OrtModel {
    /// Opens `path` (`tuning.sessions` times), preferring the output named
    /// `want_output` when the model has it.
    pub fn open(
        path: &Path,
        providers: &[ExecutionProvider],
        tuning: &SessionTuning,
        want_output: &str,
    ) -> Result<OrtModel> {
        let (first, provider) = open_session(path, providers, tuning)?;
        let inputs: Vec<String> = first
            .inputs()
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        let outputs: Vec<String> = first
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        let output = outputs
            .iter()
            .find(|o| *o == want_output)
            .or_else(|| outputs.first())
            .cloned()
            .ok_or_else(|| Error::Model(format!("{} declares no outputs", path.display())))?;
        // An export with a key/value cache (`past_key_values.*`) or any other
        // extra input cannot be fed correctly: name it, at load.
        if let Some(name) = inputs.iter().find(|n| !KNOWN_INPUTS.contains(&n.as_str())) {
            return Err(Error::Model(format!(
                "{} needs input {name:?}, which Crumb does not provide (it feeds {})",
                path.display(),
                KNOWN_INPUTS.join(", ")
            )));
        }
        // Accelerators get one session: the device parallelises inside it.
        let count = if provider == ExecutionProvider::Cpu {
            tuning.sessions.max(1)
        } else {
            1
        };
        let mut sessions = vec![Mutex::new(first)];
        for _ in 1..count {
            let (s, _) = open_session(path, &[provider], tuning)?;
            sessions.push(Mutex::new(s));
        }
        Ok(OrtModel {
            sessions,
            foreground: std::sync::OnceLock::new(),
            path: path.to_path_buf(),
            tuning: tuning.clone(),
            inputs,
            output,
            provider,
            next: AtomicUsize::new(0),
            last_columns: None,
        })
    }

    /// Runs one small batch (a search's query) on a session of its own,
    /// single-threaded, opened on first use; when that is busy (two
    /// searches at once) or unavailable, as [`Self::run`]. Why: the
    /// indexer's [`Self::run_all`] holds every pooled session for a whole
    /// window of passages, so a query embedding, a few milliseconds of
    /// work, waited for the window (the burst benchmark in
    /// docs/BENCHMARKS.md). The cost is one more copy of the weights, in
    /// processes that search.
    pub fn run_foreground(&self, batch: Batch) -> Result<Output> {
        let own = self.foreground.get_or_init(|| {
            if self.provider != ExecutionProvider::Cpu {
                return None;
            }
            let tuning = SessionTuning {
                intra_threads: 1,
                ..self.tuning.clone()
            };
            match open_session(&self.path, &[self.provider], &tuning) {
                Ok((s, _)) => Some(Mutex::new(s)),
                Err(e) => {
                    tracing::warn!(target: "models::runtime", error = %e, "no session of its own for queries; they share the indexer's");
                    None
                }
            }
        });
        if let Some(Ok(mut s)) = own.as_ref().map(Mutex::try_lock) {
            return self.run_on(&mut s, batch);
        }
        self.run(batch)
    }

    /// Copies only `columns` of the last position out of a `[batch, seq,
    /// vocab]` output. A causal LM's logits are about 600 KB per token over
    /// Qwen's vocabulary, and a reranker needs two numbers per row.
    pub fn last_position_only(mut self, columns: Vec<usize>) -> Self {
        self.last_columns = Some(columns);
        self
    }

    /// The output as shape and data, reduced per [`Self::last_position_only`].
    fn copy_out(&self, dims: Vec<usize>, data: &[f32]) -> Result<Output> {
        match (&self.last_columns, dims.as_slice()) {
            (Some(cols), &[rows, seq, vocab]) if seq > 0 => {
                let mut picked = Vec::with_capacity(rows * cols.len());
                for r in 0..rows {
                    let last = (r * seq + seq - 1) * vocab;
                    for &c in cols {
                        let x = (c < vocab).then(|| data.get(last + c)).flatten();
                        picked.push(*x.ok_or_else(|| {
                            Error::Model(format!(
                                "output {:?} {dims:?} has no column {c}",
                                self.output
                            ))
                        })?);
                    }
                }
                Ok(Output {
                    shape: vec![rows, 1, cols.len()],
                    data: picked,
                })
            }
            _ => Ok(Output {
                data: data.to_vec(),
                shape: dims,
            }),
        }
    }

    /// The provider that actually runs the session.
    pub fn provider(&self) -> ExecutionProvider {
        self.provider
    }

    /// Runs one small batch on every session, so none pays its first-run
    /// set-up during a search.
    pub fn warm_up(&self, make: impl Fn() -> Batch) -> Result<()> {
        for s in &self.sessions {
            let mut s = s
                .lock()
                .map_err(|_| Error::Bug("a model session panicked earlier".into()))?;
            self.run_on(&mut s, make())?;
        }
        Ok(())
    }

    /// Runs one batch on whichever session is free (the next one in turn
    /// when all are busy).
    pub fn run(&self, batch: Batch) -> Result<Output> {
        let n = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            if let Ok(mut s) = self.sessions[(start + k) % n].try_lock() {
                return self.run_on(&mut s, batch);
            }
        }
        let mut s = self.sessions[start % n]
            .lock()
            .map_err(|_| Error::Bug("a model session panicked earlier".into()))?;
        self.run_on(&mut s, batch)
    }

    /// Runs every batch, spread over the sessions, and returns the outputs in
    /// order. `should_stop` is checked before each batch; when it says so the
    /// remaining batches are dropped and [`Error::Cancelled`] returned.
    pub fn run_all(
        &self,
        batches: Vec<Batch>,
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Vec<Output>> {
        let workers = self.sessions.len().min(batches.len());
        if workers <= 1 {
            let mut out = Vec::with_capacity(batches.len());
            for b in batches {
                if should_stop() {
                    return Err(Error::Cancelled);
                }
                out.push(self.run(b)?);
            }
            return Ok(out);
        }
        let total = batches.len();
        // Longest first: the last batches taken are then the cheapest, so
        // no session sits idle while another finishes a long one (the plan
        // comes shortest first, which left the longest pair of a rerank for
        // last). Cost grows with rows × cols and, through attention, cols².
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by_key(|&i| {
            let b = &batches[i];
            std::cmp::Reverse(b.rows * b.cols * (b.cols + ATTENTION_COST_COLS))
        });
        let queue: Vec<Mutex<Option<Batch>>> =
            batches.into_iter().map(|b| Mutex::new(Some(b))).collect();
        let taken = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<Output>>>> =
            (0..total).map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for w in 0..workers {
                let (queue, taken, results, order) = (&queue, &taken, &results, &order);
                scope.spawn(move || {
                    let Ok(mut session) = self.sessions[w].lock() else {
                        return;
                    };
                    loop {
                        let Some(&i) = order.get(taken.fetch_add(1, Ordering::Relaxed)) else {
                            return;
                        };
                        let outcome = if should_stop() {
                            Err(Error::Cancelled)
                        } else {
                            match queue[i].lock().ok().and_then(|mut q| q.take()) {
                                Some(b) => self.run_on(&mut session, b),
                                None => Err(Error::Bug("batch taken twice".into())),
                            }
                        };
                        let failed = outcome.is_err();
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(outcome);
                        }
                        if failed {
                            // Make the other workers stop taking batches too.
                            taken.store(total, Ordering::Relaxed);
                            return;
                        }
                    }
                });
            }
        });
        let mut out = Vec::with_capacity(total);
        let mut cancelled = false;
        for slot in results {
            match slot.into_inner().ok().flatten() {
                Some(Ok(o)) => out.push(o),
                // A real failure wins over the cancellations it caused.
                Some(Err(Error::Cancelled)) | None => cancelled = true,
                Some(Err(e)) => return Err(e),
            }
        }
        if cancelled {
            return Err(Error::Cancelled);
        }
        Ok(out)
    }

    /// Feeds only the inputs the model declares.
    fn run_on(&self, session: &mut Session, batch: Batch) -> Result<Output> {
        let shape = [batch.rows, batch.cols];
        let mut feeds: Vec<(String, ort::value::DynValue)> = Vec::with_capacity(self.inputs.len());
        let Batch {
            ids,
            mask,
            type_ids,
            ..
        } = batch;
        let mut positions = self
            .inputs
            .iter()
            .any(|n| n == "position_ids")
            .then(|| Batch::position_ids_of(&mask, shape[1]));
        let mut ids = Some(ids);
        let mut mask = Some(mask);
        let mut type_ids = Some(type_ids);
        for name in &self.inputs {
            let data = match name.as_str() {
                "input_ids" => ids.take(),
                "attention_mask" => mask.take(),
                "position_ids" => positions.take(),
                _ => type_ids.take(),
            }
            .ok_or_else(|| Error::Bug(format!("input {name} fed twice")))?;
            let tensor = Tensor::from_array((shape, data)).map_err(model_err)?;
            feeds.push((name.clone(), tensor.into_dyn()));
        }
        let outputs = session.run(feeds).map_err(model_err)?;
        let value = outputs
            .get(&self.output)
            .ok_or_else(|| Error::Model(format!("model produced no {:?}", self.output)))?;
        let (dims, data) = value.try_extract_tensor::<f32>().map_err(model_err)?;
        self.copy_out(dims.iter().map(|&d| d.max(0) as usize).collect(), data)
    }
}

pub(crate) fn model_err(e: impl std::fmt::Display) -> Error {
    Error::Model(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_goes_right_or_left_and_masks_follow() {
        let seqs = [(vec![5, 6, 7], vec![0, 0, 1]), (vec![9], vec![])];
        let refs: Vec<_> = seqs.iter().collect();
        let r = Batch::pad(&refs, 0, false);
        assert_eq!((r.rows, r.cols), (2, 3));
        assert_eq!(r.ids, vec![5, 6, 7, 9, 0, 0]);
        assert_eq!(r.mask, vec![1, 1, 1, 1, 0, 0]);
        assert_eq!(r.type_ids, vec![0, 0, 1, 0, 0, 0]);
        let l = Batch::pad(&refs, 2, true);
        assert_eq!(l.ids, vec![5, 6, 7, 2, 2, 9]);
        assert_eq!(l.mask, vec![1, 1, 1, 0, 0, 1]);
    }

    #[test]
    fn batches_are_sorted_by_length_and_bounded_by_rows_and_attention_budget() {
        let lens = [500, 10, 12, 300, 11, 498, 13];
        let plan = plan_batches(&lens, 3, 2 * 500 * 500);
        // Every index exactly once.
        let mut all: Vec<usize> = plan.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..lens.len()).collect::<Vec<_>>());
        // Shortest first, and no batch mixes a 10-token and a 500-token text.
        assert_eq!(plan[0], vec![1, 4, 2]);
        for b in &plan {
            let cols = b.iter().map(|&i| lens[i]).max().unwrap_or(0);
            assert!(b.len() <= 3);
            assert!(b.len() * cols * cols <= 2 * 500 * 500, "{b:?}");
        }
        // The two longest share a batch; a third 500-token row would not fit.
        assert!(plan.iter().any(|b| b.contains(&0) && b.contains(&5)));
        assert!(plan_batches(&[], 4, 100).is_empty());
        // A single row longer than the budget still gets its own batch.
        assert_eq!(plan_batches(&[1000], 4, 10), vec![vec![0]]);
    }

    #[test]
    fn position_ids_count_real_tokens_from_zero_as_hugging_face_does() {
        // Row 0 left-padded by one, row 1 full, row 2 right-padded by two.
        let mask = vec![0, 1, 1, 1, 1, 1, 1, 0, 0];
        assert_eq!(
            Batch::position_ids_of(&mask, 3),
            vec![1, 0, 1, 0, 1, 2, 0, 1, 1]
        );
    }
}
