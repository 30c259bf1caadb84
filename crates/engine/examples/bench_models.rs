//! Model and vector-index benchmarks behind `scripts/bench-embed.sh` and
//! `scripts/bench-rerank.sh`; figures go to docs/BENCHMARKS.md "## Models".
//!
//! ```text
//! bench_models embed  MODEL_DIR PASSAGES_FILE VARIANT(fp32|int8) THREADS BATCH ROUNDS
//! bench_models rerank MODEL_DIR PASSAGES_FILE THREADS TOP ROUNDS [MAX_TOKENS]
//! bench_models vectors N DIM
//! bench_models snapshot N DIM ROUNDS
//! bench_models scale-vectors DATA_DIR MODEL_ID DIM
//! bench_models quant MODEL_DIR SCIFACT_DIR N_DOCS
//! ```
//! PASSAGES_FILE holds one passage per line. Output is one JSON object per line.

use crumb_engine::models::{
    load_embedder_with, load_reranker_with, ExecutionProvider, ModelOptions, OnnxVariant,
};
use crumb_engine::vectors::{Quantization, VectorIndex};
use std::path::Path;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Res<&str> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            format!("missing argument {i}; see the header of bench_models.rs").into()
        })
    };
    match arg(0)? {
        "embed" => embed(
            Path::new(arg(1)?),
            &lines(arg(2)?)?,
            arg(3)?,
            arg(4)?.parse()?,
            arg(5)?.parse()?,
            arg(6)?.parse()?,
        ),
        "rerank" => rerank(
            Path::new(arg(1)?),
            &lines(arg(2)?)?,
            arg(3)?.parse()?,
            arg(4)?.parse()?,
            arg(5)?.parse()?,
            args.get(6).map(|s| s.parse()).transpose()?,
        ),
        "vectors" => vectors(arg(1)?.parse()?, arg(2)?.parse()?),
        "snapshot" => snapshot(arg(1)?.parse()?, arg(2)?.parse()?, arg(3)?.parse()?),
        "scale-vectors" => scale_vectors(Path::new(arg(1)?), arg(2)?, arg(3)?.parse()?),
        "quant" => quant(Path::new(arg(1)?), Path::new(arg(2)?), arg(3)?.parse()?),
        other => Err(format!("unknown benchmark {other}").into()),
    }
}

fn lines(path: &str) -> Res<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

fn embed(
    dir: &Path,
    passages: &[String],
    variant: &str,
    threads: usize,
    batch: usize,
    rounds: usize,
) -> Res<()> {
    let variant = match variant {
        "int8" => OnnxVariant::Int8,
        _ => OnnxVariant::Fp32,
    };
    let opts = ModelOptions::new(ExecutionProvider::Cpu)
        .with_variant(variant.clone())
        .with_intra_threads(threads)
        .with_batch_size(batch)
        .with_max_length(256);
    let e = load_embedder_with(dir, &opts)?;
    let texts: Vec<&str> = passages.iter().map(String::as_str).collect();
    e.embed_passages(&texts[..batch.min(texts.len())])?; // warm-up
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        let v = e.embed_passages(&texts)?;
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(v.len(), texts.len());
    }
    println!(
        "{{\"impl\":\"crumb\",\"model\":\"{}\",\"variant\":\"{variant:?}\",\"threads\":{threads},\"batch\":{batch},\"passages\":{},\"best_s\":{best:.4},\"passages_per_s\":{:.2}}}",
        e.id(),
        texts.len(),
        texts.len() as f64 / best
    );
    Ok(())
}

fn rerank(
    dir: &Path,
    passages: &[String],
    threads: usize,
    top: usize,
    rounds: usize,
    max_tokens: Option<usize>,
) -> Res<()> {
    let mut opts = ModelOptions::new(ExecutionProvider::Cpu)
        .with_intra_threads(threads)
        .with_batch_size(top);
    if let Some(n) = max_tokens {
        opts = opts.with_max_length(n);
    }
    let r = load_reranker_with(&dir.to_string_lossy(), None, &opts)?;
    let texts: Vec<&str> = passages.iter().take(top).map(String::as_str).collect();
    let query = "What is the effect of diffusion tensor imaging on white matter development?";
    r.score(query, &texts)?; // warm-up
    let mut ms: Vec<f64> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        r.score(query, &texts)?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    println!(
        "{{\"impl\":\"crumb\",\"model\":\"{}\",\"threads\":{threads},\"max_tokens\":{},\"pairs\":{},\"rounds\":{rounds},\"p50_ms\":{:.1},\"p95_ms\":{:.1},\"min_ms\":{:.1}}}",
        r.id(),
        max_tokens.unwrap_or(512),
        texts.len(),
        pct(0.5),
        pct(0.95),
        ms[0]
    );
    Ok(())
}

fn rss_bytes() -> usize {
    // Linux only; 0 elsewhere, the resident_bytes figure still holds.
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<usize>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn vectors(n: usize, dim: usize) -> Res<()> {
    for quant in [Quantization::Int8, Quantization::None] {
        let before = rss_bytes();
        let mut index = VectorIndex::new("bench", quant);
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let mut v = vec![0f32; dim];
        for id in 0..n as i64 {
            for a in v.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *a = (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
            v.iter_mut().for_each(|a| *a /= norm);
            index.push(id, &v)?;
        }
        index.shrink_to_fit();
        let rss = rss_bytes().saturating_sub(before);
        let q = v.clone();
        let mut ms: Vec<f64> = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let hits = index.search(&q, 100);
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(hits.len(), 100.min(n));
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{{\"quant\":\"{quant:?}\",\"n\":{n},\"dim\":{dim},\"resident_bytes\":{},\"rss_delta_bytes\":{rss},\"bytes_per_million\":{:.0},\"search_top100_p50_ms\":{:.1}}}",
            index.resident_bytes(),
            index.resident_bytes() as f64 * 1e6 / n as f64,
            ms[ms.len() / 2]
        );
        drop(index);
    }
    Ok(())
}

/// Random unit vectors from a xorshift stream (the vector part of the scale
/// benchmark only: its cost does not depend on what the vectors mean).
fn random_unit(x: &mut u64, v: &mut [f32]) {
    for a in v.iter_mut() {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *a = (*x >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
    }
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
}

/// The vector snapshot on a real catalog file of `n` random vectors: the
/// first load, search latency, and what one committed change costs to see,
/// caught up from the vector log against reloaded in full, interleaved
/// (A B A B) `rounds` times. Each change is an embedding batch of 64 new
/// passages and a deleted file of 64.
fn snapshot(n: usize, dim: usize, rounds: usize) -> Res<()> {
    use crumb_engine::catalog::Catalog;
    use crumb_engine::vectors::{encode_vector, VectorSnapshot};
    const PER_FILE: usize = 64;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("catalog.sqlite");
    let mut cat = Catalog::open(&path)?;
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let mut v = vec![0f32; dim];
    let t = Instant::now();
    let add_file = |cat: &mut Catalog, x: &mut u64, v: &mut [f32], k: usize| -> Res<i64> {
        let tx = cat.conn_mut().transaction()?;
        tx.execute(
            "INSERT INTO files (path, root, kind, size, mtime_ns, status, indexed_ns)
             VALUES ('/r/' || hex(randomblob(8)), '/r', 'text', 1, 1, 'indexed', 1)",
            [],
        )?;
        let file = tx.last_insert_rowid();
        for i in 0..k {
            tx.execute(
                "INSERT INTO passages (file_id, ord, text, byte_start, byte_end) VALUES (?1, ?2, '', 0, 0)",
                rusqlite::params![file, i as i64],
            )?;
            let pid = tx.last_insert_rowid();
            random_unit(x, v);
            tx.execute(
                "INSERT INTO vectors (passage_id, model, dim, data) VALUES (?1, 'bench', ?2, ?3)",
                rusqlite::params![pid, dim as i64, encode_vector(v)],
            )?;
        }
        tx.commit()?;
        Ok(file)
    };
    let mut files = Vec::new();
    while files.len() * PER_FILE < n {
        files.push(add_file(&mut cat, &mut x, &mut v, PER_FILE)?);
    }
    let build_s = t.elapsed().as_secs_f64();
    let reader =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let before = rss_bytes();
    let t = Instant::now();
    let mut snap =
        VectorSnapshot::load(&reader, "bench", crumb_engine::vectors::Quantization::Int8)?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let rss = rss_bytes().saturating_sub(before);
    let mut search_ms = Vec::new();
    for _ in 0..40 {
        random_unit(&mut x, &mut v);
        let t = Instant::now();
        let hits = snap.search_rescored(&reader, &v, 100)?;
        search_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(hits.len(), 100);
    }
    search_ms.sort_by(f64::total_cmp);
    let (mut catch_up, mut reload) = (Vec::new(), Vec::new());
    for r in 0..rounds * 2 {
        files.push(add_file(&mut cat, &mut x, &mut v, PER_FILE)?);
        let gone = files.remove(r % files.len());
        cat.conn()
            .execute("DELETE FROM files WHERE id = ?1", [gone])?;
        let t = Instant::now();
        if r % 2 == 0 {
            snap = snap.refreshed(&reader)?.0;
            catch_up.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            snap =
                VectorSnapshot::load(&reader, "bench", crumb_engine::vectors::Quantization::Int8)?;
            reload.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // A new process's first snapshot: the copy on disk caught up from the
    // log (64 changes after it) against every vector from SQLite, A B A B.
    let uid: String = reader.query_row(
        "SELECT value FROM meta WHERE key = 'catalog_uid'",
        [],
        |r| r.get(0),
    )?;
    let copy = dir.path().join("vectors").join("bench.i8");
    let t = Instant::now();
    snap.persist(&copy, &uid)?;
    let persist_ms = t.elapsed().as_secs_f64() * 1000.0;
    let copy_bytes = std::fs::metadata(&copy)?.len();
    files.push(add_file(&mut cat, &mut x, &mut v, PER_FILE)?);
    let (mut from_copy, mut from_sqlite) = (Vec::new(), Vec::new());
    for r in 0..rounds * 2 {
        let t = Instant::now();
        if r % 2 == 0 {
            let (s, _) = VectorSnapshot::load_persisted(&reader, &copy, "bench", &uid)?
                .ok_or("the copy should be usable")?;
            from_copy.push(t.elapsed().as_secs_f64() * 1000.0);
            snap = s;
        } else {
            snap =
                VectorSnapshot::load(&reader, "bench", crumb_engine::vectors::Quantization::Int8)?;
            from_sqlite.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{{\"persist_ms\":{persist_ms:.0},\"copy_bytes\":{copy_bytes},\"first_snapshot_from_copy_p50_ms\":{:.0},\"first_snapshot_from_sqlite_p50_ms\":{:.0}}}",
        med(&mut from_copy),
        med(&mut from_sqlite)
    );
    println!(
        "{{\"n\":{},\"dim\":{dim},\"build_s\":{build_s:.1},\"first_load_ms\":{load_ms:.0},\"rss_delta_bytes\":{rss},\"resident_bytes\":{},\"search_top100_rescored_p50_ms\":{:.1},\"search_top100_rescored_p95_ms\":{:.1},\"commit_then_catch_up_p50_ms\":{:.2},\"commit_then_full_reload_p50_ms\":{:.0},\"rounds\":{rounds}}}",
        snap.len(),
        snap.resident_bytes(),
        search_ms[search_ms.len() / 2],
        search_ms[search_ms.len() * 95 / 100],
        med(&mut catch_up),
        med(&mut reload),
    );
    Ok(())
}

/// `make bench-scale`'s vector part: a random unit vector under `model` for
/// every passage of a real index that has none (speed only: the ranking they
/// give means nothing), then the snapshot copy the writer would have written,
/// so a new process starts from it as it would on a user's machine.
fn scale_vectors(data_dir: &Path, model: &str, dim: usize) -> Res<()> {
    use crumb_engine::catalog::Catalog;
    use crumb_engine::vectors::{encode_vector, snapshot_path, VectorSnapshot};
    let mut cat = Catalog::open(&data_dir.join("catalog.sqlite"))?;
    let t = Instant::now();
    let ids: Vec<i64> = {
        let mut st = cat.conn().prepare(
            "SELECT p.id FROM passages p WHERE NOT EXISTS
               (SELECT 1 FROM vectors v WHERE v.passage_id = p.id AND v.model = ?1)",
        )?;
        let rows = st.query_map([model], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let mut v = vec![0f32; dim];
    for chunk in ids.chunks(50_000) {
        let tx = cat.conn_mut().transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO vectors (passage_id, model, dim, data) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for &id in chunk {
                random_unit(&mut x, &mut v);
                st.execute(rusqlite::params![id, model, dim as i64, encode_vector(&v)])?;
            }
        }
        tx.commit()?;
    }
    let insert_s = t.elapsed().as_secs_f64();
    let uid: String = cat.conn().query_row(
        "SELECT value FROM meta WHERE key = 'catalog_uid'",
        [],
        |r| r.get(0),
    )?;
    let t = Instant::now();
    let snap = VectorSnapshot::load(cat.conn(), model, crumb_engine::vectors::Quantization::Int8)?;
    let load_s = t.elapsed().as_secs_f64();
    snap.persist(&snapshot_path(data_dir, model), &uid)?;
    println!(
        "{{\"inserted\":{},\"vectors\":{},\"insert_s\":{insert_s:.1},\"load_s\":{load_s:.1}}}",
        ids.len(),
        snap.len()
    );
    Ok(())
}

/// How far int8 vectors move the ranking on real embeddings: SciFact abstracts
/// and queries through the embedder, top 10 of int8 (raw and rescored) vs f32.
fn quant(model: &Path, scifact: &Path, n_docs: usize) -> Res<()> {
    let read = |name: &str, key: &str| -> Res<Vec<String>> {
        let text = std::fs::read_to_string(scifact.join(name))?;
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let title = v.get("title").and_then(|t| t.as_str()).unwrap_or("");
            let body = v.get(key).and_then(|t| t.as_str()).unwrap_or("");
            out.push(if title.is_empty() {
                body.to_string()
            } else {
                format!("{title}. {body}")
            });
        }
        Ok(out)
    };
    let docs: Vec<String> = read("corpus.jsonl", "text")?
        .into_iter()
        .take(n_docs)
        .collect();
    let queries = read("queries.jsonl", "text")?;
    let e = load_embedder_with(model, &ModelOptions::new(ExecutionProvider::Cpu))?;
    let doc_refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let vecs = e.embed_passages(&doc_refs)?;
    let items: Vec<(i64, Vec<f32>)> = vecs
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v))
        .collect();
    let conn = rusqlite::Connection::open_in_memory()?;
    crumb_engine::vectors::ensure_schema(&conn)?;
    let refs: Vec<(i64, &[f32])> = items.iter().map(|(i, v)| (*i, v.as_slice())).collect();
    crumb_engine::vectors::store_vectors(&conn, e.id(), &refs)?;
    let f32_index = VectorIndex::from_vectors(e.id(), &items, Quantization::None)?;
    let i8_index = VectorIndex::from_vectors(e.id(), &items, Quantization::Int8)?;
    let (mut raw, mut rescored, mut n) = (0usize, 0usize, 0usize);
    for q in &queries {
        let qv = e.embed_query(q)?;
        let exact: Vec<i64> = f32_index.search(&qv, 10).into_iter().map(|h| h.0).collect();
        let approx: Vec<i64> = i8_index.search(&qv, 10).into_iter().map(|h| h.0).collect();
        let fixed: Vec<i64> = i8_index
            .search_rescored(&conn, &qv, 10)?
            .into_iter()
            .map(|h| h.0)
            .collect();
        raw += approx.iter().filter(|id| exact.contains(id)).count();
        rescored += fixed.iter().filter(|id| exact.contains(id)).count();
        n += exact.len();
    }
    println!(
        "{{\"docs\":{},\"queries\":{},\"int8_recall_at_10\":{:.4},\"int8_rescored_recall_at_10\":{:.4}}}",
        docs.len(),
        queries.len(),
        raw as f64 / n.max(1) as f64,
        rescored as f64 / n.max(1) as f64
    );
    Ok(())
}
