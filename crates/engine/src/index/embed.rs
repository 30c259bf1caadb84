//! The embedding stage: passages lacking a vector for the current embedder
//! get one. It runs after the lexical write, so keyword search works while
//! embedding catches up, and it resumes by construction: whatever has no
//! vector yet is the work left.

use crate::engine::Engine;
use crate::progress::{CancelFlag, IndexingStep, Progress};
use crate::{Error, Result};

/// Passages read from the catalog at a time and sorted by length, so that
/// each model batch holds passages of nearly the same length: sorting within
/// 64 left a third of the computed tokens as padding, within 512 about 5%.
const EMBED_WINDOW: usize = 512;
/// Passages embedded per model call and per commit (progress and resume
/// granularity).
const EMBED_BATCH: usize = 64;

impl Engine {
    /// Computes embeddings for passages that lack them for the current model.
    /// Returns how many were embedded; nothing to do without an embedder.
    pub fn embed_missing(&self, progress: &dyn Progress, cancel: &CancelFlag) -> Result<u64> {
        let Some(embedder) = self.embedder() else {
            return Ok(0);
        };
        let model = embedder.id().to_string();
        // Every passage up to `floor` already has a vector (see
        // `Engine::embedded_floor`): only what came after is looked at, so a
        // watcher batch costs what it changed, not the whole corpus.
        let floor = self.embedded_floor(&model);
        let total = {
            let cat = self.catalog()?;
            let total = cat.count_missing_vectors(&model, floor)?;
            if total == 0 {
                self.set_embedded_floor(&model, cat.max_passage_id()?);
                return Ok(0);
            }
            total
        };
        let _span =
            tracing::info_span!(target: "index::embed", "embed", model = %model, total).entered();
        let mut done = 0u64;
        let mut after = floor;
        progress.report(&IndexingStep::Embedding { done, total });
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let mut window =
                self.catalog()?
                    .passages_missing_vectors(&model, after, EMBED_WINDOW)?;
            let Some(&(last, _)) = window.last() else {
                break;
            };
            after = last;
            // Length in bytes tracks length in tokens closely enough to group
            // neighbours; the embedder sorts each batch by real tokens.
            window.sort_by_key(|(_, t)| t.len());
            for batch in window.chunks(EMBED_BATCH) {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                let texts: Vec<&str> = batch.iter().map(|(_, t)| t.as_str()).collect();
                // The model runs without the catalog lock, so searches go on meanwhile.
                let vectors = embedder.embed_passages(&texts)?;
                let items: Vec<(i64, &[f32])> = batch
                    .iter()
                    .zip(&vectors)
                    .map(|((id, _), v)| (*id, v.as_slice()))
                    .collect();
                self.catalog()?.store_vectors(&model, &items)?;
                done += batch.len() as u64;
                progress.report(&IndexingStep::Embedding { done, total });
            }
        }
        // The pass reached the end: every passage up to the last one read
        // has a vector now. Only this thread (the writer) adds passages, and
        // new ones get higher ids, so that stays true.
        self.set_embedded_floor(&model, after);
        crate::vectors::trim_log(self.catalog()?.conn(), crate::vectors::LOG_KEEP)?;
        Ok(done)
    }
}
