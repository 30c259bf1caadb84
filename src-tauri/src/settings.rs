//! User settings, persisted as JSON in the OS config directory.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The reranker chosen when the user has not picked one: small and bundled.
pub const DEFAULT_RERANKER: &str = "mxbai-rerank-xsmall-v1";

/// Everything the user can change in Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Folders to index.
    pub folders: Vec<PathBuf>,
    /// Gitignore-style exclusion globs ("node_modules/", "*.log").
    pub exclusions: Vec<String>,
    /// Reranker model id.
    pub reranker: String,
    /// Preferred execution provider: auto, cpu, cuda, coreml, directml.
    pub provider: String,
    /// Rerank the top fused results.
    pub rerank_enabled: bool,
    /// How many files the reranker reads (the first 10 are shown reranked
    /// first, the rest follow).
    pub rerank_candidates: u32,
    /// Tokens of each (query, passage window) pair the reranker reads; 0:
    /// automatic (192 on a CPU, the model's 512 on an accelerator).
    pub rerank_window: u32,
    /// Global shortcut that shows the window, as a Tauri accelerator.
    pub shortcut: String,
    /// Launch at login, hidden in the tray.
    pub start_hidden_at_login: bool,
    /// Recognise the text of scanned pages and images (OCR). Off, nothing
    /// is read: scans and images are findable by name and wait, counted,
    /// until it is on again, as with `crumb index --no-ocr`.
    pub ocr_enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            folders: Vec::new(),
            exclusions: Vec::new(),
            reranker: DEFAULT_RERANKER.into(),
            provider: "auto".into(),
            rerank_enabled: true,
            rerank_candidates: 20,
            rerank_window: 0,
            shortcut: "CommandOrControl+Shift+Space".into(),
            start_hidden_at_login: false,
            ocr_enabled: true,
        }
    }
}

const PROVIDERS: [&str; 5] = ["auto", "cpu", "cuda", "coreml", "directml"];

impl Settings {
    /// The settings file inside `config_dir`.
    pub fn file(config_dir: &Path) -> PathBuf {
        config_dir.join("settings.json")
    }

    /// Loads settings; `Ok(None)` when none were saved yet (first run).
    pub fn load(config_dir: &Path) -> anyhow::Result<Option<Settings>> {
        let path = Settings::file(config_dir);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let s: Settings = serde_json::from_slice(&bytes)
                    .with_context(|| format!("read settings {}", path.display()))?;
                Ok(Some(s.sanitised()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("read settings {}", path.display())),
        }
    }

    /// Saves atomically (write a temp file, then rename) so a crash never
    /// leaves half a settings file.
    pub fn save(&self, config_dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(config_dir)
            .with_context(|| format!("create {}", config_dir.display()))?;
        let path = Settings::file(config_dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("write {}", path.display()))?;
        Ok(())
    }

    /// Repairs values a hand-edited file (or an older version) may hold.
    pub fn sanitised(mut self) -> Settings {
        if !PROVIDERS.contains(&self.provider.as_str()) {
            self.provider = "auto".into();
        }
        if self.reranker.trim().is_empty() {
            self.reranker = DEFAULT_RERANKER.into();
        }
        self.rerank_candidates = self.rerank_candidates.clamp(5, 200);
        if self.rerank_window != 0 {
            self.rerank_window = self.rerank_window.clamp(64, 512);
        }
        self.exclusions.retain(|e| !e.trim().is_empty());
        let mut seen = std::collections::HashSet::new();
        self.folders.retain(|f| seen.insert(f.clone()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_has_no_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), None);
    }

    #[test]
    fn settings_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings {
            folders: vec![PathBuf::from("/tmp/docs")],
            reranker: "mxbai-rerank-base-v2".into(),
            ..Settings::default()
        };
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), Some(s));
    }

    #[test]
    fn bad_values_are_repaired_and_missing_fields_defaulted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            Settings::file(dir.path()),
            r#"{"provider":"gpu9000","rerank_candidates":100000,"folders":["/a","/a"]}"#,
        )
        .unwrap();
        let s = Settings::load(dir.path()).unwrap().unwrap();
        assert_eq!(s.provider, "auto");
        assert_eq!(s.rerank_candidates, 200);
        assert_eq!(s.folders, vec![PathBuf::from("/a")]);
        assert_eq!(s.reranker, DEFAULT_RERANKER);
    }

    #[test]
    fn corrupt_settings_are_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Settings::file(dir.path()), b"{not json").unwrap();
        assert!(Settings::load(dir.path()).is_err());
    }
}
