//! Where ONNX Runtime and pdfium come from: the resource dir, the data dir,
//! then an explicit environment variable; never the working directory or its
//! ancestors. Real `crumb` processes, started from a child of a folder with
//! planted libraries.

use crate::support::{prerequisite_missing, repo_root, shared_models};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A parent folder holding bogus `libonnxruntime.so` and `libpdfium.so` in
/// every place the old ancestor search looked, and a child to run from.
struct Planted {
    _root: tempfile::TempDir,
    parent: PathBuf,
    child: PathBuf,
}

fn plant() -> Planted {
    let root = tempfile::tempdir().expect("tmp");
    let parent = root.path().join("parent");
    let child = parent.join("child");
    std::fs::create_dir_all(&child).expect("mkdir");
    let bogus = b"\x7fELF not a library: planted to see whether crumb loads it";
    for rel in [
        "libonnxruntime.so",
        ".cache/onnxruntime/libonnxruntime.so",
        "onnxruntime/libonnxruntime.so",
        "libpdfium.so",
        ".cache/pdfium/libpdfium.so",
        "pdfium/libpdfium.so",
    ] {
        let p = parent.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bogus).expect("plant");
    }
    Planted {
        _root: root,
        parent,
        child,
    }
}

/// `crumb ARGS` run from `cwd` with a fresh HOME and data dir and none of the
/// explicit variables, except those in `env`.
fn crumb_in(cwd: &Path, home: &Path, args: &[&str], env: &[(&str, PathBuf)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crumb"));
    cmd.current_dir(cwd)
        .env("HOME", home)
        .env("CRUMB_DATA_DIR", home.join("data"))
        .env("XDG_DATA_HOME", home.join("share"))
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("CRUMB_PDFIUM")
        .env_remove("CRUMB_OCR_MODELS")
        .env_remove("CRUMB_MODELS_DIR")
        .arg("--data-dir")
        .arg(home.join("data"))
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run crumb")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn checkout_lib(rel: &str) -> Option<PathBuf> {
    let p = repo_root().join(".cache").join(rel);
    if p.exists() {
        Some(p)
    } else {
        prerequisite_missing(&format!(
            "{} (run `make setup`: scripts/setup-onnxruntime.sh and scripts/setup-pdfium.sh)",
            p.display()
        ));
        None
    }
}

#[test]
fn an_onnx_runtime_planted_in_the_working_directorys_parent_is_not_loaded() {
    let Some(real) = checkout_lib("onnxruntime/libonnxruntime.so") else {
        return;
    };
    let model = shared_models().join("tiny-deberta-v3-rerank");
    if !model.is_dir() && !prerequisite_missing(&format!("{} (../shared)", model.display())) {
        return;
    }
    let planted = plant();
    let home = tempfile::tempdir().expect("tmp");
    let args = [
        "rerank",
        "q",
        "p",
        "--reranker",
        model.to_str().expect("utf-8"),
        "--provider",
        "cpu",
        "--json",
    ];

    // Nothing named anywhere: crumb says it found no runtime rather than
    // loading the planted one.
    let out = crumb_in(&planted.child, home.path(), &args, &[]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("ONNX Runtime library"), "{said}");
    assert!(said.contains("not found"), "{said}");
    assert!(
        !said.contains(&*planted.parent.to_string_lossy()),
        "the planted library was looked at: {said}"
    );

    // Named explicitly, the real one is loaded and scores the pair.
    let out = crumb_in(
        &planted.child,
        home.path(),
        &args,
        &[("ORT_DYLIB_PATH", real)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(rows[0]["score"].as_f64().is_some(), "{rows}");
}

#[test]
fn a_pdfium_planted_in_the_working_directorys_parent_is_not_loaded() {
    let Some(real) = checkout_lib("pdfium") else {
        return;
    };
    let planted = plant();
    let home = tempfile::tempdir().expect("tmp");
    let docs = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        repo_root().join("tests/fixtures/bundle/baking.pdf"),
        docs.path().join("baking.pdf"),
    )
    .expect("copy pdf");
    let index = [
        "index",
        docs.path().to_str().expect("utf-8"),
        "--embedder",
        "none",
        "--reranker",
        "none",
    ];
    let search = ["search", "knead", "--mode", "bm25", "--json"];

    // Nothing named: the PDF is skipped (no pdfium), the planted one unread.
    let out = crumb_in(&planted.child, home.path(), &index, &[]);
    let said = text(&out);
    assert!(said.contains("0 indexed"), "{said}");
    assert!(
        !said.contains(&*planted.parent.to_string_lossy()),
        "the planted library was looked at: {said}"
    );
    let out = crumb_in(&planted.child, home.path(), &search, &[]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(hits.as_array().map(Vec::len), Some(0), "{hits}");

    // Named explicitly, the real pdfium reads the PDF.
    let home = tempfile::tempdir().expect("tmp");
    let env = [("CRUMB_PDFIUM", real)];
    let out = crumb_in(&planted.child, home.path(), &index, &env);
    assert!(out.status.success(), "{}", text(&out));
    let out = crumb_in(&planted.child, home.path(), &search, &env);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        hits[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("baking.pdf")),
        "{hits}"
    );
}
