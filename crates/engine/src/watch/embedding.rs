//! The trailing embedding queue: batches commit their keyword changes and
//! return at once; this thread then gives the new passages their vectors.
//!
//! Why: with embedding inside the batch, a burst of edits made every next
//! batch wait for the model (one batch committed per minute under sustained
//! edits), so a saved file took that long to be found even by its words.
//! Now keyword freshness is the batch's own cost. The queue is the catalog
//! itself: whatever passage has no vector is the work, so repeated edits of
//! one file coalesce by construction (a superseded passage is deleted before
//! it is embedded and never costs a model call). The writer is still one
//! connection: both threads take the engine's writer lock only to read a
//! window or store vectors, never around a model call.
//!
//! The same thread runs the second indexing stage, text recognition (OCR),
//! one step (a few pages of one file) at a time, and only when keyword work
//! is idle: no batch running or waiting, no passage waiting for a vector.
//! Between steps it looks again, so a saved file's keyword commit waits at
//! most for one step's write, never for a folder of scans.

use super::worker::{lower_priority, SharedOnEvent};
use super::{Inner, Shared, WatchEvent, WatchPhase};
use crate::engine::Engine;
use crate::progress::NoProgress;
use crate::{Error, Result};
use std::sync::Arc;
use std::thread::JoinHandle;

pub(crate) fn spawn(
    engine: Arc<Engine>,
    shared: Arc<Shared>,
    on_event: SharedOnEvent,
    low_priority: bool,
) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("crumb-embed".into())
        .spawn(move || {
            if low_priority {
                lower_priority();
            }
            run(&engine, &shared, &on_event)
        })
        .map_err(|e| Error::io("start the embedding thread", e))
}

/// What the thread does next.
enum Work {
    Embed,
    Recognise,
}

/// Vectors first (they follow keyword commits closely), then text
/// recognition, and that only while the keyword side has nothing to do.
fn next_work(inner: &Inner, engine: &Engine) -> Option<Work> {
    if inner.status.paused {
        return None;
    }
    if inner.embed_due {
        return Some(Work::Embed);
    }
    let keyword_idle = inner.status.phase == WatchPhase::Watching
        && !inner.status.busy
        && inner.pending.len() == 0;
    (inner.ocr_due && keyword_idle && !inner.status.ocr_paused && engine.recognition_enabled())
        .then_some(Work::Recognise)
}

fn run(engine: &Engine, shared: &Shared, on_event: &SharedOnEvent) {
    loop {
        let work = {
            let mut inner = shared.lock();
            loop {
                if inner.stop {
                    return;
                }
                if let Some(w) = next_work(&inner, engine) {
                    // Marked under the lock that chose it: a pause that
                    // takes the lock after this sees the step in flight.
                    if matches!(w, Work::Recognise) {
                        inner.status.recognising = true;
                    }
                    break w;
                }
                inner = shared.wake.wait(inner).unwrap_or_else(|p| p.into_inner());
            }
        };
        match work {
            Work::Embed => embed(engine, shared, on_event),
            Work::Recognise => recognise(engine, shared, on_event),
        }
    }
}

/// One step of text recognition, then the count of pages left. A step that
/// a pause came during always ends in an event, so an owner waiting for the
/// pause to take hold hears it.
fn recognise(engine: &Engine, shared: &Shared, on_event: &SharedOnEvent) {
    let step = engine.recognise_step();
    let left = engine.pending_ocr_pages();
    let mut inner = shared.lock();
    inner.status.recognising = false;
    if let Ok(n) = left {
        inner.status.ocr_pending = n;
    }
    match step {
        Ok(Some(step)) => {
            if step.passages > 0 && engine.embedder().is_some() {
                inner.embed_due = true;
                inner.status.embedding = true;
            }
            let left = inner.status.ocr_pending;
            drop(inner);
            (on_event)(&WatchEvent::Recognised {
                pages: step.pages,
                left,
            });
        }
        Ok(None) => {
            inner.ocr_due = false;
            inner.status.ocr_pending = 0;
            // Nothing was read, and nothing is said (this look follows every
            // batch), unless a pause came during it and waits to hear.
            let paused = inner.status.ocr_paused;
            drop(inner);
            if paused {
                (on_event)(&WatchEvent::Recognised { pages: 0, left: 0 });
            }
        }
        Err(e) => {
            // Not retried in a loop (a broken disk would spin): the next
            // batch or a resume tries again.
            inner.ocr_due = false;
            drop(inner);
            tracing::warn!(target: "watch", error = %e, "text recognition failed");
            let wire = e.to_wire();
            shared.lock().status.last_error = Some(wire.clone());
            (on_event)(&WatchEvent::Error { error: wire });
        }
    }
}

fn embed(engine: &Engine, shared: &Shared, on_event: &SharedOnEvent) {
    {
        let mut inner = shared.lock();
        inner.embed_due = false;
        inner.status.embedding = true;
        // Reset under the lock, so a pause or stop cannot slip in between.
        shared.embed_cancel.reset();
    }
    let result = engine.embed_missing(&NoProgress, &shared.embed_cancel);
    let mut inner = shared.lock();
    match result {
        Ok(n) => {
            inner.status.embedding = inner.embed_due;
            drop(inner);
            if n > 0 {
                tracing::info!(target: "watch", passages = n, "embedded");
                (on_event)(&WatchEvent::Embedded { passages: n });
            }
        }
        // Paused or stopping: what was stored stays; the rest is still
        // without a vector and is picked up on resume (or next start).
        Err(Error::Cancelled) => {
            inner.embed_due = true;
        }
        Err(e) => {
            // Not retried in a loop (a broken model would spin): the next
            // batch tries again.
            inner.status.embedding = inner.embed_due;
            drop(inner);
            tracing::warn!(target: "watch", error = %e, "embedding failed");
            let wire = e.to_wire();
            shared.lock().status.last_error = Some(wire.clone());
            (on_event)(&WatchEvent::Error { error: wire });
        }
    }
}
