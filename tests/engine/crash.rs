//! `kill -9` in the middle of indexing leaves an index that opens and answers,
//! and the next run resumes to exactly what a clean run produces.

use crate::common::*;
use crumb_engine::catalog::Catalog;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn make_tree(root: &Path, n: usize) {
    for i in 0..n {
        let body = format!(
            "Document {i} talks about topic{} and marker{i}.\n\n{}\n",
            i % 17,
            "Filler sentence with several ordinary words in it. ".repeat(20 + i % 30)
        );
        write(root, &format!("d{}/f{i}.txt", i % 23), body);
    }
}

fn files_in_catalog(data: &Path) -> usize {
    let Ok(cat) = Catalog::open_read_only(&data.join("catalog.sqlite")) else {
        return 0;
    };
    cat.conn()
        .query_row("SELECT COUNT(*) FROM files", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
        .unwrap_or(0)
}

#[test]
fn kill_during_indexing_then_resume_equals_a_clean_index() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let total = 2500;
    make_tree(docs.path(), total);

    let mut kills = 0;
    for attempt in 0..4 {
        let mut child = Command::new(crumb_bin())
            .arg("--data-dir")
            .arg(data.path())
            .arg("index")
            .arg(docs.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it get somewhere past what the previous attempt reached, then kill.
        let before = files_in_catalog(data.path());
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut finished = false;
        while files_in_catalog(data.path()) < before + 64 * (attempt + 1) {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            assert!(Instant::now() < deadline, "indexing made no progress");
            std::thread::sleep(Duration::from_millis(5));
        }
        if finished {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;

        // The interrupted index opens and answers queries, read-only.
        let out = crumb(
            data.path(),
            &["search", "marker1", "--json", "--mode", "bm25"],
        );
        assert!(
            out.status.success(),
            "search after kill failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    }
    assert!(
        kills >= 1,
        "indexing finished before any kill; make the tree bigger"
    );

    // Resume.
    let out = crumb(data.path(), &["index", docs.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A clean index of the same tree.
    let clean = tempfile::tempdir().unwrap();
    let out = crumb(clean.path(), &["index", docs.path().to_str().unwrap()]);
    assert!(out.status.success());

    let resumed = snapshot(data.path(), docs.path());
    assert_eq!(resumed.len(), total);
    assert!(
        resumed == snapshot(clean.path(), docs.path()),
        "resumed index differs from a clean one"
    );

    // And the lexical index mirrors the catalog exactly.
    let st = crumb_json(data.path(), &["status", "--json"]);
    assert_eq!(st["lexical_docs"], st["passages"]);
    assert_eq!(st["files_indexed"], total);
    let hits = crumb_json(
        data.path(),
        &["search", "marker2499", "--json", "--mode", "bm25"],
    );
    assert!(hits[0]["path"].as_str().unwrap().ends_with("f2499.txt"));
}
