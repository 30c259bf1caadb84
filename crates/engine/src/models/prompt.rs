//! mixedbread's v2 reranker prompt (Qwen chat format), built exactly as their
//! reference library builds it: each piece is tokenised on its own and the ids
//! are concatenated. Tokenising the whole string at once merges differently
//! at the piece boundaries and changes the scores.

use crate::{Error, Result};
use tokenizers::Tokenizer;

/// Opens the chat and the user turn.
pub const PREFIX: &str = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n";
/// Closes the user turn and opens the assistant's.
pub const SUFFIX: &str = "<|im_end|>\n<|im_start|>assistant\n";
/// The task line after the query and the document.
pub const TASK: &str = "You are a search relevance expert who evaluates how well documents match search queries. For each query-document pair, carefully analyze the semantic relationship between them, then provide your binary relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:";
/// Separates the pieces.
pub const SEP: &str = "\n";
/// The query may take at most this many tokens, as in the reference.
pub const MAX_QUERY_TOKENS: usize = 512;

/// The fixed pieces of the prompt, tokenised once.
#[derive(Debug, Clone)]
pub(crate) struct V2Prompt {
    prefix: Vec<u32>,
    sep: Vec<u32>,
    task: Vec<u32>,
    suffix: Vec<u32>,
    max_len: usize,
    yes: Option<u32>,
    no: Option<u32>,
}

fn ids(tok: &Tokenizer, text: &str) -> Result<Vec<u32>> {
    tok.encode(text, false)
        .map(|e| e.get_ids().to_vec())
        .map_err(|e| Error::Model(format!("tokenizer: {e}")))
}

impl V2Prompt {
    pub fn new(tok: &Tokenizer, max_len: usize) -> Result<V2Prompt> {
        Ok(V2Prompt {
            prefix: ids(tok, PREFIX)?,
            sep: ids(tok, SEP)?,
            task: ids(tok, TASK)?,
            suffix: ids(tok, SUFFIX)?,
            max_len,
            yes: tok.token_to_id("1"),
            no: tok.token_to_id("0"),
        })
    }

    fn fixed_len(&self) -> usize {
        self.prefix.len() + 2 * self.sep.len() + self.task.len() + self.suffix.len()
    }

    /// `prefix · "query: q" · \n · "document: d" · \n · task · suffix`, with the
    /// query then the document truncated so the whole fits `max_len`.
    pub fn encode(&self, tok: &Tokenizer, query: &str, doc: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        let mut q = ids(tok, &format!("query: {query}"))?;
        let room = self.max_len.saturating_sub(self.fixed_len());
        q.truncate(MAX_QUERY_TOKENS.min(room));
        let mut d = ids(tok, &format!("document: {doc}"))?;
        d.truncate(room.saturating_sub(q.len()));
        let mut out = Vec::with_capacity(self.fixed_len() + q.len() + d.len());
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(&q);
        out.extend_from_slice(&self.sep);
        out.extend_from_slice(&d);
        out.extend_from_slice(&self.sep);
        out.extend_from_slice(&self.task);
        out.extend_from_slice(&self.suffix);
        let types = vec![0; out.len()];
        Ok((out, types))
    }

    /// The vocabulary columns of "1" and "0", in that order: a causal LM's
    /// score is logit("1") − logit("0") at the last position.
    pub fn yes_no(&self) -> Option<Vec<usize>> {
        Some(vec![self.yes? as usize, self.no? as usize])
    }
}
