//! The query language: each operator changes what is found.

use super::*;
use crate::support::{have, minilm_dir};
use crumb_engine::models::{load_embedder, ExecutionProvider};
use std::collections::BTreeSet;
use std::sync::Arc;

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

#[test]
fn a_quoted_phrase_is_required_in_every_hit() {
    let (e, _docs, _data) = indexed(&[
        ("a.txt", "Reducing the risk of a heart attack after fifty."),
        (
            "b.txt",
            "The attack on the castle broke the old king's heart.",
        ),
        ("c.txt", "Heart health and daily exercise."),
    ]);
    assert_eq!(
        set(found(&e, "heart attack")),
        set(vec!["a.txt".into(), "b.txt".into(), "c.txt".into()])
    );
    assert_eq!(found(&e, r#""heart attack""#), ["a.txt"]);
    assert_eq!(
        found(&e, r#"castle "heart attack""#),
        ["a.txt"],
        "the phrase is required, the word is not"
    );
    // While the closing quote is still to come, the last word is a prefix.
    assert_eq!(found(&e, r#""heart att"#), ["a.txt"]);
    assert_eq!(
        found(&e, r#""attack on the cas"#),
        ["b.txt"],
        "stop words keep their gap"
    );
}

#[test]
fn an_excluded_word_or_phrase_removes_whole_files() {
    // Two passages: the first names the car, the second does not.
    let filler = "The savanna stretches far beyond the river and the hills. ".repeat(60);
    let car = format!(
        "The jaguar is a fast car with a long bonnet.\n\n{filler}\n\nA jaguar emblem sits on the grille."
    );
    let (e, _docs, _data) = indexed(&[
        ("car.txt", car.as_str()),
        ("cat.txt", "The jaguar is a big cat of the rainforest."),
    ]);
    let st = e.status().expect("status");
    assert!(
        st.passages >= 3,
        "car.txt must span passages: {}",
        st.passages
    );
    assert_eq!(
        set(found(&e, "jaguar")),
        set(vec!["car.txt".into(), "cat.txt".into()])
    );
    assert_eq!(found(&e, "jaguar -car"), ["cat.txt"]);
    assert_eq!(found(&e, r#"jaguar -"fast car""#), ["cat.txt"]);
    assert_eq!(found(&e, "jaguar -rainforest"), ["car.txt"]);
    assert!(found(&e, "jaguar -jaguar").is_empty());
}

#[test]
fn type_keeps_a_kind_or_an_extension() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        docs.path(),
        "notes.md",
        "# Budget\n\nThe budget for travel this year.\n",
    );
    write(docs.path(), "notes.txt", "The budget for food this month.");
    write(
        docs.path(),
        "budget-photo.jpg",
        [0xFFu8, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3],
    );
    let e = engine(data.path());
    index(&e, docs.path());
    assert_eq!(found(&e, "budget type:markdown"), ["notes.md"]);
    assert_eq!(found(&e, "budget type:text"), ["notes.txt"]);
    assert_eq!(
        found(&e, "budget type:md"),
        ["notes.md"],
        "an extension works too"
    );
    assert_eq!(found(&e, "budget type:JPG"), ["budget-photo.jpg"]);
    assert_eq!(
        set(found(&e, "budget type:markdown type:text")),
        set(vec!["notes.md".into(), "notes.txt".into()]),
        "several types widen"
    );
    assert!(found(&e, "budget type:pdf").is_empty());
}

#[test]
fn in_keeps_a_folder_by_name_or_by_path() {
    let (e, docs, _data) = indexed(&[
        ("Finance/2024/tax.txt", "The tax return for this year."),
        ("personal/tax.txt", "The property tax on the house."),
    ]);
    let path = |p: &str| {
        docs.path()
            .canonicalize()
            .unwrap()
            .join(p)
            .to_string_lossy()
            .into_owned()
    };
    let in_finance = search(&e, "tax in:finance");
    assert_eq!(in_finance.len(), 1);
    assert_eq!(
        in_finance[0].path,
        path("Finance/2024/tax.txt"),
        "names match whatever their case"
    );
    assert_eq!(
        search(&e, "tax in:Finance/2024")[0].path,
        path("Finance/2024/tax.txt")
    );
    let personal = format!("tax in:\"{}\"", path("personal"));
    let hits = search(&e, &personal);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path, path("personal/tax.txt"));
    assert!(search(&e, "tax in:nowhere").is_empty());
}

#[test]
fn after_and_before_keep_files_by_modification_date() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let old = write(docs.path(), "old.txt", "The quarterly report on sales.");
    let new = write(docs.path(), "new.txt", "The yearly report on costs.");
    set_mtime(&old, 1_560_600_000); // 2019-06-15 12:00 UTC
    set_mtime(&new, 1_718_452_800); // 2024-06-15 12:00 UTC
    let e = engine(data.path());
    index(&e, docs.path());
    assert_eq!(found(&e, "report after:2020"), ["new.txt"]);
    assert_eq!(found(&e, "report before:2020"), ["old.txt"]);
    assert_eq!(
        found(&e, "report after:2019-06 before:2019-07"),
        ["old.txt"]
    );
    assert_eq!(
        found(&e, "report before:2024-06-01 after:2019-06-01"),
        ["old.txt"]
    );
    assert!(found(&e, "report after:2024-07").is_empty());
    // Filters alone list what they keep, newest first; punctuation alone
    // is not "no filter".
    assert_eq!(found(&e, "after:2010"), ["new.txt", "old.txt"]);
    assert!(!results(&e, "after:2010", Mode::Bm25).no_strong_match);
    assert!(found(&e, "- ").is_empty());
    // A date still being typed restricts nothing and says why.
    let r = results(&e, "report after:20x4", Mode::Bm25);
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
}

#[test]
fn operators_never_reach_the_embedder() {
    if !have(&minilm_dir()) {
        return;
    }
    let (e, docs, _data) = indexed(&[
        (
            "heart.txt",
            "Reducing the risk of a heart attack after fifty.",
        ),
        (
            "castle.txt",
            "The attack on the castle broke the old king's heart.",
        ),
    ]);
    let emb = load_embedder(&minilm_dir(), ExecutionProvider::Cpu).unwrap();
    e.set_embedder(Some(Arc::from(emb)));
    index(&e, docs.path());
    let cosine = |q: &str| {
        let hits = e
            .search(&SearchRequest::new(q).with_mode(Mode::Vector))
            .unwrap();
        hit(&hits, "heart.txt").details.vector_score.unwrap()
    };
    let plain = cosine("heart attack risk");
    let with_operators = cosine(r#""heart attack" risk -castle type:text after:1990"#);
    assert!(
        (plain - with_operators).abs() < 1e-5,
        "the embedder saw the operators: {plain} vs {with_operators}"
    );
    // The operators still apply to what the vectors find.
    let hits = e
        .search(&SearchRequest::new("king castle -heart").with_mode(Mode::Vector))
        .unwrap();
    assert!(
        hits.is_empty(),
        "both files mention a heart: {:?}",
        names(&hits)
    );
}
