//! Ranking snapshots (`insta`): ordered ids with rounded score details for
//! SciFact's first 20 test queries, so any change to analysis, fusion or
//! models shows up as a reviewed diff (`cargo insta review`).

use crate::common::*;
use crate::extract_support::shared;
use crate::support::{have, minilm_dir};
use crumb_engine::models::{load_embedder, ExecutionProvider};
use crumb_engine::{Engine, Hit, Mode, SearchRequest};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// The first `n` test queries (in qrels order) and their relevant doc ids.
fn test_queries(scifact: &Path, n: usize) -> Vec<(String, String, BTreeSet<String>)> {
    let qrels = std::fs::read_to_string(scifact.join("qrels/test.tsv")).expect("qrels");
    let mut order: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in qrels.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 2 {
            continue;
        }
        let known = order.len();
        match order.iter_mut().find(|(q, _)| q == cols[0]) {
            Some((_, docs)) => {
                docs.insert(cols[1].to_string());
            }
            None if known < n => order.push((cols[0].to_string(), [cols[1].to_string()].into())),
            None => {}
        }
    }
    let queries = std::fs::read_to_string(scifact.join("queries.jsonl")).expect("queries");
    let text: std::collections::HashMap<String, String> = queries
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            (
                v["_id"].as_str().unwrap_or("").to_string(),
                v["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    order
        .into_iter()
        .map(|(id, docs)| {
            let q = text.get(&id).cloned().expect("query text");
            (id, q, docs)
        })
        .collect()
}

/// Writes abstracts as `ID.txt` (title, blank line, abstract), as the
/// SciFact benchmark does; `keep` limits which ones.
fn write_corpus(scifact: &Path, dest: &Path, keep: impl Fn(usize, &str) -> bool) -> usize {
    let corpus = std::fs::read_to_string(scifact.join("corpus.jsonl")).expect("corpus");
    let mut n = 0;
    for (i, line) in corpus.lines().enumerate() {
        let d: Value = serde_json::from_str(line).expect("json");
        let id = d["_id"].as_str().expect("id");
        if keep(i, id) {
            let body = format!(
                "{}\n\n{}\n",
                d["title"].as_str().unwrap_or(""),
                d["text"].as_str().unwrap_or("")
            );
            std::fs::write(dest.join(format!("{id}.txt")), body).expect("write");
            n += 1;
        }
    }
    n
}

fn round(x: Option<f32>, digits: i32) -> Value {
    let f = 10f64.powi(digits);
    x.map(|v| json!((f64::from(v) * f).round() / f))
        .unwrap_or(Value::Null)
}

fn ranking(e: &Engine, queries: &[(String, String, BTreeSet<String>)], mode: Mode) -> Value {
    let rows: Vec<Value> = queries
        .iter()
        .map(|(id, q, rel)| {
            let hits: Vec<Hit> = e
                .search(
                    &SearchRequest::new(q.clone())
                        .with_mode(mode)
                        .with_rerank(false),
                )
                .expect("search");
            let top: Vec<Value> = hits
                .iter()
                .map(|h| {
                    let doc = Path::new(&h.path)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    // One line per hit: doc, relevance, then BM25 and
                    // vector (rank, rounded score), "-" where absent.
                    let part = |rank: Option<usize>, score: Value| match rank {
                        Some(r) => format!("{r} {score}"),
                        None => "-".to_string(),
                    };
                    json!(format!(
                        "{doc}{} | bm25 {} | vector {}",
                        if rel.contains(&doc) {
                            " (relevant)"
                        } else {
                            ""
                        },
                        part(h.details.bm25_rank, round(h.details.bm25_score, 2)),
                        part(h.details.vector_rank, round(h.details.vector_score, 3)),
                    ))
                })
                .collect();
            json!({ "query": id, "top10": top })
        })
        .collect();
    Value::Array(rows)
}

#[test]
fn scifact_bm25_ranking_of_the_first_20_test_queries() {
    let Some(shared) = shared() else { return };
    let scifact = shared.join("datasets/scifact");
    let queries = test_queries(&scifact, 20);
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let n = write_corpus(&scifact, docs.path(), |_, _| true);
    assert_eq!(n, 5183);
    let e = engine(data.path());
    index(&e, docs.path());
    let got = ranking(&e, &queries, Mode::Bm25);
    // A relevant abstract is in the top 10 for most of these queries.
    let found = got
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| {
            q["top10"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h.as_str().unwrap_or("").contains("(relevant)"))
        })
        .count();
    assert!(
        found >= 15,
        "only {found} of 20 queries find a relevant abstract"
    );
    insta::assert_json_snapshot!("scifact_bm25_top10", got);
}

#[test]
fn scifact_hybrid_ranking_on_a_subset_with_the_real_embedder() {
    let Some(shared) = shared() else { return };
    if !have(&minilm_dir()) {
        return;
    }
    let scifact = shared.join("datasets/scifact");
    let queries = test_queries(&scifact, 20);
    let relevant: BTreeSet<String> = queries.iter().flat_map(|q| q.2.iter().cloned()).collect();
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // The relevant abstracts among the first 400 others, so embedding stays short.
    write_corpus(&scifact, docs.path(), |i, id| {
        i < 400 || relevant.contains(id)
    });
    let e = engine(data.path());
    let emb = load_embedder(&minilm_dir(), ExecutionProvider::Cpu).expect("embedder");
    e.set_embedder(Some(Arc::from(emb)));
    index(&e, docs.path());
    let got = ranking(&e, &queries, Mode::Hybrid);
    insta::assert_json_snapshot!("scifact_hybrid_subset_top10", got);
}
