//! Locating real model files and ONNX Runtime for integration tests.
//!
//! Without them a test skips with a message, except under `CI`, where a
//! missing file fails the test: CI must never pass by skipping.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `CRUMB_SHARED_MODELS`, else `<repo>/../shared/models`.
pub fn shared_models() -> PathBuf {
    std::env::var_os("CRUMB_SHARED_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/models"))
}

/// The MiniLM stand-in built by `scripts/setup-models.sh`.
pub fn minilm_dir() -> PathBuf {
    std::env::var_os("CRUMB_MINILM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/models/minilm"))
}

/// True when `path` exists and ONNX Runtime can be found; otherwise skips
/// (returns false) or, under `CI`, panics with what is missing.
pub fn have(path: &Path) -> bool {
    let mut missing = Vec::new();
    if !path.exists() {
        missing.push(format!(
            "{} (run `make setup` / scripts/setup-models.sh)",
            path.display()
        ));
    }
    if let Err(e) = crumb_engine::models::find_ort_library(None) {
        missing.push(e.to_string());
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!("missing: {}", missing.join("; "));
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

/// Parses a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
