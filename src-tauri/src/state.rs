//! The app's state and the logic behind its commands, kept out of the
//! command functions so each of those stays a one-line hand-off.

use crate::error::{coded, engine, wire, CmdResult};
use crate::host::Host;
use crate::indexer::{Indexer, IndexingState};
use crate::loader::{self, ModelProblems};
use crate::models::{self, Latency, RerankerModel};
use crate::settings::Settings;
use crumb_engine::search::{SearchResults, SearchStage};
use crumb_engine::{FileKind, WireError};
use crumb_engine::{Filters, Hit, Mode, SearchRequest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tauri::ipc::Channel;

/// What the window needs at start.
#[derive(Debug, Serialize)]
pub struct Boot {
    pub settings: Settings,
    /// No settings were saved and the index is empty: show the welcome card.
    pub first_run: bool,
    pub suggested_folder: Option<PathBuf>,
    pub indexing: IndexingState,
    pub data_dir: PathBuf,
    pub home: Option<PathBuf>,
    /// Another process is the index writer; this window can only search.
    pub read_only: bool,
}

/// A search as the window sends it.
/// An earlier order of a search in progress, sent while the reranker works.
#[derive(Debug, Clone, Serialize)]
pub struct StageMessage {
    /// `fused` or `partial`.
    pub stage: SearchStage,
    /// The files in that order.
    pub hits: Vec<Hit>,
}

#[derive(Debug, Deserialize)]
pub struct SearchArgs {
    pub query: String,
    pub limit: usize,
    pub mode: Mode,
    pub rerank: bool,
    #[serde(default)]
    pub kinds: Vec<String>,
    pub folder: Option<String>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
}

impl SearchArgs {
    /// The window's filters, as the engine takes them.
    pub fn filters(&self) -> CmdResult<Filters> {
        let kinds = self
            .kinds
            .iter()
            .map(|k| {
                FileKind::parse(k).ok_or_else(|| coded("input", format!("unknown file type {k:?}")))
            })
            .collect::<CmdResult<Vec<_>>>()?;
        Ok(Filters {
            kinds,
            folder: self.folder.clone(),
            modified_after: self.modified_after,
            modified_before: self.modified_before,
        })
    }
}

/// A file that could not be indexed.
#[derive(Debug, Serialize)]
pub struct FailedFile {
    pub path: String,
    pub reason: String,
}

/// Everything the commands share.
pub struct AppState {
    pub host: Arc<Host>,
    pub indexer: Indexer,
    pub settings: Mutex<Settings>,
    pub first_run: Mutex<bool>,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub latency: Latency,
    pub model_problems: Arc<ModelProblems>,
}

impl AppState {
    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn boot(&self) -> Boot {
        Boot {
            settings: self.settings(),
            first_run: self.first_run.lock().map(|f| *f).unwrap_or(false),
            suggested_folder: crate::paths::suggested_folder(),
            indexing: self.indexer.state(),
            data_dir: self.data_dir.clone(),
            home: crate::paths::home_dir(),
            read_only: self.host.read_only(),
        }
    }

    /// Runs a search unless a newer one has started since the window sent it.
    /// Earlier orders (fused, first files reranked) go out on `stages`.
    pub fn search(
        &self,
        args: SearchArgs,
        seq: u64,
        stages: &Channel<StageMessage>,
    ) -> CmdResult<SearchResults> {
        self.host.begin_search(seq)?;
        let settings = self.settings();
        let filters = args.filters()?;
        let req = SearchRequest {
            query: args.query,
            limit: args.limit.clamp(1, 200),
            mode: args.mode,
            rerank: args.rerank && settings.rerank_enabled,
            rerank_top: settings.rerank_candidates as usize,
            rerank_window: (settings.rerank_window > 0).then_some(settings.rerank_window as usize),
            filters,
            ..SearchRequest::default()
        };
        let engine = self.host.engine();
        let reranking = req.rerank && engine.reranker().is_some();
        // No gate around the search: a newer keystroke's retrieval (a few
        // ms) must not wait behind an older query's reranking, which notices
        // it was overtaken and stops at its next model run. Reranks cannot
        // pile up either: the model's sessions are shared, one run each.
        self.host.still_current(seq)?;
        let started = Instant::now();
        let overtaken = || self.host.still_current(seq).is_err();
        let mut on_stage = |stage: SearchStage, hits: &[Hit]| {
            if stage == SearchStage::Done || overtaken() {
                return;
            }
            self.host
                .remember(hits.iter().map(|h| (h.file_id, h.path.as_str())));
            let _ = stages.send(StageMessage {
                stage,
                hits: hits.to_vec(),
            });
        };
        let results = engine
            .search_progressive(&req, &mut on_stage, &overtaken)
            .map_err(engine_err)?;
        if reranking {
            self.latency
                .record(&settings.reranker, started.elapsed().as_secs_f64() * 1e3);
        }
        // The answer may be stale by now; the window drops it either way, but
        // saying so spares it the work of rendering.
        self.host.still_current(seq)?;
        self.host
            .remember(results.hits.iter().map(|h| (h.file_id, h.path.as_str())));
        Ok(results)
    }

    pub fn status(&self) -> CmdResult<crumb_engine::Status> {
        self.host.engine().status().map_err(engine_err)
    }

    pub fn failed_files(&self) -> CmdResult<Vec<FailedFile>> {
        let files = self.host.engine().failed_files().map_err(engine_err)?;
        Ok(files
            .into_iter()
            .map(|f| FailedFile {
                path: f.path,
                reason: f.reason.unwrap_or_else(|| "unknown reason".into()),
            })
            .collect())
    }

    /// (Re)starts live indexing over all configured folders: a full catch-up
    /// pass, then changes as they come.
    pub fn start_indexing(&self) -> CmdResult<()> {
        let folders = self.settings().folders;
        if folders.is_empty() {
            return Err(coded("input", "add a folder to index first"));
        }
        self.indexer.start(self.host.clone(), folders).map_err(wire)
    }

    /// Pauses live indexing (changes are collected, not applied).
    pub fn pause_indexing(&self) -> CmdResult<()> {
        self.indexer.pause();
        Ok(())
    }

    /// Resumes live indexing; what was held is applied.
    pub fn resume_indexing(&self) -> CmdResult<()> {
        self.indexer.resume();
        Ok(())
    }

    /// Pauses text recognition; keyword indexing and search go on.
    pub fn pause_recognition(&self) -> CmdResult<()> {
        self.indexer.pause_recognition(&self.host);
        Ok(())
    }

    /// Resumes text recognition.
    pub fn resume_recognition(&self) -> CmdResult<()> {
        self.indexer.resume_recognition(&self.host);
        Ok(())
    }

    /// Re-indexes the files that failed; the window then reloads the list.
    pub fn retry_failed(&self) -> CmdResult<()> {
        let report = self.indexer.retry_failed(&self.host).map_err(wire)?;
        tracing::info!(target: "app::index", indexed = report.indexed, failed = report.failed, "retried failed files");
        Ok(())
    }

    /// (Re)loads the models the settings name, in the background.
    pub fn load_models(&self) {
        loader::load_in_background(
            self.host.clone(),
            self.data_dir.clone(),
            self.settings(),
            self.model_problems.clone(),
        );
    }

    /// Problems met loading models, for Settings.
    pub fn model_problems(&self) -> Vec<String> {
        self.model_problems.get()
    }

    pub fn reranker_models(&self) -> Vec<RerankerModel> {
        models::catalog(&self.data_dir, &self.latency)
    }

    /// Validates, applies and persists new settings; returns what was saved.
    pub fn save_settings(&self, new: Settings) -> CmdResult<(Settings, Settings)> {
        let mut new = new.sanitised();
        new.folders = new
            .folders
            .iter()
            .map(|f| canonical_folder(f))
            .collect::<CmdResult<_>>()?;
        new.folders.dedup();
        if !models::is_reranker(&new.reranker) {
            return Err(coded(
                "input",
                format!("unknown reranker {:?}", new.reranker),
            ));
        }
        let old = self.settings();
        for gone in old.folders.iter().filter(|f| !new.folders.contains(f)) {
            if let Err(e) = self.host.engine().remove_root(gone) {
                tracing::warn!(target: "app", folder = %gone.display(), error = %e, "could not drop folder from index");
            }
        }
        new.save(&self.config_dir).map_err(wire)?;
        if let Ok(mut s) = self.settings.lock() {
            *s = new.clone();
        }
        if let Ok(mut f) = self.first_run.lock() {
            *f = false;
        }
        if old.ocr_enabled != new.ocr_enabled {
            self.host.engine().set_recognition_enabled(new.ocr_enabled);
            self.indexer.recognition_changed();
        }
        if old.reranker != new.reranker
            || old.provider != new.provider
            || old.rerank_enabled != new.rerank_enabled
        {
            self.load_models();
        }
        // The watcher watches a fixed set of folders: start it again over the
        // new set (its reconcile registers added folders).
        if old.folders != new.folders {
            if new.folders.is_empty() {
                self.indexer.stop();
            } else {
                self.start_indexing()?;
            }
        }
        Ok((old, new))
    }
}

fn engine_err(e: crumb_engine::Error) -> WireError {
    engine(e)
}

/// Resolves a folder the user typed or picked, refusing anything that is not
/// an existing directory.
fn canonical_folder(path: &Path) -> CmdResult<PathBuf> {
    let expanded = match path.strip_prefix("~") {
        Ok(rest) => crate::paths::home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|| path.to_path_buf()),
        Err(_) => path.to_path_buf(),
    };
    if !expanded.is_dir() {
        return Err(coded(
            "missing_folder",
            format!("folder not found: {}", path.display()),
        ));
    }
    expanded
        .canonicalize()
        .map_err(|e| coded("io", format!("cannot resolve {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_folder_rejects_files_and_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.txt");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(canonical_folder(&file).unwrap_err().code, "missing_folder");
        assert_eq!(
            canonical_folder(&dir.path().join("nope")).unwrap_err().code,
            "missing_folder"
        );
        assert!(canonical_folder(dir.path()).unwrap().is_absolute());
    }
}
