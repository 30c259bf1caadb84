//! Shared helpers: the shared test material, zip fixtures built at test time,
//! and an extraction sandbox whose workers are this test binary itself.

use crate::support::prerequisite_missing;
use crumb_engine::extract::{worker, Sandbox, SandboxOptions};
use std::path::PathBuf;
use std::time::Duration;

/// `../shared` beside the repository (as in CI), or `$CRUMB_SHARED`. When it
/// is missing the test fails, unless `CRUMB_ALLOW_SKIP=1` counts it as
/// skipped (then `None`).
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("CRUMB_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("adversarial").is_dir() {
        return Some(dir);
    }
    prerequisite_missing(&format!(
        "the shared test material is not at {} (check out the project with ../shared beside it, \
         or set CRUMB_SHARED)",
        dir.display()
    ));
    None
}

/// A file of the shared material. A missing file fails the test (the shared
/// folder is there but incomplete), unless `CRUMB_ALLOW_SKIP=1`.
pub fn shared_file(rel: &str) -> Option<PathBuf> {
    let path = shared()?.join(rel);
    if path.is_file() {
        Some(path)
    } else {
        prerequisite_missing(&format!(
            "{} not found in the shared material",
            path.display()
        ));
        None
    }
}

/// The bytes of a fixture under `tests/fixtures/extract/` (made by its `make.py`).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/extract")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A sandbox whose workers run this very test binary, which turns into a
/// worker through the ignored test [`extraction_worker`] below.
pub fn sandbox(timeout: Duration, memory: u64) -> Sandbox {
    let exe = std::env::current_exe().expect("test binary path");
    let args = [
        "extract_support::extraction_worker",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ];
    Sandbox::new(exe, args.iter().map(|s| s.to_string()).collect()).with_options(
        SandboxOptions::default()
            .with_timeout(timeout)
            .with_memory_limit(memory),
    )
}

/// Not a test: the entry point of worker processes started by [`sandbox`].
/// Does nothing when run by hand (no memory limit in the environment).
#[test]
#[ignore = "entry point of extraction worker processes"]
fn extraction_worker() {
    if std::env::var_os(worker::MEMORY_ENV).is_some() {
        worker::serve().expect("worker loop");
    }
}

/// True when pdfium can be loaded; PDF tests need `scripts/setup-pdfium.sh`.
pub fn require_pdfium() {
    assert!(
        crumb_engine::extract::pdf::pdfium_available(),
        "pdfium not found: run scripts/setup-pdfium.sh (make setup) first"
    );
}
