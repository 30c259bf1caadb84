//! One owned ONNX session behind a mutex (`Session::run` needs `&mut`), fed
//! with padded integer batches, returning the first float output.

use super::runtime::open_session;
use super::ExecutionProvider;
use crate::{Error, Result};
use ort::session::Session;
use ort::value::Tensor;
use std::path::Path;
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
    pub fn pad(seqs: &[(Vec<u32>, Vec<u32>)], pad_id: u32, left: bool) -> Batch {
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

/// A loaded ONNX model.
pub(crate) struct OrtModel {
    session: Mutex<Session>,
    inputs: Vec<String>,
    output: String,
    provider: ExecutionProvider,
    last_columns: Option<Vec<usize>>,
}

impl OrtModel {
    /// Opens `path`, preferring the output named `want_output` when the model has it.
    pub fn open(
        path: &Path,
        providers: &[ExecutionProvider],
        intra_threads: Option<usize>,
        want_output: &str,
    ) -> Result<OrtModel> {
        let (session, provider) = open_session(path, providers, intra_threads)?;
        let inputs: Vec<String> = session
            .inputs()
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        let outputs: Vec<String> = session
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
        Ok(OrtModel {
            session: Mutex::new(session),
            inputs,
            output,
            provider,
            last_columns: None,
        })
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

    /// Runs one batch, feeding only the inputs the model declares.
    pub fn run(&self, batch: Batch) -> Result<Output> {
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
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Bug("a model session panicked earlier".into()))?;
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
        let seqs = vec![(vec![5, 6, 7], vec![0, 0, 1]), (vec![9], vec![])];
        let r = Batch::pad(&seqs, 0, false);
        assert_eq!((r.rows, r.cols), (2, 3));
        assert_eq!(r.ids, vec![5, 6, 7, 9, 0, 0]);
        assert_eq!(r.mask, vec![1, 1, 1, 1, 0, 0]);
        assert_eq!(r.type_ids, vec![0, 0, 1, 0, 0, 0]);
        let l = Batch::pad(&seqs, 2, true);
        assert_eq!(l.ids, vec![5, 6, 7, 2, 2, 9]);
        assert_eq!(l.mask, vec![1, 1, 1, 0, 0, 1]);
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
