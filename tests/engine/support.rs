//! Locating real model files and ONNX Runtime for integration tests.
//!
//! A missing prerequisite fails the test with a message that says how to
//! install it. The only way out is the documented opt-out
//! `CRUMB_ALLOW_SKIP=1` (never set by CI): then the test is counted as skipped
//! in `target/tmp/crumb-skipped.log`, which `make unit` prints at the end.

use std::io::Write;
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

/// The file that counts opted-out skips, one line each.
pub fn skip_log() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("crumb-skipped.log")
}

/// A prerequisite is missing: panics with `msg` (which says how to install
/// it), unless `CRUMB_ALLOW_SKIP=1`, where the skip is counted and `false`
/// returned so the caller can return early.
pub fn prerequisite_missing(msg: &str) -> bool {
    if std::env::var("CRUMB_ALLOW_SKIP").as_deref() != Ok("1") {
        panic!(
            "missing prerequisite: {msg}\n(set CRUMB_ALLOW_SKIP=1 to count this test as skipped \
             instead; CI never does)"
        );
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string();
    eprintln!("SKIPPED (CRUMB_ALLOW_SKIP=1): {test}: {msg}");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(skip_log())
    {
        let _ = writeln!(f, "{test}\t{msg}");
    }
    false
}

/// True when `path` exists and ONNX Runtime can be found. Otherwise the test
/// fails with what is missing and how to install it (see
/// [`prerequisite_missing`] for the one opt-out).
pub fn have(path: &Path) -> bool {
    let mut missing = Vec::new();
    if !path.exists() {
        missing.push(format!(
            "{} (run `make setup`, which runs scripts/setup-models.sh; shared models come from \
             ../shared/models beside the checkout)",
            path.display()
        ));
    }
    if let Err(e) = crumb_engine::models::find_ort_library(None) {
        missing.push(e.to_string());
    }
    if missing.is_empty() {
        return true;
    }
    prerequisite_missing(&missing.join("; "))
}

/// Parses a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
