//! Reranker speed on the pairs the search path really sends, behind
//! `scripts/bench-rerank.sh` (docs/BENCHMARKS.md, "Reranking").
//!
//! ```text
//! bench_rerank pairs DATA_DIR RERANKER_DIR QUERIES_TSV OUT_JSONL [FILES] [WINDOW]
//! bench_rerank score RERANKER_DIR PAIRS_JSONL SESSIONS THREADS ROUNDS
//! ```
//! `pairs` runs each query (`id<TAB>text` lines) through `Engine::search` on an
//! existing index (BM25 retrieval, reranking the top FILES files with WINDOW-token
//! windows) and writes what the reranker was asked to score, one JSON line
//! per query: `{"query": ..., "passages": [...]}`. `score` times scoring those
//! pairs query by query, as a search does, with SESSIONS sessions of THREADS
//! intra-op threads each, and prints one JSON line of per-query latencies.

use crumb_engine::models::{
    load_reranker_with, ExecutionProvider, ModelOptions, RerankScore, Reranker,
};
use crumb_engine::{Engine, EngineOptions, Mode, SearchRequest};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Res<&str> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            format!("missing argument {i}; see the header of bench_rerank.rs").into()
        })
    };
    match arg(0)? {
        "pairs" => pairs(
            Path::new(arg(1)?),
            arg(2)?,
            Path::new(arg(3)?),
            Path::new(arg(4)?),
            args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(10),
            args.get(6).map(|s| s.parse()).transpose()?,
        ),
        "score" => score(
            arg(1)?,
            Path::new(arg(2)?),
            arg(3)?.parse()?,
            arg(4)?.parse()?,
            arg(5)?.parse()?,
        ),
        other => Err(format!("unknown command {other}").into()),
    }
}

/// Records what the search path asks the real reranker to score.
struct Recorder {
    inner: Box<dyn Reranker>,
    seen: Mutex<Vec<(String, Vec<String>)>>,
}

impl Reranker for Recorder {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn score_cancellable(
        &self,
        query: &str,
        passages: &[&str],
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> crumb_engine::Result<Vec<RerankScore>> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((
                query.to_string(),
                passages.iter().map(|p| p.to_string()).collect(),
            ));
        }
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

fn pairs(
    data: &Path,
    reranker: &str,
    queries: &Path,
    out: &Path,
    files: usize,
    window: Option<usize>,
) -> Res<()> {
    let engine = Engine::open(EngineOptions::new(data).with_read_only(true))?;
    let inner = load_reranker_with(reranker, None, &ModelOptions::new(ExecutionProvider::Cpu))?;
    let rec = Arc::new(Recorder {
        inner,
        seen: Mutex::new(Vec::new()),
    });
    engine.set_reranker(Some(rec.clone()));
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in std::fs::read_to_string(queries)?.lines() {
        let Some((_, q)) = line.split_once('\t') else {
            continue;
        };
        engine.search(&SearchRequest {
            rerank_top: files,
            rerank_first: 0,
            rerank_window: window,
            ..SearchRequest::new(q).with_mode(Mode::Bm25)
        })?;
        let calls = std::mem::take(&mut *rec.seen.lock().map_err(|_| "poisoned")?);
        let passages: Vec<String> = calls.into_iter().flat_map(|(_, p)| p).collect();
        writeln!(
            w,
            "{}",
            serde_json::json!({ "query": q, "passages": passages })
        )?;
    }
    Ok(())
}

fn score(reranker: &str, pairs: &Path, sessions: usize, threads: usize, rounds: usize) -> Res<()> {
    let opts = ModelOptions::new(ExecutionProvider::Cpu)
        .with_intra_threads(threads)
        .with_sessions(sessions);
    let r = load_reranker_with(reranker, None, &opts)?;
    let mut queries: Vec<(String, Vec<String>)> = Vec::new();
    for line in std::fs::read_to_string(pairs)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let q = v["query"].as_str().unwrap_or_default().to_string();
        let p: Vec<String> = v["passages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        queries.push((q, p));
    }
    let mut ms = Vec::new();
    for _ in 0..rounds {
        for (q, p) in &queries {
            let texts: Vec<&str> = p.iter().map(String::as_str).collect();
            let t = Instant::now();
            r.score(q, &texts)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    println!(
        "{}",
        serde_json::json!({
            "impl": "crumb", "sessions": sessions, "threads": threads,
            "queries": queries.len(), "rounds": rounds,
            "p50_ms": (pct(0.5) * 10.0).round() / 10.0,
            "p95_ms": (pct(0.95) * 10.0).round() / 10.0,
            "mean_ms": ((ms.iter().sum::<f64>() / ms.len() as f64) * 10.0).round() / 10.0,
        })
    );
    Ok(())
}
