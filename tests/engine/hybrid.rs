//! Retrieval through the engine with real models: vectors find by meaning,
//! fusion keeps both lists, the reranker's scores reach the hits, and
//! embedding resumes after a crash.

use crate::common::*;
use crate::support::{have, minilm_dir, shared_models};
use crumb_engine::models::{load_embedder, load_reranker, ExecutionProvider};
use crumb_engine::{Mode, SearchRequest};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn corpus(root: &std::path::Path) {
    write(
        root,
        "car.txt",
        "The automobile would not start because the battery was flat.",
    );
    write(
        root,
        "garden.txt",
        "Tomatoes need full sun and regular watering in summer.",
    );
    write(
        root,
        "tax.txt",
        "Submit the income declaration to the revenue office before April.",
    );
}

#[test]
fn vector_search_finds_by_meaning_where_keywords_miss() {
    if !have(&minilm_dir()) {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    corpus(docs.path());
    let e = engine(data.path());
    let emb = load_embedder(&minilm_dir(), ExecutionProvider::Cpu).unwrap();
    e.set_embedder(Some(Arc::from(emb)));
    let r = index(&e, docs.path());
    assert_eq!(r.embedded, 3);
    let st = e.status().unwrap();
    assert_eq!(st.vectors, st.passages);
    assert_eq!(st.models[0].provider, "cpu");

    let q = "my vehicle engine has trouble";
    assert!(search(&e, q).is_empty(), "no keyword overlap");
    let vec_hits = e
        .search(&SearchRequest::new(q).with_mode(Mode::Vector))
        .unwrap();
    assert_eq!(names(&vec_hits)[0], "car.txt");
    let hybrid = e.search(&SearchRequest::new(q)).unwrap();
    assert_eq!(names(&hybrid)[0], "car.txt");
    assert_eq!(hybrid[0].details.vector_rank, Some(1));
    assert_eq!(hybrid[0].details.bm25_rank, None);

    // Both lists contribute: a keyword hit carries both ranks.
    let both = e.search(&SearchRequest::new("tomatoes watering")).unwrap();
    assert_eq!(names(&both)[0], "garden.txt");
    assert_eq!(both[0].details.bm25_rank, Some(1));
    assert_eq!(both[0].details.vector_rank, Some(1));
}

/// The golden tiny DeBERTa reranker (random weights: for the scoring path).
fn tiny_reranker() -> Arc<dyn crumb_engine::models::Reranker> {
    let tiny = shared_models().join("tiny-deberta-v3-rerank");
    Arc::from(load_reranker(tiny.to_str().unwrap(), ExecutionProvider::Cpu).unwrap())
}

/// An engine over `n` notes, or None (skipped) without the tiny reranker.
fn indexed_notes(
    n: usize,
    text: impl Fn(usize) -> String,
) -> Option<(crumb_engine::Engine, [tempfile::TempDir; 2])> {
    if !have(&shared_models().join("tiny-deberta-v3-rerank")) {
        return None;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..n {
        write(docs.path(), &format!("n{i}.txt"), text(i));
    }
    let e = engine(data.path());
    index(&e, docs.path());
    Some((e, [docs, data]))
}

#[test]
fn reranker_scores_order_the_hits_and_show_in_details() {
    let Some((e, _dirs)) = indexed_notes(8, |i| format!("shared word note {i} {}", "x ".repeat(i)))
    else {
        return;
    };
    let plain = search(&e, "shared word");
    assert!(plain.iter().all(|h| h.details.rerank_score.is_none()));
    e.set_reranker(Some(tiny_reranker()));
    let hits = e
        .search(&SearchRequest::new("shared word").with_mode(Mode::Bm25))
        .unwrap();
    assert_eq!(hits.len(), 8);
    let scores: Vec<f32> = hits
        .iter()
        .map(|h| h.details.rerank_score.unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "sorted by rerank score: {scores:?}"
    );
    assert!(hits
        .iter()
        .all(|h| h.score == h.details.rerank_score.unwrap()));
    // Switching reranking off per request restores the fused order.
    let off = e
        .search(
            &SearchRequest::new("shared word")
                .with_mode(Mode::Bm25)
                .with_rerank(false),
        )
        .unwrap();
    assert_eq!(names(&off), names(&plain));
}

#[test]
fn killed_while_embedding_resumes_to_a_vector_for_every_passage() {
    if !have(&minilm_dir()) {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..400 {
        write(
            docs.path(),
            &format!("f{i}.txt"),
            format!("Note {i} about subject {} and more text.", i % 13),
        );
    }
    let minilm = minilm_dir();
    let args = |d: &std::path::Path| {
        let mut c = Command::new(crumb_bin());
        c.arg("--data-dir").arg(d).arg("index").arg(docs.path());
        c.arg("--embedder").arg(&minilm);
        c
    };
    let mut child = args(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut killed = false;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let vectors =
            crumb_engine::catalog::Catalog::open_read_only(&data.path().join("catalog.sqlite"))
                .and_then(|c| c.vector_count(None))
                .unwrap_or(0);
        if vectors > 0 {
            child.kill().unwrap();
            child.wait().unwrap();
            killed = true;
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(killed, "embedding finished before the kill");
    let st = crumb_json(data.path(), &["status", "--json", "--reranker", "none"]);
    assert!(st["vectors"].as_u64().unwrap() < st["passages"].as_u64().unwrap());

    assert!(args(data.path()).output().unwrap().status.success());
    let st = crumb_json(data.path(), &["status", "--json", "--reranker", "none"]);
    assert_eq!(st["vectors"], st["passages"]);
    assert_eq!(st["models"][0]["role"], "embedder");
    // The index remembers its embedder: vector search needs no flag.
    let hits = crumb_json(
        data.path(),
        &[
            "search",
            "subject 7",
            "--json",
            "--mode",
            "vector",
            "--reranker",
            "none",
        ],
    );
    assert_eq!(hits.as_array().unwrap().len(), 10);
}

#[test]
fn a_search_overtaken_while_reranking_stops_early() {
    let Some((e, _dirs)) = indexed_notes(20, |i| format!("common words {i}")) else {
        return;
    };
    // One session, so batches run one after another and the count is exact.
    let tiny = shared_models().join("tiny-deberta-v3-rerank");
    let one = crumb_engine::models::load_reranker_with(
        tiny.to_str().unwrap(),
        None,
        &crumb_engine::models::ModelOptions::new(ExecutionProvider::Cpu).with_sessions(1),
    )
    .unwrap();
    e.set_reranker(Some(Arc::from(one)));
    let req = SearchRequest::new("common words").with_mode(Mode::Bm25);
    // The caller learns of a newer keystroke after the first batch.
    let checks = std::sync::atomic::AtomicUsize::new(0);
    let stop = || checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 1;
    let r = e.search_cancellable(&req, &stop);
    assert!(matches!(r, Err(crumb_engine::Error::Cancelled)), "{r:?}");
    assert_eq!(
        checks.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "checked on entering the rerank stage, then stopped before the first model run"
    );
    // Not overtaken: the whole top is reranked.
    let hits = e.search_cancellable(&req, &|| false).unwrap();
    assert!(hits.iter().all(|h| h.details.rerank_score.is_some()));
}
