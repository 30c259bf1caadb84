//! Loads the embedder and the chosen reranker into the engine, off the UI
//! thread, and fetches missing models with progress events. A switch of
//! reranker or provider swaps the model in place: no restart.

use crate::host::Host;
use crate::settings::Settings;
use crumb_engine::models::{
    self, fetch::fetch_model, ExecutionProvider, KnownModel, Manifest, ModelOptions,
};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The embedder the app uses when the index names none (bundled with releases).
const EMBEDDER: &str = "mxbai-embed-xsmall-v1";
/// Where the index remembers its embedder folder; shared with the `crumb` CLI,
/// so both embed queries with the model the passages were embedded with.
const EMBEDDER_SETTING: &str = "embedder_dir";

/// What went wrong loading models, for Settings to show, and a hook that
/// tells the window a load finished (so Settings can show the new model).
pub struct ModelProblems {
    list: Mutex<Vec<String>>,
    /// Said in Settings while the index is re-embedded in the background.
    notice: Mutex<Option<String>>,
    /// An embedder just loaded whose vectors the index lacks: the window
    /// hook starts re-embedding (see `take_new_embedder`).
    new_embedder: Mutex<Option<String>>,
    loaded: Box<dyn Fn() + Send + Sync>,
}

impl ModelProblems {
    /// Calls `loaded` after each load.
    pub fn new(loaded: impl Fn() + Send + Sync + 'static) -> Self {
        ModelProblems {
            list: Mutex::new(Vec::new()),
            notice: Mutex::new(None),
            new_embedder: Mutex::new(None),
            loaded: Box::new(loaded),
        }
    }

    /// The problems of the last load, and what runs in the background.
    pub fn get(&self) -> Vec<String> {
        let mut out = self.list.lock().map(|p| p.clone()).unwrap_or_default();
        if let Some(n) = self.notice.lock().ok().and_then(|n| n.clone()) {
            out.push(n);
        }
        out
    }

    /// Sets (or clears) the background notice and tells the window.
    pub fn set_notice(&self, notice: Option<String>) {
        if let Ok(mut n) = self.notice.lock() {
            *n = notice;
        }
        (self.loaded)();
    }

    /// The embedder the last load switched to, when the index needs
    /// re-embedding for it; taken once.
    pub fn take_new_embedder(&self) -> Option<String> {
        self.new_embedder.lock().ok().and_then(|mut n| n.take())
    }

    fn set(&self, problems: Vec<String>) {
        if let Ok(mut p) = self.list.lock() {
            *p = problems;
        }
        (self.loaded)();
    }
}

/// Download progress, as the `model-download` event carries it.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadProgress {
    pub id: String,
    pub done: u64,
    pub total: u64,
    /// Set on the last event when the download failed.
    pub error: Option<String>,
}

fn provider(settings: &Settings) -> ExecutionProvider {
    settings.provider.parse().unwrap_or(ExecutionProvider::Auto)
}

/// Loads models for `settings` on a background thread. Search works without
/// them (BM25 only) until they are in.
pub fn load_in_background(
    host: Arc<Host>,
    data_dir: PathBuf,
    settings: Settings,
    problems: Arc<ModelProblems>,
) {
    let spawned = std::thread::Builder::new()
        .name("crumb-models".into())
        .spawn(move || {
            problems.set(load(&host, &data_dir, &settings, &problems.new_embedder));
        });
    if let Err(e) = spawned {
        tracing::warn!(target: "app::models", error = %e, "cannot start the model loader");
    }
}

/// Loads what is installed; returns the problems met.
fn load(
    host: &Host,
    data_dir: &Path,
    settings: &Settings,
    new_embedder: &Mutex<Option<String>>,
) -> Vec<String> {
    let _span =
        tracing::info_span!(target: "app::models", "load", reranker = %settings.reranker).entered();
    let mut problems = Vec::new();
    if let Err(e) = models::init_runtime(Some(data_dir)) {
        problems.push(format!("ONNX Runtime: {e}"));
        return problems;
    }
    let opts = ModelOptions::new(provider(settings));
    let engine = host.engine();
    let embed_dir = engine
        .setting(EMBEDDER_SETTING)
        .ok()
        .flatten()
        .map(PathBuf::from)
        .filter(|p| p.join("config.json").is_file())
        .or_else(|| models::resolve_model(EMBEDDER, Some(data_dir)).ok());
    if let (None, Some(dir)) = (engine.embedder(), embed_dir) {
        match models::load_embedder_with(&dir, &opts) {
            Ok(e) => {
                let id = e.id().to_string();
                engine.set_embedder(Some(Arc::from(e)));
                // Passages without vectors (an index built keyword-only, or
                // with another embedder) get them in the background.
                if !host.read_only() && engine.status().is_ok_and(|s| s.vectors < s.passages) {
                    if let Ok(mut n) = new_embedder.lock() {
                        *n = Some(id);
                    }
                }
                if !host.read_only() {
                    let canonical = dir.canonicalize().unwrap_or(dir);
                    if let Err(e) =
                        engine.set_setting(EMBEDDER_SETTING, &canonical.to_string_lossy())
                    {
                        problems.push(format!("embedder: cannot record it in the index: {e}"));
                    }
                }
            }
            Err(e) => problems.push(format!("embedder: {e}")),
        }
    }
    if !settings.rerank_enabled {
        engine.set_reranker(None);
        return problems;
    }
    match models::load_reranker_with(&settings.reranker, Some(data_dir), &opts) {
        Ok(r) => {
            tracing::info!(target: "app::models", provider = %r.provider(), "reranker loaded");
            engine.set_reranker(Some(Arc::from(r)));
        }
        Err(e) => {
            // Keep whatever reranker was running rather than none at all.
            problems.push(format!("reranker {}: {e}", settings.reranker));
        }
    }
    problems
}

/// Fetches a model's default files into `<data dir>/models/<id>`, reporting
/// progress through `report`. Blocking: run it on a worker thread.
pub fn download(
    data_dir: &Path,
    id: &str,
    allow_unpinned: bool,
    report: &dyn Fn(DownloadProgress),
) -> anyhow::Result<()> {
    let known = KnownModel::from_name(id).ok_or_else(|| anyhow::anyhow!("unknown model {id:?}"))?;
    let manifest = Manifest::builtin()?;
    let entry = manifest.entry(known)?;
    let files: Vec<_> = entry.files.iter().filter(|f| f.default).collect();
    let dir = models::models_dir(Some(data_dir)).join(&entry.name);
    let base = manifest.effective_base_url();
    let mut on_progress = |p: &models::fetch::FetchProgress| {
        report(DownloadProgress {
            id: id.to_string(),
            done: p.done,
            total: p.total.unwrap_or(0),
            error: None,
        })
    };
    // The app never accepts an unpinned file on its own: only when the
    // person pressed "Download unverified" after the refusal said why, as
    // `crumb models fetch --allow-unpinned` does (the hash seen is recorded).
    fetch_model(
        entry,
        &files,
        &base,
        &dir,
        models::fetch::FetchPolicy { allow_unpinned },
        &mut on_progress,
    )?;
    Ok(())
}

/// Runs a download and reports it to the window; reloads models when the
/// model just fetched is the one selected.
pub fn download_and_report(app: &tauri::AppHandle, id: &str, allow_unpinned: bool) {
    use tauri::{Emitter, Manager};
    let state = app.state::<crate::state::AppState>();
    let emit = |p: DownloadProgress| {
        let _ = app.emit("model-download", p);
    };
    let result = download(&state.data_dir, id, allow_unpinned, &emit);
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    if let Some(e) = &error {
        tracing::warn!(target: "app::models", model = id, error = %e, "download failed");
    }
    emit(DownloadProgress {
        id: id.to_string(),
        done: 1,
        total: 1,
        error,
    });
    // A new reranker that is the chosen one, or the embedder (which the
    // index may lack vectors for), is loaded at once.
    if result.is_ok() && (state.settings().reranker == id || crate::models::is_embedder(id)) {
        state.load_models();
    }
}
