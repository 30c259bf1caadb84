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

use super::worker::{lower_priority, SharedOnEvent};
use super::{Shared, WatchEvent};
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

fn run(engine: &Engine, shared: &Shared, on_event: &SharedOnEvent) {
    loop {
        {
            let mut inner = shared.lock();
            while !inner.stop && (inner.status.paused || !inner.embed_due) {
                inner = shared.wake.wait(inner).unwrap_or_else(|p| p.into_inner());
            }
            if inner.stop {
                return;
            }
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
}
