//! Indexing folders and keeping the index right as files change.

use crate::common::*;
use crumb_engine::{FileKind, Filters, SearchRequest};

#[test]
fn finds_text_markdown_code_and_html_with_their_locations() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        docs.path(),
        "notes/trip.md",
        "# Trip\n\nintro\n\nWe fly to Reykjavik on Friday.\n",
    );
    write(
        docs.path(),
        "src/parse.rs",
        "// parser\nfn tokenize_invoice_lines() {}\n",
    );
    write(
        docs.path(),
        "web/page.html",
        "<html><head><title>Sourdough</title><script>var hidden='zebra'</script></head>\
         <body><p>Feed the starter every morning.</p></body></html>",
    );
    write(
        docs.path(),
        "plain.txt",
        "The quarterly budget review is on Monday.",
    );
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 4, "{:?}", report.failures);

    let hits = search(&e, "reykjavik");
    assert_eq!(names(&hits), ["trip.md"]);
    assert_eq!(
        hits[0].location.line,
        Some(5),
        "line of the matching passage"
    );
    assert_eq!(hits[0].title.as_deref(), Some("Trip"));
    let snippet = &hits[0].snippet;
    let (s, end) = snippet.highlights[0];
    assert_eq!(snippet.text[s..end].to_lowercase(), "reykjavik");

    assert_eq!(names(&search(&e, "tokenize_invoice_lines")), ["parse.rs"]);
    assert_eq!(names(&search(&e, "starter")), ["page.html"]);
    assert!(search(&e, "zebra").is_empty(), "script text is not indexed");
    assert_eq!(
        names(&search(&e, "sourdough")),
        ["page.html"],
        "title is searchable"
    );
    // Stemming: "budgets" finds "budget".
    assert_eq!(names(&search(&e, "budgets reviewed")), ["plain.txt"]);
    // File names are searchable too.
    assert_eq!(names(&search(&e, "parse")), ["parse.rs"]);
}

#[test]
fn reindexing_follows_edits_renames_and_deletes() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let a = write(docs.path(), "a.txt", "apples and oranges");
    let b = write(docs.path(), "b.txt", "bananas are yellow");
    write(docs.path(), "c.txt", "cherries are red");
    let e = engine(data.path());
    assert_eq!(index(&e, docs.path()).indexed, 3);

    // Unchanged files are skipped.
    let again = index(&e, docs.path());
    assert_eq!((again.indexed, again.unchanged), (0, 3));

    // Edit: new words found, old ones gone.
    std::fs::write(&a, "apricots only now, a longer text").unwrap();
    // Rename.
    std::fs::rename(&b, docs.path().join("renamed.txt")).unwrap();
    // Delete.
    std::fs::remove_file(docs.path().join("c.txt")).unwrap();
    let r = index(&e, docs.path());
    assert_eq!((r.indexed, r.removed), (2, 2), "{r:?}");

    assert_eq!(names(&search(&e, "apricots")), ["a.txt"]);
    assert!(search(&e, "oranges").is_empty());
    assert_eq!(names(&search(&e, "bananas")), ["renamed.txt"]);
    assert!(search(&e, "cherries").is_empty());
    let st = e.status().unwrap();
    assert_eq!((st.files_indexed, st.passages, st.lexical_docs), (2, 2, 2));
}

#[test]
fn touched_but_identical_files_are_not_reextracted() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let a = write(docs.path(), "a.txt", "same words");
    let e = engine(data.path());
    index(&e, docs.path());
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&a)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let r = index(&e, docs.path());
    assert_eq!((r.indexed, r.unchanged), (0, 1));
    assert_eq!(names(&search(&e, "words")), ["a.txt"]);
}

#[test]
fn ignore_files_hidden_folders_exclusions_and_size_limits_are_honoured() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), ".gitignore", "build/\n*.log\n");
    write(docs.path(), "build/out.txt", "ignoredword");
    write(docs.path(), "run.log", "ignoredword");
    write(docs.path(), ".secret/keys.txt", "ignoredword");
    write(docs.path(), "node_modules/pkg/readme.md", "ignoredword");
    write(docs.path(), "drafts/tmp.txt", "ignoredword");
    write(docs.path(), "big.txt", "x".repeat(2 << 20));
    write(docs.path(), "keep.txt", "keptword");
    let opts =
        crumb_engine::EngineOptions::new(data.path()).with_crawl(crumb_engine::CrawlOptions {
            exclude: vec!["drafts/".into()],
            max_file_bytes: 1 << 20,
            ..Default::default()
        });
    let e = crumb_engine::Engine::open(opts).unwrap();
    let r = index(&e, docs.path());
    assert!(search(&e, "ignoredword").is_empty());
    assert_eq!(names(&search(&e, "keptword")), ["keep.txt"]);
    assert_eq!(r.skipped, 1);
    assert!(
        r.failures[0].reason.contains("larger than"),
        "{:?}",
        r.failures
    );
}

#[test]
fn a_corrupt_file_is_recorded_and_the_run_goes_on() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write(docs.path(), "noise.txt", &noise);
    write(docs.path(), "good.txt", "perfectly readable");
    let e = engine(data.path());
    let r = index(&e, docs.path());
    assert_eq!(r.indexed, 1);
    assert_eq!(r.failures.len(), 1);
    assert!(r.failures[0].path.ends_with("noise.txt"));
    assert_eq!(names(&search(&e, "readable")), ["good.txt"]);
}

#[test]
fn filters_restrict_by_type_folder_and_date() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "a/report.md", "# Report\n\nharvest figures");
    write(docs.path(), "b/report.txt", "harvest figures");
    let e = engine(data.path());
    index(&e, docs.path());
    let by_kind = e
        .search(&SearchRequest::new("harvest").with_filters(Filters {
            kinds: vec![FileKind::Text],
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(names(&by_kind), ["report.txt"]);
    let folder = docs.path().canonicalize().unwrap().join("a");
    let by_folder = e
        .search(&SearchRequest::new("harvest").with_filters(Filters {
            folder: Some(folder.to_string_lossy().into_owned()),
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(names(&by_folder), ["report.md"]);
    let future = e
        .search(&SearchRequest::new("harvest").with_filters(Filters {
            modified_after: Some(4_102_444_800), // 2100-01-01
            ..Default::default()
        }))
        .unwrap();
    assert!(future.is_empty());
}

#[test]
fn a_second_writer_is_refused_while_readers_still_search() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "a.txt", "concurrent access");
    let e = engine(data.path());
    index(&e, docs.path());
    let second = crumb_engine::Engine::open(crumb_engine::EngineOptions::new(data.path()));
    assert!(matches!(second, Err(crumb_engine::Error::Busy(_))));
    let reader = crumb_engine::Engine::open(
        crumb_engine::EngineOptions::new(data.path()).with_read_only(true),
    )
    .unwrap();
    assert_eq!(names(&search(&reader, "concurrent")), ["a.txt"]);
}

#[test]
fn apply_changes_updates_files_and_folders_by_path() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = docs.path().canonicalize().unwrap();
    write(&root, "keep/a.txt", "alpha words");
    write(&root, "old/b.txt", "bravo words");
    write(&root, "gone/c.txt", "charlie words");
    write(&root, ".gitignore", "ignored/\n");
    let e = engine(data.path());
    index(&e, &root);

    write(&root, "keep/a.txt", "alpha changed delta");
    std::fs::rename(root.join("old"), root.join("new")).unwrap();
    std::fs::remove_dir_all(root.join("gone")).unwrap();
    write(&root, "ignored/d.txt", "echo words");
    write(&root, "fresh.txt", "foxtrot words");
    let changed = [
        root.join("keep/a.txt"),
        root.join("old"),
        root.join("new"),
        root.join("gone"),
        root.join("ignored/d.txt"),
        root.join("fresh.txt"),
        std::path::PathBuf::from("/elsewhere/x.txt"),
    ];
    let r = e
        .apply_changes(
            &changed,
            &crumb_engine::progress::NoProgress,
            &Default::default(),
        )
        .unwrap();
    assert_eq!((r.indexed, r.removed), (3, 2), "{r:?}");
    assert_eq!(names(&search(&e, "delta")), ["a.txt"]);
    assert_eq!(
        search(&e, "bravo")[0].path,
        root.join("new/b.txt").to_string_lossy()
    );
    assert!(search(&e, "charlie").is_empty());
    assert!(search(&e, "echo").is_empty(), "ignored folder stays out");
    assert_eq!(names(&search(&e, "foxtrot")), ["fresh.txt"]);
}

#[test]
fn retry_failed_rereads_failed_files_even_when_unchanged() {
    // A document that failed, then was repaired in place with the same size
    // and modification time (or a Crumb upgrade that now reads it): a normal
    // pass sees nothing new, a retry re-reads it.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/extract/plan.docx");
    let good = std::fs::read(&fixture).unwrap();
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let path = write(docs.path(), "plan.docx", vec![b'x'; good.len()]);
    let stamp = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let set_stamp = || {
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(stamp)
            .unwrap()
    };
    set_stamp();
    let e = engine(data.path());
    let first = index(&e, docs.path());
    assert_eq!(first.failed, 1, "{:?}", first.failures);

    std::fs::write(&path, &good).unwrap();
    set_stamp();
    let again = index(&e, docs.path());
    assert_eq!((again.unchanged, again.indexed), (1, 0));
    assert_eq!(e.failed_files().unwrap().len(), 1);

    let r = e
        .retry_failed(&crumb_engine::progress::NoProgress, &Default::default())
        .unwrap();
    assert_eq!(r.indexed, 1, "{r:?}");
    assert!(e.failed_files().unwrap().is_empty());
    assert!(!search(&e, "plan").is_empty());
}

#[test]
fn the_true_count_behind_a_full_page_counts_every_matching_file_once() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..12 {
        // Long enough for two passages each: a file is still counted once.
        let body = format!(
            "{} Compost needs turning. {}",
            "filler words here. ".repeat(400),
            i
        );
        write(docs.path(), &format!("garden/note{i}.txt"), &body);
    }
    write(
        docs.path(),
        "kitchen/compost-bin.txt",
        "A lid keeps the smell in.",
    );
    write(docs.path(), "kitchen/bread.txt", "Sourdough starter.");
    let e = engine(data.path());
    index(&e, docs.path());
    let page = e
        .search(&SearchRequest::new("compost").with_limit(5))
        .unwrap();
    assert_eq!(page.len(), 5, "a full page");
    let none = Filters::default();
    // Twelve by their text, one by its name.
    assert_eq!(e.count_files("compost", &none).unwrap(), 13);
    let kitchen = Filters {
        folder: Some(docs.path().join("kitchen").to_string_lossy().into_owned()),
        ..Default::default()
    };
    assert_eq!(e.count_files("compost", &kitchen).unwrap(), 1);
    assert_eq!(e.count_files("zeppelin", &none).unwrap(), 0);
}

/// Each run commits at least one keyword segment, and tantivy's background
/// merges die with a short-lived `crumb index`: left alone, a folder indexed
/// bit by bit piles up segments that every search must walk. A run ends by
/// merging the small ones, and finds every run's files after.
#[test]
fn index_runs_merge_the_small_segments_they_leave() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let words = ["heron", "otter", "badger", "kestrel"];
    for (i, word) in words.iter().enumerate() {
        write(
            docs.path(),
            &format!("note{i}.txt"),
            format!("A {word} was seen by the river."),
        );
        let e = engine(data.path());
        assert_eq!(index(&e, docs.path()).indexed, 1);
    }
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.path().join("lexical/meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["segments"].as_array().map(Vec::len), Some(1), "{meta}");
    let e = engine(data.path());
    for (i, word) in words.iter().enumerate() {
        assert_eq!(names(&search(&e, word)), [format!("note{i}.txt")]);
    }
}
