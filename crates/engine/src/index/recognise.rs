//! The second indexing stage: text recognition (OCR) of the pages the first
//! stage left in the catalog's `ocr_pending` table.
//!
//! Why a second stage: OCR costs about a second a page on two cores, text
//! extraction a few milliseconds a file. In line, a folder of scans held up
//! keyword search of everything in the same batches; now the first stage
//! commits every file's text layer and name at once, and this stage fills
//! in recognised text behind it, like the trailing embedding queue
//! (`watch/embedding.rs`) fills in vectors.
//!
//! It works a few pages of one file at a time ([`PAGES_PER_STEP`]), in the
//! sandboxed extraction workers (their time and memory limits), and commits
//! each step as the first stage commits a batch: catalog first (passages
//! added, pages done, file unsynced), then tantivy, then synced. The queue
//! is the table, so a crash or kill resumes where it stopped, and a file
//! changed or deleted meanwhile takes its pages with it. The writer's lock
//! is held only to pick the next pages and to write what was read, never
//! around a model, so keyword batches of the watcher wait at most one write.

use super::{Failure, IndexReport};
use crate::catalog::{FileStatus, Recognised};
use crate::chunk::chunk;
use crate::engine::Engine;
use crate::extract::{ExtractError, ExtractedDoc, Source};
use crate::progress::{CancelFlag, IndexingStep, Progress};
use crate::{Error, Result};
use std::sync::atomic::Ordering;

/// Pages recognised per step: a step is the unit of progress, commit and
/// pause (a few seconds of work), and what a keyword batch waits for at most.
const PAGES_PER_STEP: usize = 4;

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecogniseStep {
    /// Pages taken off the queue (read, or given up on).
    pub pages: u64,
    /// Passages of recognised text added.
    pub passages: u64,
    /// Set when the file ended with no text at all, with the reason.
    pub ended_without_text: Option<(FileStatus, Failure)>,
}

impl Engine {
    /// Pages waiting for text recognition (the second stage's queue).
    pub fn pending_ocr_pages(&self) -> Result<u64> {
        self.reader()?.pending_ocr_count()
    }

    /// Pauses the second stage: [`Engine::recognise_pending`] returns after
    /// its current step and leaves the rest pending. Keyword indexing,
    /// embedding and search go on.
    pub fn pause_recognition(&self) {
        self.recognition_paused.store(true, Ordering::SeqCst);
    }

    /// Lets the second stage run again after [`Engine::pause_recognition`].
    pub fn resume_recognition(&self) {
        self.recognition_paused.store(false, Ordering::SeqCst);
    }

    /// Whether text recognition is on: in the options the engine was
    /// opened with, and not turned off since ([`Engine::set_recognition_enabled`]).
    pub fn recognition_enabled(&self) -> bool {
        self.sandbox.ocr_enabled()
    }

    /// Turns text recognition off (or back on) for the second stage: off,
    /// images and scanned pages are still listed as waiting, as with
    /// `crumb index --no-ocr`, and nothing is read until it is on again
    /// (then they are, without re-indexing the files).
    pub fn set_recognition_enabled(&self, on: bool) {
        self.sandbox.set_ocr_enabled(on);
    }

    /// Whether the second stage is paused.
    pub fn recognition_paused(&self) -> bool {
        self.recognition_paused.load(Ordering::SeqCst)
    }

    /// Runs the second stage until no page waits, it is paused (the rest
    /// stays pending) or `cancel` is set ([`Error::Cancelled`]). Reports
    /// [`IndexingStep::Recognising`] after each step. Does nothing when
    /// text recognition is turned off.
    pub fn recognise_pending(
        &self,
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        let mut report = IndexReport::default();
        let mut left = self.pending_ocr_pages()?;
        report.ocr_pending = left;
        if left == 0 || !self.recognition_enabled() {
            return Ok(report);
        }
        let mut done = 0u64;
        let _span = tracing::info_span!(target: "index::ocr", "recognise", pages = left).entered();
        progress.report(&IndexingStep::Recognising { done, left });
        let mut added = false;
        while !self.recognition_paused() {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let Some(step) = self.recognise_step()? else {
                break;
            };
            done += step.pages;
            added |= step.passages > 0;
            report.recognised_pages += step.pages;
            report.passages += step.passages;
            if let Some((status, failure)) = step.ended_without_text {
                // The first stage counted it as indexed (by name, text to
                // come): `IndexReport::indexed_lost` takes it back.
                match status {
                    FileStatus::Failed => report.failed += 1,
                    _ => report.skipped += 1,
                }
                report.failures.push(failure);
            }
            left = self.pending_ocr_pages()?;
            progress.report(&IndexingStep::Recognising { done, left });
        }
        report.ocr_pending = left;
        if added {
            self.lexical.merge_small_segments()?;
        }
        Ok(report)
    }

    /// One step of the second stage: the next few waiting pages of one file
    /// are recognised and committed. `None` when no page waits.
    pub fn recognise_step(&self) -> Result<Option<RecogniseStep>> {
        let (file, pages) = {
            let cat = self.catalog()?;
            let Some((id, pages)) = cat.next_pending_ocr(PAGES_PER_STEP)? else {
                return Ok(None);
            };
            match cat.file_by_id(id)? {
                Some(f) => (f, pages),
                None => {
                    cat.drop_pending_ocr(id)?;
                    return Ok(Some(RecogniseStep::default()));
                }
            }
        };
        // The bytes are read and checked against the hash the pages were
        // found in: a file changed since is re-indexed by the watcher or the
        // next run, which records its pages afresh.
        let bytes = std::fs::read(&file.path).ok();
        let fresh = bytes
            .as_deref()
            .map(|b| blake3::hash(b).to_hex().to_string())
            .filter(|h| file.hash.as_deref() == Some(h.as_str()));
        let (Some(bytes), Some(hash)) = (bytes, fresh) else {
            tracing::debug!(target: "index::ocr", path = %file.path, "changed or gone since its first stage; its pages wait for its re-index");
            self.catalog()?.drop_pending_ocr(file.id)?;
            return Ok(Some(RecogniseStep::default()));
        };
        let name = std::path::Path::new(&file.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = self.sandbox.recognise_pages(
            Source::Bytes(&bytes),
            file.kind,
            &name,
            &self.opts.limits,
            &pages,
        );
        let (doc, if_empty) = match outcome {
            Ok(doc) => (
                doc,
                (
                    FileStatus::Skipped,
                    ExtractError::NoText(format!(
                        "no text recognised in this {} (scanned or image-only)",
                        file.kind
                    ))
                    .to_string(),
                ),
            ),
            Err(e) => {
                tracing::info!(target: "index::ocr", path = %file.path, reason = %e, "pages not recognised");
                (
                    ExtractedDoc::default(),
                    (super::status_of(&e), e.to_string()),
                )
            }
        };
        // Pages the budget left unread stay queued; the first page of a
        // request is always attempted, so every step makes progress.
        let mut done: Vec<u32> = pages
            .iter()
            .copied()
            .filter(|p| !doc.pending_ocr.contains(p))
            .collect();
        if done.is_empty() {
            done = pages.clone();
        }
        let passages = chunk(
            &ExtractedDoc {
                blocks: doc.blocks,
                ..Default::default()
            },
            &self.opts.chunk,
        );
        let mut cat = self.catalog()?;
        let written = cat.add_recognised(&Recognised {
            file_id: file.id,
            hash: &hash,
            passages: &passages,
            done: &done,
            if_empty: (if_empty.0, if_empty.1.as_str()),
        })?;
        if !written {
            cat.drop_pending_ocr(file.id)?;
            return Ok(Some(RecogniseStep::default()));
        }
        super::sync::sync_files(&mut cat, &self.lexical, &[file.id], &[])?;
        let ended = cat
            .file_by_id(file.id)?
            .filter(|f| f.status != FileStatus::Indexed)
            .map(|f| {
                (
                    f.status,
                    Failure {
                        path: f.path,
                        reason: f.reason.unwrap_or_default(),
                    },
                )
            });
        Ok(Some(RecogniseStep {
            pages: done.len() as u64,
            passages: passages.len() as u64,
            ended_without_text: ended,
        }))
    }
}
