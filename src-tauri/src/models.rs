//! The reranker choices shown in Settings, and loading the chosen one into
//! the engine so a switch needs no restart.

use crumb_engine::models::{self, KnownModel};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// One reranker the user can pick.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RerankerModel {
    /// Stable id, also the folder name under `<data dir>/models/`.
    pub id: String,
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

/// Whether `id` names a known reranker.
pub fn is_known(id: &str) -> bool {
    KNOWN.iter().any(|(k, _, _)| *k == id)
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

/// The catalog with what is installed under `data_dir`.
pub fn catalog(data_dir: &Path, latency: &Latency) -> Vec<RerankerModel> {
    KNOWN
        .iter()
        .map(|(id, label, size)| {
            let known = KnownModel::from_name(id);
            let found = known.and_then(|k| models::find_model(k, Some(data_dir)));
            RerankerModel {
                id: id.to_string(),
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
    fn catalog_lists_five_rerankers_and_calls_none_bundled_without_a_resource_dir() {
        let dir = tempfile::tempdir().unwrap();
        let c = catalog(dir.path(), &Latency::default());
        assert_eq!(c.len(), 5);
        // The test binary has no resource dir, so nothing is bundled.
        assert!(c.iter().all(|m| !m.bundled));
        assert!(c.iter().all(|m| !m.installed));
        assert!(is_known("mxbai-rerank-large-v2") && !is_known("gpt"));
    }
}
