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

/// A real catalog file with the production schema (vector log included),
/// written through its own connection, and a second read-only connection
/// for the snapshot, as a search has.
struct LiveCatalog {
    _dir: tempfile::TempDir,
    writer: crumb_engine::catalog::Catalog,
    reader: Connection,
    next_file: i64,
}

impl LiveCatalog {
    fn new() -> LiveCatalog {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("catalog.sqlite");
        let writer = crumb_engine::catalog::Catalog::open(&path).expect("catalog");
        let reader = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("reader");
        LiveCatalog {
            _dir: dir,
            writer,
            reader,
            next_file: 0,
        }
    }

    /// A file with `n` passages, each with a vector for `model`; returns the passage ids.
    fn add_file(&mut self, n: usize, model: &str, seed: u64) -> (i64, Vec<i64>) {
        self.next_file += 1;
        let conn = self.writer.conn();
        conn.execute(
            "INSERT INTO files (path, root, kind, size, mtime_ns, status, indexed_ns)
             VALUES (?1, '/r', 'text', 1, 1, 'indexed', 1)",
            [format!("/r/f{}.txt", self.next_file)],
        )
        .expect("file");
        let file = conn.last_insert_rowid();
        let ids = self.add_passages(file, n, model, seed);
        (file, ids)
    }

    fn add_passages(&mut self, file: i64, n: usize, model: &str, seed: u64) -> Vec<i64> {
        let conn = self.writer.conn();
        let mut ids = Vec::new();
        for i in 0..n {
            conn.execute(
                "INSERT INTO passages (file_id, ord, text, byte_start, byte_end) VALUES (?1, ?2, 't', 0, 1)",
                rusqlite::params![file, i as i64],
            )
            .expect("passage");
            ids.push(conn.last_insert_rowid());
        }
        let vecs: Vec<(i64, Vec<f32>)> = ids
            .iter()
            .map(|&id| (id, unit(seed.wrapping_mul(1000) + id as u64, 48)))
            .collect();
        let items: Vec<(i64, &[f32])> = vecs.iter().map(|(i, v)| (*i, v.as_slice())).collect();
        self.writer.store_vectors(model, &items).expect("store");
        ids
    }
}

/// What searches see after each commit must equal what a fresh load sees:
/// the same live vectors, codes and scales, and the same answers. Inserts,
/// re-embeddings in place, cascaded deletes of whole files and rewritten
/// files are mixed at random, for two models, and each refresh must catch
/// up from the log rather than reload.
#[test]
fn the_vector_snapshot_after_each_commit_equals_a_fresh_load() {
    use crumb_engine::vectors::{Refresh, VectorSnapshot};
    let mut cat = LiveCatalog::new();
    let mut files: Vec<i64> = Vec::new();
    for s in 0..5 {
        files.push(cat.add_file(40, "m", s).0);
    }
    cat.add_file(10, "other", 9);
    let mut snap = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("load");
    assert_eq!(snap.len(), 200);
    let mut rng = 12345u64;
    let mut next = || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        rng >> 33
    };
    let mut max_segments = 0;
    for round in 0..60u64 {
        match next() % 5 {
            0 | 1 => files.push(cat.add_file(1 + (next() % 30) as usize, "m", round).0),
            2 if !files.is_empty() => {
                // A file deleted: its passages and vectors go by cascade.
                let f = files.remove((next() % files.len() as u64) as usize);
                cat.writer
                    .conn()
                    .execute("DELETE FROM files WHERE id = ?1", [f])
                    .expect("delete");
            }
            3 if !files.is_empty() => {
                // A file rewritten: old passages replaced by new ones.
                let f = files[(next() % files.len() as u64) as usize];
                cat.writer
                    .conn()
                    .execute("DELETE FROM passages WHERE file_id = ?1", [f])
                    .expect("delete passages");
                cat.add_passages(f, 1 + (next() % 20) as usize, "m", round + 100);
            }
            _ => {
                // Vectors replaced in place (the embedder re-run on a passage).
                let ids: Vec<i64> = cat
                    .writer
                    .conn()
                    .prepare("SELECT passage_id FROM vectors WHERE model = 'm' ORDER BY random() LIMIT 7")
                    .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                    .expect("ids");
                let vecs: Vec<(i64, Vec<f32>)> = ids
                    .iter()
                    .map(|&i| (i, unit(round * 7777 + i as u64, 48)))
                    .collect();
                let items: Vec<(i64, &[f32])> =
                    vecs.iter().map(|(i, v)| (*i, v.as_slice())).collect();
                cat.writer.store_vectors("m", &items).expect("replace");
            }
        }
        let (next_snap, how) = snap.refreshed(&cat.reader).expect("refresh");
        assert!(
            matches!(how, Refresh::CaughtUp { .. } | Refresh::Unchanged),
            "round {round}: {how:?}"
        );
        snap = next_snap;
        max_segments = max_segments.max(snap.segment_count());
        let fresh = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("fresh");
        assert_eq!(snap.live_rows(), fresh.live_rows(), "round {round}");
        let q = unit(round + 999_999, 48);
        assert_eq!(snap.search(&q, 10), fresh.search(&q, 10), "round {round}");
        assert_eq!(
            snap.search_rescored(&cat.reader, &q, 10).expect("rescored"),
            fresh
                .search_rescored(&cat.reader, &q, 10)
                .expect("rescored"),
            "round {round}"
        );
    }
    assert!(
        max_segments <= 9,
        "compaction keeps the scan contiguous: {max_segments} segments"
    );

    // A snapshot older than what the trimmed log still holds reloads in
    // full, and still equals a fresh load.
    let old = snap.clone();
    cat.add_file(5, "m", 4242);
    crumb_engine::vectors::trim_log(cat.writer.conn(), 0).expect("trim");
    cat.add_file(5, "m", 4343);
    let (snap, how) = old.refreshed(&cat.reader).expect("refresh");
    assert_eq!(how, Refresh::Reloaded);
    let fresh = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("fresh");
    assert_eq!(snap.live_rows(), fresh.live_rows());
}

/// A selective filter's passages are scored directly, so the best of them is
/// found even when thousands of other passages are nearer the query.
#[test]
fn search_within_finds_the_best_filtered_passage_outside_the_global_top() {
    use crumb_engine::vectors::VectorSnapshot;
    let mut cat = LiveCatalog::new();
    let (_, crowd) = cat.add_file(2000, "m", 1);
    let (_, few) = cat.add_file(5, "m", 2);
    let snap = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("load");
    // The query is one crowd passage: the global top 40 are all crowd.
    let q = unit(1000 + crowd[17] as u64, 48);
    let global = snap.search_rescored(&cat.reader, &q, 40).expect("global");
    assert!(global.iter().all(|h| !few.contains(&h.0)));
    let within = snap
        .search_within(&cat.reader, &q, &few, 3)
        .expect("within");
    assert_eq!(within.len(), 3);
    assert!(within.iter().all(|h| few.contains(&h.0)));
    // Exactly the three nearest of the five, by their stored vectors.
    let mut exact: Vec<(i64, f32)> = few
        .iter()
        .map(|&id| {
            let v = load_vector(&cat.reader, id, "m")
                .expect("load")
                .expect("stored");
            (id, v.iter().zip(&q).map(|(a, b)| a * b).sum())
        })
        .collect();
    exact.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(
        within.iter().map(|h| h.0).collect::<Vec<_>>(),
        exact[..3].iter().map(|h| h.0).collect::<Vec<_>>()
    );
}

/// The snapshot's copy on disk restores what a fresh load gives, catching up
/// from the log over changes made after it was written; a torn copy, or one
/// from another catalog, is ignored rather than trusted.
#[test]
fn a_snapshot_copy_on_disk_restores_and_catches_up_and_a_bad_one_is_ignored() {
    use crumb_engine::vectors::{Refresh, VectorSnapshot};
    let mut cat = LiveCatalog::new();
    let (first, _) = cat.add_file(300, "m", 1);
    cat.add_file(200, "m", 2);
    let uid: String = cat
        .reader
        .query_row(
            "SELECT value FROM meta WHERE key = 'catalog_uid'",
            [],
            |r| r.get(0),
        )
        .expect("every catalog is named");
    let snap = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("load");
    let path = cat._dir.path().join("vectors").join("m.i8");
    assert!(snap.persist(&path, &uid).expect("persist"));

    let (restored, how) = VectorSnapshot::load_persisted(&cat.reader, &path, "m", &uid)
        .expect("read")
        .expect("usable copy");
    assert_eq!(how, Refresh::Restored { changed: 0 });
    assert_eq!(restored.live_rows(), snap.live_rows());

    // Changes after the copy: a file deleted, one added.
    cat.writer
        .conn()
        .execute("DELETE FROM files WHERE id = ?1", [first])
        .expect("delete");
    cat.add_file(50, "m", 3);
    let (restored, how) = VectorSnapshot::load_persisted(&cat.reader, &path, "m", &uid)
        .expect("read")
        .expect("usable copy");
    assert_eq!(how, Refresh::Restored { changed: 350 });
    let fresh = VectorSnapshot::load(&cat.reader, "m", Quantization::Int8).expect("fresh");
    assert_eq!(restored.live_rows(), fresh.live_rows());
    let q = unit(77, 48);
    assert_eq!(
        restored
            .search_rescored(&cat.reader, &q, 10)
            .expect("search"),
        fresh.search_rescored(&cat.reader, &q, 10).expect("search")
    );

    // Another catalog's copy, another model, a torn file: not used.
    assert!(
        VectorSnapshot::load_persisted(&cat.reader, &path, "m", "another-catalog")
            .expect("read")
            .is_none()
    );
    assert!(
        VectorSnapshot::load_persisted(&cat.reader, &path, "other", &uid)
            .expect("read")
            .is_none()
    );
    let bytes = std::fs::read(&path).expect("copy");
    std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("tear");
    assert!(
        VectorSnapshot::load_persisted(&cat.reader, &path, "m", &uid)
            .expect("read")
            .is_none()
    );
    let mut grown = bytes.clone();
    grown[16..24].copy_from_slice(&u64::MAX.to_le_bytes()); // a huge row count
    std::fs::write(&path, &grown).expect("corrupt");
    assert!(
        VectorSnapshot::load_persisted(&cat.reader, &path, "m", &uid)
            .expect("read")
            .is_none()
    );

    // A copy older than the trimmed log cannot catch up: not used either.
    std::fs::write(&path, &bytes).expect("restore the copy");
    cat.add_file(5, "m", 4);
    crumb_engine::vectors::trim_log(cat.writer.conn(), 0).expect("trim");
    assert!(
        VectorSnapshot::load_persisted(&cat.reader, &path, "m", &uid)
            .expect("read")
            .is_none()
    );
}
