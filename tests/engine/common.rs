//! Helpers shared by the integration tests.

use crumb_engine::catalog::Catalog;
use crumb_engine::progress::{CancelFlag, NoProgress};
use crumb_engine::{Engine, EngineOptions, Hit, IndexReport, SearchRequest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `crumb` binary under test.
pub fn crumb_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_crumb"))
}

/// Runs `crumb --data-dir data ARGS...`.
pub fn crumb(data: &Path, args: &[&str]) -> Output {
    Command::new(crumb_bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run crumb")
}

/// Runs crumb and parses stdout as JSON, asserting success.
pub fn crumb_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = crumb(data, args);
    assert!(
        out.status.success(),
        "crumb {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Writes a file, creating parent folders.
pub fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, content).expect("write");
    p
}

/// Extraction in real worker processes: the `crumb` binary serves them.
pub fn workers() -> crumb_engine::ExtractMode {
    crumb_engine::ExtractMode::Command {
        program: crumb_bin(),
        args: vec![crumb_engine::extract::worker::WORKER_ARG.to_string()],
    }
}

/// Opens a writable engine on `data`, extracting in worker processes.
pub fn engine(data: &Path) -> Engine {
    Engine::open(EngineOptions::new(data).with_extract(workers())).expect("open engine")
}

/// Indexes `root` with `engine`.
pub fn index(engine: &Engine, root: &Path) -> IndexReport {
    engine
        .index(&[root.to_path_buf()], &NoProgress, &CancelFlag::new())
        .expect("index")
}

/// BM25 search, returning hits.
pub fn search(engine: &Engine, q: &str) -> Vec<Hit> {
    engine
        .search(&SearchRequest::new(q).with_mode(crumb_engine::Mode::Bm25))
        .expect("search")
}

/// File names of hits, in order.
pub fn names(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            Path::new(&h.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Everything the catalog says, keyed by path relative to `root`: status,
/// reason and passage texts. Two indexes of the same tree must agree on it.
pub type Snapshot = BTreeMap<String, (String, Option<String>, Vec<String>)>;

/// Reads a [`Snapshot`] of the catalog in `data`.
pub fn snapshot(data: &Path, root: &Path) -> Snapshot {
    let cat = Catalog::open_read_only(&data.join("catalog.sqlite")).expect("catalog");
    let root_c = root.canonicalize().expect("canonical root");
    let mut out = BTreeMap::new();
    for f in cat
        .files_under_root(&root_c.to_string_lossy())
        .expect("files")
    {
        let rel = Path::new(&f.path)
            .strip_prefix(&root_c)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let passages = cat
            .passages_of(f.id)
            .expect("passages")
            .into_iter()
            .map(|p| p.text)
            .collect();
        out.insert(rel, (format!("{:?}", f.status), f.reason, passages));
    }
    out
}
