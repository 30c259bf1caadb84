//! Search as people type it: the query language, prefixes of the word being
//! typed, typos, accents and CJK, files found by name, the "no strong match"
//! verdict, and the lexical index upgrade that these changes need.

mod analysis;
mod confidence;
mod names;
mod operators;
mod upgrade;

use crate::common::*;
use crumb_engine::{Engine, Hit, Mode, SearchRequest};
use std::path::Path;

/// BM25 search returning file names, best first.
fn found(e: &Engine, q: &str) -> Vec<String> {
    names(&search(e, q))
}

/// An engine over the files written by `files`, indexed; with its folders.
fn indexed(files: &[(&str, &str)]) -> (Engine, tempfile::TempDir, tempfile::TempDir) {
    let docs = tempfile::tempdir().expect("docs dir");
    let data = tempfile::tempdir().expect("data dir");
    for (rel, text) in files {
        write(docs.path(), rel, text);
    }
    let e = engine(data.path());
    index(&e, docs.path());
    (e, docs, data)
}

/// Sets a file's modification time to `secs` since the epoch.
fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for mtime");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .expect("set mtime");
}

/// One search with the full results (verdict included).
fn results(e: &Engine, q: &str, mode: Mode) -> crumb_engine::search::SearchResults {
    e.search_results(&SearchRequest::new(q).with_mode(mode), &|| false)
        .expect("search")
}

fn hit<'a>(hits: &'a [Hit], name: &str) -> &'a Hit {
    hits.iter()
        .find(|h| h.path.ends_with(name))
        .unwrap_or_else(|| panic!("{name} not among {:?}", names(hits)))
}
