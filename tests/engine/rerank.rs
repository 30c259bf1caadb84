//! The rerank stage on real models: what the cross-encoder reads (query-
//! focused windows in the model's own tokens, one slot per file), progressive
//! depth, and the score cache.

use crate::common::*;
use crate::support::{have, shared_models};
use crumb_engine::models::{
    load_reranker_with, ExecutionProvider, ModelOptions, RerankScore, Reranker,
};
use crumb_engine::search::SearchStage;
use crumb_engine::{Mode, SearchRequest};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokenizers::Tokenizer;

/// A real reranker that counts the pairs it is asked to score.
struct Counting {
    inner: Box<dyn Reranker>,
    pairs: AtomicUsize,
}

impl Reranker for Counting {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn score_cancellable(
        &self,
        query: &str,
        passages: &[&str],
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> crumb_engine::Result<Vec<RerankScore>> {
        self.pairs.fetch_add(passages.len(), Ordering::SeqCst);
        self.inner.score_cancellable(query, passages, should_stop)
    }
    fn token_spans(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        self.inner.token_spans(text)
    }
    fn query_tokens(&self, query: &str) -> usize {
        self.inner.query_tokens(query)
    }
    fn max_length(&self) -> usize {
        self.inner.max_length()
    }
    fn provider(&self) -> String {
        self.inner.provider()
    }
}

fn counting(folder: &str) -> Option<Arc<Counting>> {
    let dir = shared_models().join(folder);
    if !have(&dir.join("config.json")) {
        return None;
    }
    let inner = load_reranker_with(
        dir.to_str().expect("utf8"),
        None,
        &ModelOptions::new(ExecutionProvider::Cpu),
    )
    .expect("load reranker");
    Some(Arc::new(Counting {
        inner,
        pairs: AtomicUsize::new(0),
    }))
}

/// A long note whose one relevant sentence sits in the middle.
fn long_note(topic: &str) -> String {
    let filler: String = (0..60)
        .map(|i| format!("Unrelated remark number {i} about the weather and the tides. "))
        .collect();
    format!("{filler}{topic} {filler}")
}

#[test]
fn the_reranker_reads_a_window_around_the_match_in_its_own_tokens() {
    let Some(r) = counting("mxbai-rerank-xsmall-v1-arch-random") else {
        return;
    };
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let sentence = "The sourdough starter needs rye flour and lukewarm water every morning.";
    write(docs.path(), "bread.txt", long_note(sentence));
    let e = engine(data.path());
    index(&e, docs.path());
    e.set_reranker(Some(r.clone()));
    let query = "sourdough starter flour";
    let window = 96;
    let hits = e
        .search(&SearchRequest {
            rerank_window: Some(window),
            ..SearchRequest::new(query).with_mode(Mode::Bm25)
        })
        .unwrap();
    assert_eq!(names(&hits), ["bread.txt"]);

    // The window the engine chose: it holds the matched sentence and fits the
    // model's window by the model's real tokenizer.
    let passage = e
        .passage_text(hits[0].passage_id)
        .unwrap()
        .expect("passage");
    let text = e.rerank_window(query, &passage, window).unwrap();
    assert!(text.contains("sourdough starter needs rye flour"), "{text}");
    assert!(text.len() < passage.len() / 2, "a window, not the passage");
    let tok = Tokenizer::from_file(
        shared_models().join("mxbai-rerank-xsmall-v1-arch-random/tokenizer.json"),
    )
    .unwrap();
    let pair = tok.encode((query, text.as_str()), true).unwrap();
    assert!(
        pair.get_ids().len() <= window,
        "{} tokens for a {window}-token window",
        pair.get_ids().len()
    );
    // And it is what the reranker scored: the hit's score is that pair's.
    let direct = r.score(query, &[text.as_str()]).unwrap()[0].score;
    let got = hits[0].details.rerank_score.expect("reranked");
    assert!((got - direct).abs() < 1e-5, "{got} vs {direct}");
}

#[test]
fn one_long_file_takes_one_or_two_slots_and_other_files_get_theirs() {
    let Some(r) = counting("tiny-deberta-v3-rerank") else {
        return;
    };
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // A long file matching everywhere: a dozen passages, all strong matches.
    let long: String = (0..400)
        .map(|i| format!("Kiln firing schedule for glaze batch {i}, kiln kiln. "))
        .collect();
    write(docs.path(), "kiln-log.txt", long);
    for i in 0..4 {
        write(
            docs.path(),
            &format!("note{i}.txt"),
            format!("A short note {i} that mentions the kiln once."),
        );
    }
    let e = engine(data.path());
    index(&e, docs.path());
    assert!(e.status().unwrap().passages >= 10);
    e.set_reranker(Some(r.clone()));
    let hits = e
        .search(&SearchRequest {
            rerank_top: 3,
            ..SearchRequest::new("kiln").with_mode(Mode::Bm25)
        })
        .unwrap();
    let reranked: Vec<&str> = hits
        .iter()
        .filter(|h| h.details.rerank_score.is_some())
        .map(|h| h.path.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(reranked.len(), 3, "three files reranked: {reranked:?}");
    assert!(reranked.contains(&"kiln-log.txt"));
    let pairs = r.pairs.load(Ordering::SeqCst);
    assert!(
        (3..=4).contains(&pairs),
        "the long file took at most two of the pairs scored: {pairs}"
    );
}

#[test]
fn progressive_search_paints_fused_then_first_files_then_the_full_depth() {
    let Some(r) = counting("tiny-deberta-v3-rerank") else {
        return;
    };
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..12 {
        write(
            docs.path(),
            &format!("n{i:02}.txt"),
            format!("pottery glaze note {i} {}", "clay ".repeat(i)),
        );
    }
    let e = engine(data.path());
    index(&e, docs.path());
    e.set_reranker(Some(r.clone()));
    let req = SearchRequest {
        rerank_top: 12,
        rerank_first: 4,
        ..SearchRequest::new("pottery glaze").with_mode(Mode::Bm25)
    };
    let mut stages = Vec::new();
    let done = e
        .search_progressive(
            &req,
            &mut |stage, hits| {
                let reranked = hits
                    .iter()
                    .filter(|h| h.details.rerank_score.is_some())
                    .count();
                stages.push((stage, reranked, hits.len()));
            },
            &|| false,
        )
        .unwrap();
    assert_eq!(
        stages,
        vec![
            (SearchStage::Fused, 0, 10),
            (SearchStage::Partial, 4, 10),
            (SearchStage::Done, 10, 10)
        ]
    );
    assert_eq!(done.hits.len(), 10);
    assert_eq!(r.pairs.load(Ordering::SeqCst), 12, "each file scored once");
}

#[test]
fn a_repeated_query_or_a_filter_change_costs_no_model_run() {
    let Some(r) = counting("tiny-deberta-v3-rerank") else {
        return;
    };
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..6 {
        write(
            docs.path(),
            &format!("sub/n{i}.txt"),
            format!("harbour lantern note {i}"),
        );
    }
    let e = engine(data.path());
    index(&e, docs.path());
    e.set_reranker(Some(r.clone()));
    let req = SearchRequest::new("harbour lantern").with_mode(Mode::Bm25);
    let first = e.search(&req).unwrap();
    let scored = r.pairs.load(Ordering::SeqCst);
    assert_eq!(scored, 6);
    let again = e.search(&req).unwrap();
    assert_eq!(r.pairs.load(Ordering::SeqCst), scored, "the cache answered");
    assert_eq!(first, again, "same answer from the cache");
    // Narrowing to a folder keeps the same passages: still no model run.
    let folder = docs.path().join("sub").canonicalize().unwrap();
    let narrowed = e
        .search(&SearchRequest {
            filters: crumb_engine::Filters {
                folder: Some(folder.to_string_lossy().into_owned()),
                ..Default::default()
            },
            ..req.clone()
        })
        .unwrap();
    assert_eq!(narrowed.len(), 6);
    assert_eq!(r.pairs.load(Ordering::SeqCst), scored);
    // Another query is scored afresh.
    e.search(&SearchRequest::new("lantern").with_mode(Mode::Bm25))
        .unwrap();
    assert_eq!(r.pairs.load(Ordering::SeqCst), scored + 6);
}
