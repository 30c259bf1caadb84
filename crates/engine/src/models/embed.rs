//! The embedder: a BERT-family encoder (mxbai-embed-xsmall-v1) on ONNX
//! Runtime, pooled as its `1_Pooling/config.json` says and L2-normalised.

use super::folder::{read_json, ModelFolder};
use super::session::{plan_batches, Batch, OrtModel, Output};
use super::{Embedder, ModelOptions};
use crate::{Error, Result};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

/// Longest input fed to the embedder unless the options say otherwise.
/// mxbai-embed-xsmall-v1 declares 4K positions, but passages are chunked to
/// the reranker's 512 tokens, and attention cost grows with the square.
pub const EMBED_MAX_TOKENS: usize = 512;

/// Upper bound on `rows × cols²` of one embedder batch. Attention memory grows
/// with the square of the length: 32 rows of 512 tokens made ONNX Runtime's
/// arena grow past 2 GB while indexing. With one session per core running
/// side by side, 2^19 (2 rows of 512) still peaked at 632 MB for
/// `crumb index` on SciFact; this bound (1 row of 512, 4 of 256, 16 of 128)
/// costs no speed, since small batches stay in cache (docs/BENCHMARKS.md, "Embedding
/// throughput and memory").
const ATTENTION_BUDGET: usize = 1 << 18;

/// How token vectors become one passage vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the attended tokens (MiniLM-family default).
    Mean,
    /// The first (`[CLS]`) token.
    Cls,
    /// Element-wise maximum over the attended tokens.
    Max,
    /// Mean, times sqrt(length).
    MeanSqrtLen,
}

impl Pooling {
    /// Reads `1_Pooling/config.json` (sentence-transformers); mean when absent.
    pub fn from_folder(dir: &Path) -> Result<Pooling> {
        let path = dir.join("1_Pooling").join("config.json");
        if !path.is_file() {
            return Ok(Pooling::Mean);
        }
        let cfg = read_json(&path)?;
        let on = |k: &str| cfg.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        Ok(if on("pooling_mode_cls_token") {
            Pooling::Cls
        } else if on("pooling_mode_max_tokens") {
            Pooling::Max
        } else if on("pooling_mode_mean_sqrt_len_tokens") {
            Pooling::MeanSqrtLen
        } else {
            Pooling::Mean
        })
    }
}

/// An [`Embedder`] running an ONNX encoder.
pub struct OnnxEmbedder {
    id: String,
    model: OrtModel,
    tokenizer: Tokenizer,
    pooling: Pooling,
    max_len: usize,
    batch_size: usize,
    pad_id: u32,
    query_prefix: String,
    dim: usize,
}

impl OnnxEmbedder {
    /// Loads the encoder in `dir` with `opts`.
    pub fn load(dir: &Path, opts: &ModelOptions) -> Result<OnnxEmbedder> {
        let folder = ModelFolder::open(dir)?;
        let onnx = folder.onnx_file(&opts.variant, opts.wants_accelerator())?;
        let model = OrtModel::open(&onnx, &opts.providers, &opts.tuning(), "last_hidden_state")?;
        let max_len = opts
            .max_length
            .unwrap_or_else(|| folder.max_length(EMBED_MAX_TOKENS));
        let mut tokenizer = folder.tokenizer()?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                strategy: TruncationStrategy::LongestFirst,
                ..Default::default()
            }))
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        let dim = folder
            .config_u64("hidden_size")
            .map(|d| d as usize)
            .ok_or_else(|| {
                Error::Model(format!("{}: config.json has no hidden_size", dir.display()))
            })?;
        let pad_id = folder.pad_id(&tokenizer);
        let query_prefix = opts
            .query_prefix
            .clone()
            .or_else(|| super::manifest::query_prefix_for(&folder))
            .unwrap_or_default();
        let embedder = OnnxEmbedder {
            id: folder.model_id(&onnx),
            pooling: Pooling::from_folder(dir)?,
            max_len,
            batch_size: opts.batch_size.max(1),
            model,
            tokenizer,
            pad_id,
            query_prefix,
            dim,
        };
        tracing::info!(target: "models::embed", id = %embedder.id, provider = %embedder.model.provider(),
            max_len = embedder.max_len, pooling = ?embedder.pooling, "embedder loaded");
        Ok(embedder)
    }

    /// The longest input in tokens; longer texts are truncated.
    pub fn max_length(&self) -> usize {
        self.max_len
    }

    /// The prefix put before queries (empty for models without one).
    pub fn query_prefix(&self) -> &str {
        &self.query_prefix
    }

    fn tokenize(&self, text: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        // The tokenizer truncates (set up in `load`), re-adding [CLS]/[SEP]
        // around the kept tokens as the model was trained.
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        Ok((enc.get_ids().to_vec(), enc.get_type_ids().to_vec()))
    }

    /// Pools and normalises one batch's output.
    fn pool_batch(
        &self,
        batch_mask: &[i64],
        rows: usize,
        cols: usize,
        out: Output,
    ) -> Result<Vec<Vec<f32>>> {
        let mask = batch_mask;
        match out.shape.as_slice() {
            // Already pooled (a `sentence_embedding` export).
            [r, d] if *r == rows => Ok(out.data.chunks(*d).map(normalised).collect()),
            [r, c, d] if *r == rows && *c == cols => Ok((0..rows)
                .map(|i| {
                    let tokens = &out.data[i * c * d..(i + 1) * c * d];
                    normalised(&pool(self.pooling, tokens, &mask[i * c..(i + 1) * c], *d))
                })
                .collect()),
            other => Err(Error::Model(format!(
                "unexpected embedder output shape {other:?} for a {rows}x{cols} batch"
            ))),
        }
    }
}

/// Pools `[tokens, dim]` hidden states over the attended positions.
pub(crate) fn pool(mode: Pooling, hidden: &[f32], mask: &[i64], dim: usize) -> Vec<f32> {
    let mut acc = vec![0f32; dim];
    if mode == Pooling::Cls {
        acc.copy_from_slice(&hidden[..dim]);
        return acc;
    }
    if mode == Pooling::Max {
        acc.fill(f32::NEG_INFINITY);
    }
    let mut n = 0f32;
    for (row, _) in hidden.chunks_exact(dim).zip(mask).filter(|(_, &m)| m != 0) {
        n += 1.0;
        for (a, &h) in acc.iter_mut().zip(row) {
            if mode == Pooling::Max {
                *a = a.max(h);
            } else {
                *a += h;
            }
        }
    }
    if mode != Pooling::Max && n > 0.0 {
        let scale = if mode == Pooling::MeanSqrtLen {
            1.0 / n.sqrt()
        } else {
            1.0 / n
        };
        acc.iter_mut().for_each(|a| *a *= scale);
    }
    acc
}

/// The vector scaled to unit length (zero stays zero).
pub(crate) fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter().map(|x| x / norm).collect()
    } else {
        v.to_vec()
    }
}

impl Embedder for OnnxEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let seqs = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<Vec<_>>>()?;
        // Batching neighbours by real token length keeps padding, and wasted
        // FLOPs, small; the attention budget keeps memory bounded.
        let lens: Vec<usize> = seqs.iter().map(|s| s.0.len()).collect();
        let plan = plan_batches(&lens, self.batch_size, ATTENTION_BUDGET);
        let mut batches = Vec::with_capacity(plan.len());
        let mut masks = Vec::with_capacity(plan.len());
        for idx in &plan {
            let rows: Vec<_> = idx.iter().map(|&i| &seqs[i]).collect();
            let b = Batch::pad(&rows, self.pad_id, false);
            masks.push((b.mask.clone(), b.rows, b.cols));
            batches.push(b);
        }
        let outputs = self.model.run_all(batches, &|| false)?;
        let mut out = vec![Vec::new(); seqs.len()];
        for ((idx, (mask, rows, cols)), o) in plan.iter().zip(masks).zip(outputs) {
            for (&i, v) in idx.iter().zip(self.pool_batch(&mask, rows, cols, o)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        let text = format!("{}{text}", self.query_prefix);
        let seq = self.tokenize(&text)?;
        let batch = Batch::pad(&[&seq], self.pad_id, false);
        let (mask, rows, cols) = (batch.mask.clone(), batch.rows, batch.cols);
        // The query runs on the session kept for searches, never behind
        // the indexer's passages.
        let out = self.model.run_foreground(batch)?;
        self.pool_batch(&mask, rows, cols, out)?
            .pop()
            .ok_or_else(|| Error::Bug("no embedding for the query".into()))
    }

    fn provider(&self) -> String {
        self.model.provider().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pooling_ignores_padding_and_normalising_gives_unit_length() {
        let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let v = pool(Pooling::Mean, &hidden, &[1, 1, 0], 2);
        assert_eq!(v, vec![2.0, 3.0]);
        let n = normalised(&v);
        assert!((n.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(pool(Pooling::Cls, &hidden, &[1, 1, 0], 2), vec![1.0, 2.0]);
        assert_eq!(pool(Pooling::Max, &hidden, &[1, 1, 0], 2), vec![3.0, 4.0]);
    }
}
