//! "No strong match": weak results are said to be weak, in the engine and
//! in every output of `crumb search`.

use super::*;

fn garden() -> (Engine, tempfile::TempDir, tempfile::TempDir) {
    indexed(&[
        (
            "tomatoes.txt",
            "Tomatoes need full sun, deep watering and a sheltered south wall.",
        ),
        (
            "roses.txt",
            "Prune the roses in late winter, just above an outward bud.",
        ),
        (
            "compost.txt",
            "Compost needs air, water and a mix of green and brown waste.",
        ),
    ])
}

#[test]
fn a_query_whose_words_a_passage_holds_is_a_strong_match() {
    let (e, _docs, _data) = garden();
    let r = results(&e, "prune roses in winter", Mode::Bm25);
    assert_eq!(names(&r.hits)[0], "roses.txt");
    assert!(!r.no_strong_match, "{:?}", r.evidence);
    assert_eq!(r.evidence.coverage, Some(1.0));
}

#[test]
fn a_query_matched_only_by_a_common_word_is_not() {
    let (e, _docs, _data) = garden();
    // "water" is in two notes; the rest of the question is in none.
    let r = results(&e, "kubernetes cluster water cooling pump", Mode::Bm25);
    assert!(!r.hits.is_empty(), "the common word still finds something");
    assert!(r.no_strong_match, "{:?}", r.evidence);
    let nothing = results(&e, "zxqv blorft", Mode::Bm25);
    assert!(nothing.hits.is_empty() && nothing.no_strong_match);
}

#[test]
fn crumb_search_reports_the_verdict_in_every_output() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        docs.path(),
        "roses.txt",
        "Prune the roses in late winter, just above an outward bud.",
    );
    write(
        docs.path(),
        "compost.txt",
        "Compost needs air, water and a mix of green and brown waste.",
    );
    let out = crumb(
        data.path(),
        &["index", docs.path().to_str().unwrap(), "--embedder", "none"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q = data.path().join("q.tsv");
    std::fs::write(&q, "1\tprune the roses\n2\tkubernetes cluster water pump\n").unwrap();
    let base = [
        "search",
        "--mode",
        "bm25",
        "--embedder",
        "none",
        "--reranker",
        "none",
    ];
    let out = crumb(
        data.path(),
        &[&base[..], &["--queries", q.to_str().unwrap()]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines[0]["no_strong_match"], false);
    assert_eq!(lines[1]["no_strong_match"], true);
    let json = crumb_json(
        data.path(),
        &[&base[..], &["--json", "kubernetes water pump"]].concat(),
    );
    assert_eq!(json[0]["no_strong_match"], true);
    assert_eq!(json[0]["matched"], "content");
    let human = crumb(
        data.path(),
        &[&base[..], &["kubernetes water pump"]].concat(),
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.starts_with("no strong match"), "{text}");
    let strong = crumb(data.path(), &[&base[..], &["prune the roses"]].concat());
    assert!(!String::from_utf8_lossy(&strong.stdout).contains("no strong match"));
}
