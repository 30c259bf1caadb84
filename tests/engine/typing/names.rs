//! One box for names and content: every crawled file can be found by a
//! word of its name, and a hit says which one matched.

use super::*;
use crumb_engine::search::Matched;

/// Files without extractable text: a photo, an archive, a binary.
fn textless(root: &Path) {
    write(
        root,
        "holiday-beach.jpg",
        [0xFFu8, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0],
    );
    // An empty but valid zip: the end-of-central-directory record alone.
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    write(root, "backup-archive.zip", zip);
    write(
        root,
        "firmware_update.bin",
        (0u8..=255).cycle().take(4096).collect::<Vec<u8>>(),
    );
}

#[test]
fn files_without_text_are_found_by_a_word_of_their_name() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    textless(docs.path());
    write(docs.path(), "notes.txt", "Nothing about the seaside here.");
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 1, "only the note has text: {report:?}");
    for (q, want) in [
        ("beach", "holiday-beach.jpg"),
        ("holiday", "holiday-beach.jpg"),
        ("archive", "backup-archive.zip"),
        ("firmware", "firmware_update.bin"),
        ("firmw", "firmware_update.bin"),
        ("update type:bin", "firmware_update.bin"),
    ] {
        let hits = search(&e, q);
        assert_eq!(names(&hits), [want], "{q}");
        assert_eq!(hits[0].matched, Matched::Name, "{q}");
        assert!(hits[0].passage_id < 0, "a name entry, not a passage");
        let (a, b) = hits[0].snippet.highlights[0];
        assert!(
            want.to_lowercase()[a..b].starts_with(&q[..3]),
            "{q}: {:?}",
            hits[0].snippet
        );
    }
    // The status still counts them as not indexed.
    let st = e.status().unwrap();
    assert_eq!(st.files_indexed, 1);
    assert_eq!(st.files_skipped + st.files_failed, 3);
}

#[test]
fn a_name_entry_leaves_with_its_file_and_gives_way_to_text() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    textless(docs.path());
    let e = engine(data.path());
    index(&e, docs.path());
    assert_eq!(found(&e, "beach"), ["holiday-beach.jpg"]);
    std::fs::remove_file(docs.path().join("holiday-beach.jpg")).unwrap();
    // A file that was text-less gains text under the same name.
    write(
        docs.path(),
        "backup-archive.zip",
        b"not a zip any more".as_slice(),
    );
    std::fs::remove_file(docs.path().join("backup-archive.zip")).unwrap();
    write(
        docs.path(),
        "backup-archive.txt",
        "Restore the backup archive from tape.",
    );
    index(&e, docs.path());
    assert!(
        found(&e, "beach").is_empty(),
        "deleted files leave the index"
    );
    let hits = search(&e, "archive");
    assert_eq!(names(&hits), ["backup-archive.txt"]);
    assert_eq!(hits[0].matched, Matched::Content);
    assert!(hits[0].passage_id > 0);
}

#[test]
fn a_hit_says_whether_it_matched_the_name_or_the_content() {
    let (e, _docs, _data) = indexed(&[
        (
            "recipes.txt",
            "Bake the loaf for forty minutes at two hundred degrees.",
        ),
        (
            "shopping.txt",
            "Flour, yeast and salt for the bread recipes.",
        ),
    ]);
    let hits = search(&e, "recipes");
    assert_eq!(hit(&hits, "recipes.txt").matched, Matched::Name);
    assert_eq!(hit(&hits, "shopping.txt").matched, Matched::Content);
    // The name field counts half: the content match ranks first.
    assert_eq!(names(&hits)[0], "shopping.txt");
}
