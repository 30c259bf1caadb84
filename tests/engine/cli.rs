//! The command-line contract of DESIGN.md.

use crate::common::*;

#[test]
fn search_json_status_json_and_failed_follow_the_contract() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        docs.path(),
        "guide.md",
        "# Guide\n\nHow to calibrate the telescope mirror.",
    );
    write(
        docs.path(),
        "other.txt",
        "Nothing about optics here, just soup.",
    );
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    write(docs.path(), "noise.txt", &noise);

    let out = crumb(
        data.path(),
        &[
            "index",
            docs.path().to_str().unwrap(),
            "--embedder",
            "none",
            "--reranker",
            "none",
        ],
    );
    assert!(out.status.success());
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("2 indexed"), "{summary}");
    assert!(
        summary.contains("noise.txt"),
        "summary names the file not indexed: {summary}"
    );

    let hits = crumb_json(
        data.path(),
        &[
            "search",
            "calibrate telescope",
            "--json",
            "--limit",
            "5",
            "--mode",
            "bm25",
        ],
    );
    let first = &hits[0];
    assert!(first["path"].as_str().unwrap().ends_with("guide.md"));
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(first["snippet"].as_str().unwrap().contains("telescope"));
    assert_eq!(first["location"]["line"], 3);
    assert_eq!(first["details"]["bm25_rank"], 1);
    assert!(first["details"].get("vector_rank").is_some());
    assert!(first["details"].get("rerank_score").is_some());

    let qfile = docs.path().join("q.tsv");
    std::fs::write(&qfile, "q1\ttelescope\nq2\tsoup\n").unwrap();
    let out = crumb(
        data.path(),
        &[
            "search",
            "--queries",
            qfile.to_str().unwrap(),
            "--mode",
            "bm25",
        ],
    );
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["id"], "q2");
    assert!(lines[1]["hits"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("other.txt"));

    let st = crumb_json(data.path(), &["status", "--json", "--failed"]);
    assert_eq!(st["files_indexed"], 2);
    assert_eq!(
        st["files_skipped"].as_u64().unwrap() + st["files_failed"].as_u64().unwrap(),
        1
    );
    assert_eq!(st["by_type"]["markdown"]["indexed"], 1);
    assert_eq!(st["by_type"]["text"]["indexed"], 1);
    assert!(st["passages"].as_u64().unwrap() >= 2);
    assert_eq!(st["vectors"], 0);
}

#[test]
fn status_failed_lists_each_failed_file_with_its_reason() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "ok.txt", "fine");
    let corrupt = write(docs.path(), "broken.docx", "this is not a zip archive");
    let out = crumb(data.path(), &["index", docs.path().to_str().unwrap()]);
    assert!(out.status.success());
    let out = crumb(data.path(), &["status", "--failed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let name = corrupt.file_name().unwrap().to_string_lossy().to_string();
    let line = text
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("{name} is not listed as failed:\n{text}"));
    assert!(line.len() > name.len() + 10, "no reason given: {line}");
    assert!(
        !text.contains("ok.txt"),
        "a good file listed as failed: {text}"
    );
}

#[test]
fn bad_input_gets_a_one_line_error_and_nonzero_exit() {
    let data = tempfile::tempdir().unwrap();
    let out = crumb(data.path(), &["index", "/definitely/not/here"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("folder not found: /definitely/not/here"),
        "{err}"
    );

    let out = crumb(data.path(), &["search", "x"]);
    assert!(
        !out.status.success(),
        "searching an empty data dir is an error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("crumb index"));

    let docs = tempfile::tempdir().unwrap();
    write(docs.path(), "a.txt", "alpha");
    assert!(
        crumb(data.path(), &["index", docs.path().to_str().unwrap()])
            .status
            .success()
    );
    let out = crumb(data.path(), &["search", "alpha", "--mode", "fuzzy"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown mode"));
}

#[test]
fn index_without_an_embedder_says_how_to_turn_meaning_search_on() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "notes.txt", "Ferns like rain water.");
    let out = crumb(data.path(), &["index", docs.path().to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("meaning search is off") && err.contains("crumb models fetch"),
        "no hint: {err}"
    );
    // Log lines in a pipe carry no escape codes.
    let out = std::process::Command::new(crumb_bin())
        .env("CRUMB_LOG", "info")
        .args(["--data-dir", data.path().to_str().unwrap(), "index"])
        .arg(docs.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("INFO"), "no log lines to check: {log}");
    assert!(!log.contains('\x1b'), "ANSI codes in a pipe: {log:?}");
    // Switched off on purpose: no nagging.
    let out = crumb(
        data.path(),
        &["index", docs.path().to_str().unwrap(), "--embedder", "none"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("meaning search is off"));
}
