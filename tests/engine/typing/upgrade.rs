//! A data dir whose keyword index has the schema of an older Crumb is
//! rebuilt from the catalog on open, not broken.

use super::*;
use crumb_engine::EngineOptions;
use tantivy::schema::{
    FacetOptions, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED,
    STRING,
};

/// The schema Crumb wrote before the query-language work (analyser `crumb_en`).
fn schema_v1() -> Schema {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("crumb_en")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    b.add_u64_field("passage_id", INDEXED | STORED | FAST);
    b.add_u64_field("file_id", INDEXED);
    b.add_text_field("text", analysed.clone());
    b.add_text_field("title", analysed.clone());
    b.add_text_field("name", analysed.clone());
    b.add_text_field("path", analysed);
    b.add_text_field("kind", STRING);
    b.add_i64_field("modified", INDEXED | FAST);
    b.add_facet_field("dir", FacetOptions::default());
    b.build()
}

#[test]
fn an_index_with_an_old_schema_is_rebuilt_from_the_catalog() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "cafe.txt", "Le café du coin.");
    write(docs.path(), "beach.jpg", [0xFFu8, 0xD8, 0xFF, 0xE0]);
    {
        let e = engine(data.path());
        index(&e, docs.path());
    }
    // Replace the keyword index with an old-schema one, as an older Crumb
    // left it (the catalog says every file is synced).
    let lexical = data.path().join("lexical");
    std::fs::remove_dir_all(&lexical).unwrap();
    std::fs::create_dir_all(&lexical).unwrap();
    tantivy::Index::create_in_dir(&lexical, schema_v1()).unwrap();

    // A reader cannot rebuild it, and says what to do.
    let err = Engine::open(EngineOptions::new(data.path()).with_read_only(true))
        .err()
        .expect("a reader refuses an old index");
    assert!(err.to_string().contains("crumb index"), "{err}");

    // The writer rebuilds it on open; the new analysis and name entries work.
    let e = engine(data.path());
    assert_eq!(found(&e, "cafe "), ["cafe.txt"]);
    assert_eq!(found(&e, "beach"), ["beach.jpg"]);
    drop(e);
    let reader = Engine::open(EngineOptions::new(data.path()).with_read_only(true)).unwrap();
    assert_eq!(found(&reader, "café "), ["cafe.txt"]);
}
