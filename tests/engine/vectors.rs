//! The vector store and index on a real SQLite database, with real vectors
//! from the embedder where available.

use crate::support::{have, minilm_dir};
use crumb_engine::models::{load_embedder, ExecutionProvider};
use crumb_engine::vectors::{
    count_vectors, ensure_schema, load_vector, missing_passages, store_vectors, Quantization,
    VectorIndex,
};
use rusqlite::Connection;

fn unit(seed: u64, dim: usize) -> Vec<f32> {
    // A small LCG: deterministic pseudo-random directions without a dependency.
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let v: Vec<f32> = (0..dim)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect();
    let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.into_iter().map(|a| a / n).collect()
}

#[test]
fn vectors_round_trip_through_sqlite_and_search_finds_the_nearest() {
    let conn = Connection::open_in_memory().expect("sqlite");
    ensure_schema(&conn).expect("schema");
    let vecs: Vec<(i64, Vec<f32>)> = (1..=500).map(|i| (i, unit(i as u64, 384))).collect();
    let items: Vec<(i64, &[f32])> = vecs.iter().map(|(i, v)| (*i, v.as_slice())).collect();
    store_vectors(&conn, "m/a", &items).expect("store");
    store_vectors(&conn, "m/b", &items[..10]).expect("store other model");
    assert_eq!(count_vectors(&conn, Some("m/a")).expect("count"), 500);
    assert_eq!(count_vectors(&conn, None).expect("count"), 510);
    assert_eq!(
        load_vector(&conn, 7, "m/a").expect("load"),
        Some(vecs[6].1.clone())
    );
    assert_eq!(
        missing_passages(&conn, "m/b", &[1, 2, 11, 12]).expect("missing"),
        vec![11, 12]
    );

    let index = VectorIndex::load(&conn, "m/a").expect("index");
    assert_eq!((index.len(), index.dim()), (500, 384));
    let hits = index.search(&vecs[41].1, 5);
    assert_eq!(hits[0].0, 42);
    assert!((hits[0].1 - 1.0).abs() < 1e-5);
    assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(index.resident_bytes() >= 500 * 384 * 4);

    // int8 keeps a quarter of the bytes and, rescored, the same answer.
    let q8 = VectorIndex::load_with(&conn, "m/a", Quantization::Int8).expect("int8 index");
    assert!(q8.resident_bytes() < index.resident_bytes() / 3);
    let exact = index.search(&vecs[99].1, 10);
    let approx = q8
        .search_rescored(&conn, &vecs[99].1, 10)
        .expect("rescored");
    assert_eq!(
        exact.iter().map(|h| h.0).collect::<Vec<_>>(),
        approx.iter().map(|h| h.0).collect::<Vec<_>>()
    );
}

#[test]
fn semantic_search_over_real_embeddings_ranks_the_related_passage_first() {
    let dir = minilm_dir();
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let e = load_embedder(&dir, ExecutionProvider::Cpu).expect("embedder");
    let passages = [
        "The invoice for March is attached; payment is due in 30 days.",
        "Our cat sleeps on the sofa all afternoon.",
        "Rust's borrow checker prevents data races at compile time.",
    ];
    let vecs = e.embed_passages(&passages).expect("embed");
    let conn = Connection::open_in_memory().expect("sqlite");
    ensure_schema(&conn).expect("schema");
    let items: Vec<(i64, &[f32])> = vecs
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v.as_slice()))
        .collect();
    store_vectors(&conn, e.id(), &items).expect("store");
    let index = VectorIndex::load(&conn, e.id()).expect("index");
    let q = e
        .embed_query("memory safety in systems programming")
        .expect("query");
    assert_eq!(index.search(&q, 1)[0].0, 2);
    let q = e
        .embed_query("when do I have to pay the bill")
        .expect("query");
    assert_eq!(index.search(&q, 1)[0].0, 0);
}
