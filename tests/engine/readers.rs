//! One writer, readers on snapshots: a search never waits for the writer.
//! Shown by ordering, not timing: the writer's lock is held while a search
//! runs on another thread, and the search must come back before it is let go.

use crate::common::*;
use crate::support::{have, minilm_dir};
use crumb_engine::models::{load_embedder, ExecutionProvider};
use crumb_engine::vectors::{Quantization, VectorSnapshot};
use crumb_engine::{Engine, Hit, Mode, SearchRequest};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Runs `req` on another thread while this one holds the writer's lock, and
/// returns its hits; fails (instead of hanging) if the search waits for it.
fn search_while_writer_held(e: &Engine, req: &SearchRequest) -> Vec<Hit> {
    std::thread::scope(|s| {
        let held = e.hold_writer_for_test().expect("writer lock");
        let (tx, rx) = mpsc::channel();
        s.spawn(move || {
            let _ = tx.send(e.search(req));
        });
        let got = rx.recv_timeout(Duration::from_secs(120));
        // Let go before failing, so a search stuck on the lock can finish
        // and the scope can end.
        drop(held);
        got.expect("the search waited for the writer's lock")
            .expect("search")
    })
}

/// Two notes with no word in common, in a new index (with the real MiniLM
/// embedder when `meaning`): the docs folder, the data dir, the engine.
/// None only where a documented opt-out lets a missing model skip.
fn two_notes(meaning: bool) -> Option<(tempfile::TempDir, tempfile::TempDir, Engine)> {
    if meaning && !have(&minilm_dir()) {
        return None;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "ferns.txt", "Ferns like rain water and shade.");
    write(
        docs.path(),
        "bread.txt",
        "Sourdough needs a lively starter.",
    );
    let e = engine(data.path());
    if meaning {
        let emb = load_embedder(&minilm_dir(), ExecutionProvider::Cpu).expect("embedder");
        e.set_embedder(Some(Arc::from(emb)));
    }
    Some((docs, data, e))
}

#[test]
fn a_keyword_search_answers_while_the_writer_holds_its_lock() {
    let (docs, _data, e) = two_notes(false).expect("no model needed");
    index(&e, docs.path());
    let hits = search_while_writer_held(&e, &SearchRequest::new("ferns").with_rerank(false));
    assert_eq!(names(&hits), ["ferns.txt"]);
}

#[test]
fn a_meaning_search_answers_while_the_writer_holds_its_lock() {
    let Some((docs, _data, e)) = two_notes(true) else {
        return;
    };
    index(&e, docs.path());
    // No shared word: only the vectors can find it, and the first vector
    // search loads the vector index, through a reader.
    let req = SearchRequest::new("baking loaves at home")
        .with_mode(Mode::Vector)
        .with_rerank(false);
    let hits = search_while_writer_held(&e, &req);
    assert_eq!(names(&hits).first().map(String::as_str), Some("bread.txt"));
}

#[test]
fn passages_of_a_changed_or_new_file_are_embedded_on_the_next_pass() {
    // The embedding pass only looks past the last passage it knows has a
    // vector; a changed file's passages get new ids, so they must still be
    // found, and nothing already embedded may be counted again.
    let Some((docs, data, e)) = two_notes(true) else {
        return;
    };
    assert_eq!(index(&e, docs.path()).embedded, 2);
    assert_eq!(index(&e, docs.path()).embedded, 0, "nothing new to embed");
    let req = SearchRequest::new("cycling preparation")
        .with_mode(Mode::Vector)
        .with_rerank(false);
    // Loads the vector index, which the writes below must make stale.
    assert!(!names(&e.search(&req).unwrap()).contains(&"bikes.txt".to_string()));
    // Rewrite one file (a new size, so it is re-read) and add another.
    write(
        docs.path(),
        "ferns.txt",
        "Ferns like rain water, shade and a humid bathroom shelf.",
    );
    write(
        docs.path(),
        "bikes.txt",
        "Pump the bicycle tyres before the trip.",
    );
    assert_eq!(index(&e, docs.path()).embedded, 2);
    let st = e.status().unwrap();
    assert_eq!(st.vectors, st.passages, "every passage has its vector");
    assert_eq!(
        names(&e.search(&req).unwrap()).first().map(String::as_str),
        Some("bikes.txt")
    );
    // The snapshot searches used caught up from the vector log (the old
    // ferns passage gone, two new ones in) and equals a fresh load.
    let model = e.embedder().expect("embedder").id().to_string();
    let live = e.vector_snapshot(&model).expect("snapshot");
    let conn = rusqlite::Connection::open(data.path().join("catalog.sqlite")).expect("catalog");
    let fresh = VectorSnapshot::load(&conn, &model, Quantization::Int8).expect("fresh");
    assert_eq!(live.len(), 3);
    assert_eq!(live.live_rows(), fresh.live_rows());
    assert!(live.segment_count() > 1, "caught up rather than reloaded");
    // The writer's first full load left a copy on disk for the next start
    // (written off the search path, so wait for it), which restores the
    // same vectors once caught up.
    let copy = crumb_engine::vectors::snapshot_path(data.path(), &model);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !copy.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let uid: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'catalog_uid'",
            [],
            |r| r.get(0),
        )
        .expect("uid");
    let (restored, _) = VectorSnapshot::load_persisted(&conn, &copy, &model, &uid)
        .expect("read")
        .expect("the writer wrote a usable copy");
    assert_eq!(restored.live_rows(), fresh.live_rows());
}
