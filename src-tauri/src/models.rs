//! The models shown in Settings (the embedder and the reranker choices),
//! each with whether it is installed, bundled (in the resource dir) or
//! downloadable.

use crumb_engine::models::{self, KnownModel};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// One model Settings lists: the embedder, or a reranker the user can pick.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RerankerModel {
    /// Stable id, also the folder name under `<data dir>/models/`.
    pub id: String,
    /// "embedder" or "reranker".
    pub role: &'static str,
    /// What Settings shows.
    pub label: String,
    /// Download size of the ONNX variant used, in MB.
    pub size_mb: u32,
    /// All files present.
    pub installed: bool,
    /// Shipped with the app.
    pub bundled: bool,
    /// Median search-with-rerank time measured on this machine, in ms.
    pub latency_ms: Option<f64>,
}

/// (id, label, size in MB of the int8 ONNX file) for the five rerankers.
const KNOWN: [(&str, &str, u32); 5] = [
    ("mxbai-rerank-xsmall-v1", "xsmall v1 — fast (default)", 87),
    ("mxbai-rerank-base-v1", "base v1 — balanced", 244),
    ("mxbai-rerank-large-v1", "large v1 — best v1", 642),
    ("mxbai-rerank-base-v2", "base v2 — multilingual", 520),
    (
        "mxbai-rerank-large-v2",
        "large v2 — most accurate, slow",
        1600,
    ),
];

/// The embedder: (id, label, size in MB of its int8 ONNX file).
const EMBEDDER: (&str, &str, u32) = (
    "mxbai-embed-xsmall-v1",
    "xsmall v1 — finds text by meaning",
    24,
);

/// Whether `id` names a model Settings can download.
pub fn is_known(id: &str) -> bool {
    id == EMBEDDER.0 || is_reranker(id)
}

/// Whether `id` names a known reranker.
pub fn is_reranker(id: &str) -> bool {
    KNOWN.iter().any(|(k, _, _)| *k == id)
}

/// Whether `id` is the embedder.
pub fn is_embedder(id: &str) -> bool {
    id == EMBEDDER.0
}

/// A model folder is usable when it has a config, a tokenizer and an ONNX file.
fn installed(dir: &Path) -> bool {
    dir.join("config.json").is_file()
        && dir.join("tokenizer.json").is_file()
        && (dir.join("model.onnx").is_file() || dir.join("onnx").is_dir())
}

/// Search-with-rerank timings per model, kept for this session.
#[derive(Default)]
pub struct Latency(Mutex<HashMap<String, Vec<f64>>>);

impl Latency {
    /// Records one timing.
    pub fn record(&self, model: &str, ms: f64) {
        if let Ok(mut m) = self.0.lock() {
            let v = m.entry(model.to_string()).or_default();
            if v.len() >= 64 {
                v.remove(0);
            }
            v.push(ms);
        }
    }

    /// The median timing, when any was recorded.
    pub fn median(&self, model: &str) -> Option<f64> {
        let m = self.0.lock().ok()?;
        let mut v = m.get(model)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        Some(v[v.len() / 2])
    }
}

/// The catalog with what is installed: the embedder first, then the
/// rerankers.
pub fn catalog(data_dir: &Path, latency: &Latency) -> Vec<RerankerModel> {
    std::iter::once(("embedder", &EMBEDDER))
        .chain(KNOWN.iter().map(|k| ("reranker", k)))
        .map(|(role, (id, label, size))| {
            let known = KnownModel::from_name(id);
            let found = known.and_then(|k| models::find_model(k, Some(data_dir)));
            RerankerModel {
                id: id.to_string(),
                role,
                label: label.to_string(),
                size_mb: *size,
                installed: found.as_deref().is_some_and(installed),
                // Only what is really in the resource dir counts as bundled.
                bundled: known.and_then(models::bundled_model).is_some(),
                latency_ms: latency.median(id),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_recorded_latencies() {
        let l = Latency::default();
        assert_eq!(l.median("m"), None);
        for ms in [30.0, 10.0, 20.0] {
            l.record("m", ms);
        }
        assert_eq!(l.median("m"), Some(20.0));
    }

    #[test]
    fn catalog_lists_the_embedder_and_five_rerankers_and_calls_none_bundled_without_a_resource_dir()
    {
        let dir = tempfile::tempdir().unwrap();
        let c = catalog(dir.path(), &Latency::default());
        assert_eq!(c.len(), 6);
        assert_eq!(
            (c[0].id.as_str(), c[0].role),
            ("mxbai-embed-xsmall-v1", "embedder")
        );
        assert!(c[1..].iter().all(|m| m.role == "reranker"));
        assert!(is_known("mxbai-embed-xsmall-v1") && !is_reranker("mxbai-embed-xsmall-v1"));
        // The test binary has no resource dir, so nothing is bundled.
        assert!(c.iter().all(|m| !m.bundled));
        assert!(c.iter().all(|m| !m.installed));
        assert!(is_known("mxbai-rerank-large-v2") && !is_known("gpt"));
    }
}
