//! Recognised text cached by page content: `<cache>/<2 hex>/<hash>.txt`,
//! keyed by blake3 of the page's bytes and the pipeline's version, so new
//! models or new post-processing never serve stale text. An unreadable or
//! unwritable cache only costs a second recognition, never a failure.

use std::path::Path;

/// Bumped whenever the models or the pipeline change what they read.
const PIPELINE: &[u8] = b"crumb-ocr 3 pp-ocrv4 det, pp-ocrv6 small rec, v2 cls";

/// The cache key of a page.
pub fn key(page: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(PIPELINE);
    h.update(page);
    h.finalize().to_hex().to_string()
}

fn path(dir: &Path, key: &str) -> std::path::PathBuf {
    dir.join(&key[..2]).join(format!("{key}.txt"))
}

/// The cached text of `key`, if any.
pub fn get(dir: &Path, key: &str) -> Option<String> {
    std::fs::read_to_string(path(dir, key)).ok()
}

/// Stores `text` under `key`: written aside and renamed, so a worker killed
/// mid-write leaves no half entry.
pub fn put(dir: &Path, key: &str, text: &str) {
    let dest = path(dir, key);
    let Some(parent) = dest.parent() else { return };
    let tmp = dest.with_extension(format!("{}.part", std::process::id()));
    let written = std::fs::create_dir_all(parent)
        .and_then(|_| std::fs::write(&tmp, text))
        .and_then(|_| std::fs::rename(&tmp, &dest));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!(target: "index::ocr", "cannot cache recognised text in {}: {e}", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_keys_differ_by_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (key(b"page one"), key(b"page two"));
        assert_ne!(a, b);
        assert_eq!(get(dir.path(), &a), None);
        put(dir.path(), &a, "hello\n");
        assert_eq!(get(dir.path(), &a).as_deref(), Some("hello\n"));
        assert_eq!(get(dir.path(), &b), None);
    }
}
