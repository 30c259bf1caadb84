//! Where native libraries (ONNX Runtime, pdfium) and models are found.
//!
//! One rule for all of them, in this order:
//! 1. the **resource directory**: the app's (Tauri's `resource_dir`, set with
//!    [`set_resource_dir`]), or for the `crumb` CLI `<exe dir>/../lib/Crumb`,
//!    which is where the `.deb` puts the app's resources beside `/usr/bin`;
//! 2. the **user's data dir** (what `crumb models fetch` or Settings
//!    downloaded);
//! 3. an **explicit environment variable** (`ORT_DYLIB_PATH`, `CRUMB_PDFIUM`,
//!    `CRUMB_OCR_MODELS`, `CRUMB_MODELS_DIR`), which is how a source checkout
//!    points at `.cache/` (the Makefile and `.cargo/config.toml` set them).
//!
//! Never the working directory or its ancestors: a library planted in a
//! folder the user happens to run `crumb` from must not be loaded.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The resource folder's name under `<prefix>/lib/`: Tauri's `.deb` and
/// AppImage put resources in `usr/lib/<productName>`.
pub const RESOURCE_FOLDER: &str = "Crumb";

/// A marker file at the top of a resource dir built from stand-in models
/// (`make bundle` without the model hub). Its presence makes the bundle a
/// test bundle; its text says what stands in for what.
pub const TEST_BUNDLE_MARKER: &str = "TEST-BUNDLE.json";

static RESOURCE_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Sets the resource directory for this process (the app calls it once at
/// start with Tauri's resource dir). Later calls are ignored.
pub fn set_resource_dir(dir: PathBuf) {
    let _ = RESOURCE_DIR.set(dir);
}

/// The resource directory: the one set by the app, else
/// `<exe dir>/../lib/Crumb` when it exists.
pub fn resource_dir() -> Option<PathBuf> {
    if let Some(d) = RESOURCE_DIR.get() {
        return Some(d.clone());
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.join("..").join("lib").join(RESOURCE_FOLDER);
    dir.is_dir().then_some(dir)
}

/// A path from an environment variable, when set and non-empty.
pub fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The three places for one resource, in order: `<resource dir>/<rel>`,
/// `<data dir>/<rel>`, then the environment variable's value.
pub fn candidates(rel: &Path, data_dir: &Path, env: Option<PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(res) = resource_dir() {
        out.push(res.join(rel));
    }
    // A relative data dir (the `.crumb` fallback when there is no home) would
    // be the working directory: never load from there.
    if data_dir.is_absolute() {
        out.push(data_dir.join(rel));
    }
    out.extend(env);
    out
}

/// What a resource dir says about itself: whether it is a test bundle
/// (stand-in models) and the marker's text.
pub fn test_bundle_note() -> Option<String> {
    let marker = resource_dir()?.join(TEST_BUNDLE_MARKER);
    std::fs::read_to_string(marker).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_resource_dir_then_data_dir_then_env_and_never_the_cwd() {
        let data = Path::new("/nonexistent-data");
        let c = candidates(
            Path::new("onnxruntime/libx.so"),
            data,
            Some(PathBuf::from("/env/libx.so")),
        );
        assert_eq!(c.last(), Some(&PathBuf::from("/env/libx.so")));
        assert!(c.contains(&data.join("onnxruntime/libx.so")));
        let cwd = std::env::current_dir().unwrap();
        assert!(c.iter().all(|p| !p.starts_with(&cwd)), "{c:?}");
    }

    #[test]
    fn a_relative_data_dir_is_not_searched() {
        let c = candidates(Path::new("onnxruntime/libx.so"), Path::new(".crumb"), None);
        assert!(c.iter().all(|p| p.is_absolute()), "{c:?}");
    }
}
