//! Cross-encoder rerankers on ONNX Runtime. The scoring path comes from
//! `config.json`'s `model_type`:
//! - `deberta-v2` (mxbai-rerank-*-v1): (query, passage) pairs through the
//!   tokenizer's pair template, truncated longest-first, one logit;
//! - `qwen2` (mxbai-rerank-*-v2): mixedbread's chat prompt, left padding, and
//!   at the last token either the one logit of a sequence-classifier export
//!   or logit("1") − logit("0") of the causal-LM export (see [`super::prompt`]).

use super::folder::ModelFolder;
use super::prompt::V2Prompt;
use super::session::{plan_batches, Batch, OrtModel};
use super::ExecutionProvider;
use super::{ModelOptions, RerankScore, Reranker};
use crate::{Error, Result};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

/// Longest v1 input: DeBERTa-v3 rerankers were trained on 512 tokens.
pub const V1_MAX_TOKENS: usize = 512;
/// Longest v2 input, as mixedbread's reference library caps it.
pub const V2_MAX_TOKENS: usize = 8192;

/// Pairs per model run on a CPU. With one single-threaded session per core,
/// unpadded single pairs spread best over the cores (docs/BENCHMARKS.md,
/// "Reranking the search path's own pairs"); an accelerator gets `ModelOptions::batch_size`.
const CPU_ROWS: usize = 1;
/// Most pairs per run of a causal (v2) export, whose full-vocabulary logits
/// grow with rows × tokens.
const V2_MAX_ROWS: usize = 4;
/// Upper bound on `rows × cols²` of one batch (attention memory).
const ATTENTION_BUDGET: usize = 1 << 20;

/// Which scoring recipe a reranker follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerankKind {
    /// DeBERTa-v2 sequence classifier over (query, passage) pairs.
    CrossEncoderV1,
    /// Qwen2 with mixedbread's relevance prompt.
    QwenV2,
}

impl RerankKind {
    /// The recipe for a `config.json` `model_type`.
    pub fn from_model_type(model_type: &str) -> Result<RerankKind> {
        match model_type {
            "deberta-v2" | "deberta" | "bert" | "xlm-roberta" | "roberta" | "electra" => {
                Ok(RerankKind::CrossEncoderV1)
            }
            "qwen2" => Ok(RerankKind::QwenV2),
            other => Err(Error::Model(format!(
                "unsupported reranker model_type {other:?} (expected deberta-v2 or qwen2)"
            ))),
        }
    }
}

/// A [`Reranker`] running an ONNX cross-encoder.
pub struct OnnxReranker {
    id: String,
    kind: RerankKind,
    model: OrtModel,
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation, for token spans of passages.
    plain: Tokenizer,
    prompt: Option<V2Prompt>,
    max_len: usize,
    batch_size: usize,
    pad_id: u32,
}

impl OnnxReranker {
    /// Loads the reranker in `dir` with `opts`.
    pub fn load(dir: &Path, opts: &ModelOptions) -> Result<OnnxReranker> {
        let folder = ModelFolder::open(dir)?;
        let kind = RerankKind::from_model_type(folder.model_type())?;
        let onnx = folder.onnx_file(&opts.variant, opts.wants_accelerator())?;
        let mut model = OrtModel::open(&onnx, &opts.providers, &opts.tuning(), "logits")?;
        let mut tokenizer = folder.tokenizer()?;
        let plain = tokenizer.clone();
        let cap = match kind {
            RerankKind::CrossEncoderV1 => V1_MAX_TOKENS,
            RerankKind::QwenV2 => V2_MAX_TOKENS,
        };
        let max_len = opts.max_length.unwrap_or_else(|| folder.max_length(cap));
        let pad_id = folder.pad_id(&tokenizer);
        let prompt = match kind {
            RerankKind::CrossEncoderV1 => {
                tokenizer
                    .with_truncation(Some(TruncationParams {
                        max_length: max_len,
                        strategy: TruncationStrategy::LongestFirst,
                        ..Default::default()
                    }))
                    .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
                None
            }
            RerankKind::QwenV2 => Some(V2Prompt::new(&tokenizer, max_len)?),
        };
        let batch_size = if model.provider() == ExecutionProvider::Cpu {
            CPU_ROWS
        } else {
            opts.batch_size.max(1)
        };
        if let Some(yes_no) = prompt.as_ref().and_then(V2Prompt::yes_no) {
            model = model.last_position_only(yes_no);
        }
        let reranker = OnnxReranker {
            id: folder.model_id(&onnx),
            kind,
            model,
            tokenizer,
            plain,
            prompt,
            max_len,
            batch_size,
            pad_id,
        };
        // The first run of a session allocates and plans; pay for it here,
        // not in the first search.
        reranker.warm_up()?;
        tracing::info!(target: "models::rerank", id = %reranker.id, kind = ?kind,
            provider = %reranker.model.provider(), max_len, "reranker loaded");
        Ok(reranker)
    }

    fn warm_up(&self) -> Result<()> {
        let seq = self.encode_pair("warm up", "warm up")?;
        self.model
            .warm_up(|| Batch::pad(&[&seq], self.pad_id, self.kind == RerankKind::QwenV2))
    }

    /// The scoring recipe in use.
    pub fn kind(&self) -> RerankKind {
        self.kind
    }

    /// The longest input in tokens.
    pub fn max_length(&self) -> usize {
        self.max_len
    }

    /// The token ids the model sees for one (query, passage) pair, before
    /// padding: for checking tokenisation against a reference.
    pub fn tokenize_pair(&self, query: &str, passage: &str) -> Result<Vec<u32>> {
        Ok(self.encode_pair(query, passage)?.0)
    }

    /// Token ids (and type ids) for one pair, ready to pad.
    fn encode_pair(&self, query: &str, passage: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        match &self.prompt {
            Some(prompt) => prompt.encode(&self.tokenizer, query, passage),
            None => {
                let enc = self
                    .tokenizer
                    .encode((query, passage), true)
                    .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
                Ok((enc.get_ids().to_vec(), enc.get_type_ids().to_vec()))
            }
        }
    }

    /// Scores every passage against `query` in one padded model run,
    /// whatever the batch size: for checking padding against a reference.
    pub fn score_padded(&self, query: &str, passages: &[&str]) -> Result<Vec<f32>> {
        let seqs = passages
            .iter()
            .map(|p| self.encode_pair(query, p))
            .collect::<Result<Vec<_>>>()?;
        let rows: Vec<_> = seqs.iter().collect();
        let batch = Batch::pad(&rows, self.pad_id, self.kind == RerankKind::QwenV2);
        let n = batch.rows;
        let out = self.model.run(batch)?;
        self.logits(n, out)
    }

    /// Logits of one model run's output of `rows` pairs.
    fn logits(&self, rows: usize, out: super::session::Output) -> Result<Vec<f32>> {
        match out.shape.as_slice() {
            // A sequence classifier: one logit per row.
            [r, 1] if *r == rows => Ok(out.data),
            [r] if *r == rows => Ok(out.data),
            // A causal LM head, which the session reduced to logit("1") and
            // logit("0") at the last position (left padding puts every row's
            // last token there): their difference.
            [r, 1, 2]
                if *r == rows && self.prompt.as_ref().and_then(V2Prompt::yes_no).is_some() =>
            {
                Ok(out.data.chunks_exact(2).map(|p| p[0] - p[1]).collect())
            }
            [r, _, _] if *r == rows => Err(Error::Model(
                "a language-model output needs the v2 prompt and \"1\"/\"0\" tokens".into(),
            )),
            other => Err(Error::Model(format!(
                "unexpected reranker output shape {other:?} for {rows} pairs"
            ))),
        }
    }
}

impl Reranker for OnnxReranker {
    fn id(&self) -> &str {
        &self.id
    }

    fn score_cancellable(
        &self,
        query: &str,
        passages: &[&str],
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Vec<RerankScore>> {
        let seqs = passages
            .iter()
            .map(|p| self.encode_pair(query, p))
            .collect::<Result<Vec<_>>>()?;
        let lens: Vec<usize> = seqs.iter().map(|s| s.0.len()).collect();
        // A causal export computes `[rows, cols, vocab]` logits (about 600 KB
        // per token for Qwen's vocabulary) before Crumb reads two of them, so
        // v2 batches stay small whatever the accelerator allows.
        let rows = match self.kind {
            RerankKind::QwenV2 => self.batch_size.min(V2_MAX_ROWS),
            RerankKind::CrossEncoderV1 => self.batch_size,
        };
        let plan = plan_batches(&lens, rows, ATTENTION_BUDGET);
        let left = self.kind == RerankKind::QwenV2;
        let batches: Vec<Batch> = plan
            .iter()
            .map(|idx| {
                let rows: Vec<_> = idx.iter().map(|&i| &seqs[i]).collect();
                Batch::pad(&rows, self.pad_id, left)
            })
            .collect();
        let outputs = self.model.run_all(batches, should_stop)?;
        let mut out = vec![RerankScore::from_logit(0.0); seqs.len()];
        for (idx, o) in plan.iter().zip(outputs) {
            for (&i, logit) in idx.iter().zip(self.logits(idx.len(), o)?) {
                out[i] = RerankScore::from_logit(logit);
            }
        }
        Ok(out)
    }

    fn token_spans(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        let enc = self.plain.encode(text, false).ok()?;
        Some(enc.get_offsets().to_vec())
    }

    fn query_tokens(&self, query: &str) -> usize {
        // The pair with an empty passage: the query, the special tokens and,
        // for v2, the whole prompt.
        self.encode_pair(query, "")
            .map(|(ids, _)| ids.len())
            .unwrap_or_else(|_| crate::chunk::estimate_tokens(query) + 4)
    }

    fn max_length(&self) -> usize {
        self.max_len
    }

    fn provider(&self) -> String {
        self.model.provider().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_follows_model_type() {
        assert_eq!(
            RerankKind::from_model_type("deberta-v2").ok(),
            Some(RerankKind::CrossEncoderV1)
        );
        assert_eq!(
            RerankKind::from_model_type("qwen2").ok(),
            Some(RerankKind::QwenV2)
        );
        assert!(RerankKind::from_model_type("llama").is_err());
    }
}
