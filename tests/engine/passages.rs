//! Passage ids and reading text back by id (what the local API's `get`
//! serves), on a real catalog and tantivy index.

use crate::common::{engine, index, write};
use crumb_engine::passage::ReadRange;
use crumb_engine::{Engine, EngineOptions, SearchRequest};

/// A long document: several overlapping passages.
fn long_text() -> String {
    (0..120)
        .map(|i| format!("Sentence number {i} talks about the lighthouse keeper and the storm."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_hits_id_reads_back_its_passage_and_neighbours_without_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    write(&docs, "keeper.txt", long_text());
    write(
        &docs,
        "other.txt",
        "Nothing about ships here, only gardening notes.",
    );
    let data = tmp.path().join("data");
    let e = engine(&data);
    index(&e, &docs);
    let hits = e
        .search(&SearchRequest::new("\"Sentence number 60\"").with_rerank(false))
        .unwrap();
    let id = e.passage_ref(hits[0].passage_id).unwrap();
    let one = e.read_passage(&id, ReadRange::default()).unwrap();
    assert!(one.text.contains("Sentence number 60 "), "{}", one.text);
    assert!(
        one.passages_in_file > 2,
        "the fixture must span several passages"
    );
    let (first, last) = one.passages.unwrap();
    assert_eq!(first, last);

    let wide = e
        .read_passage(&id, ReadRange::default().with_neighbours(1, 1))
        .unwrap();
    let (lo, hi) = wide.passages.unwrap();
    assert_eq!((lo, hi), (first - 1, first + 1));
    // Joined without the overlap: each sentence appears once.
    for n in [55, 60, 65] {
        let s = format!("Sentence number {n} ");
        if wide.text.contains(&s) {
            assert_eq!(wide.text.matches(&s).count(), 1, "{s} repeated");
        }
    }
    assert!(wide.text.contains(one.text.trim()));

    let cut = e
        .read_passage(&id, ReadRange::default().with_max_bytes(100))
        .unwrap();
    assert!(cut.truncated && cut.text.len() <= 100);
}

#[test]
fn ids_of_another_index_or_of_files_no_longer_indexed_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_docs, b_docs) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&a_docs, "a.txt", "Alpha lighthouse text.");
    write(&b_docs, "b.txt", "Beta lighthouse text.");
    let (a, b) = (
        engine(&tmp.path().join("da")),
        engine(&tmp.path().join("db")),
    );
    index(&a, &a_docs);
    index(&b, &b_docs);
    assert_ne!(a.index_tag().unwrap(), b.index_tag().unwrap());
    let hit_b = &b.search(&SearchRequest::new("lighthouse")).unwrap()[0];
    let id_b = b.passage_ref(hit_b.passage_id).unwrap();
    // Passage numbers of both indexes start at 1: only the tag tells them apart.
    let err = a.read_passage(&id_b, ReadRange::default()).unwrap_err();
    assert!(err.to_string().contains("another Crumb index"), "{err}");

    // The tag survives a reopen, read-only included, so ids stay valid.
    let tag = b.index_tag().unwrap();
    drop(b);
    let ro = Engine::open(EngineOptions::new(tmp.path().join("db")).with_read_only(true)).unwrap();
    assert_eq!(ro.index_tag().unwrap(), tag);
    assert!(ro
        .read_passage(&id_b, ReadRange::default())
        .unwrap()
        .text
        .contains("Beta"));
    drop(ro);

    // A folder removed from the index takes its ids with it.
    let b = engine(&tmp.path().join("db"));
    b.remove_root(&b_docs.canonicalize().unwrap()).unwrap();
    let err = b.read_passage(&id_b, ReadRange::default()).unwrap_err();
    assert!(err.to_string().contains("no indexed passage"), "{err}");
}

#[test]
fn a_preview_shows_the_hits_passage_with_every_match_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let text = (0..120)
        .map(|i| {
            if i % 40 == 7 {
                format!("Line {i}: the lighthouse keeper logged a squall.\n")
            } else {
                format!("Line {i}: calm seas and nothing to report today.\n")
            }
        })
        .collect::<String>();
    write(&docs, "log.txt", text);
    let data = tmp.path().join("data");
    let e = engine(&data);
    index(&e, &docs);
    let hits = e
        .search(&SearchRequest::new("squall").with_rerank(false))
        .unwrap();
    let hit = &hits[0];
    let p = e.preview(hit.file_id, hit.passage_id, "squall").unwrap();
    assert!(
        p.text.contains("lighthouse keeper logged a squall"),
        "{}",
        p.text
    );
    assert!(!p.highlights.is_empty());
    for &(s, e) in &p.highlights {
        assert_eq!(p.text[s..e].to_lowercase(), "squall");
    }
    // The hit's own match is at or after where its passage starts.
    assert!(p.highlights.iter().any(|&(s, _)| s >= p.hit_start));
    assert!(p.section.starts_with("from line "), "{}", p.section);
    // Another file's id with this passage is refused, not previewed.
    assert!(e
        .preview(hit.file_id + 1000, hit.passage_id, "squall")
        .is_err());
}

/// A keyword hit whose passage the catalog no longer has (the lexical index
/// is one commit behind after a crash) gives its place to the next file: a
/// search reads passages' text only for what it shows, and must still never
/// show a file it cannot read, nor a short page.
#[test]
fn a_hit_the_catalog_lost_gives_its_place_to_the_next_file() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    write(&docs, "z1.txt", "zebra zebra zebra zebra on the plain");
    write(
        &docs,
        "z2.txt",
        "zebra zebra in the long grass of the plain",
    );
    write(
        &docs,
        "z3.txt",
        "a zebra once, among many other animals of the plain",
    );
    let data = tmp.path().join("data");
    let e = engine(&data);
    index(&e, &docs);
    let names = |limit: usize| -> Vec<String> {
        let req = SearchRequest::new("zebra")
            .with_rerank(false)
            .with_limit(limit);
        crate::common::names(&e.search(&req).expect("search"))
    };
    assert_eq!(names(1), ["z1.txt"]);
    let conn = rusqlite::Connection::open(data.join("catalog.sqlite")).expect("catalog");
    let gone = conn
        .execute(
            "DELETE FROM passages WHERE file_id = (SELECT id FROM files WHERE path LIKE '%z1.txt')",
            [],
        )
        .expect("delete");
    assert!(gone > 0);
    assert_eq!(names(1), ["z2.txt"]);
    assert_eq!(names(10), ["z2.txt", "z3.txt"]);
}
