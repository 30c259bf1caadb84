//! The Tauri commands: each a short hand-off to `AppState` or the engine.
//! Errors cross as `{ code, message }`. Engine work runs on the blocking pool
//! so the window's event loop never waits on an index.

use crate::error::{coded, wire, CmdResult};
use crate::indexer::IndexingState;
use crate::models::RerankerModel;
use crate::open_at::{self, Opened, Place};
use crate::settings::Settings;
use crate::state::{AppState, Boot, FailedFile, SearchArgs, StageMessage};
use crumb_engine::search::SearchResults;
use crumb_engine::Status;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

/// Runs `f` with the app state on the blocking pool.
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&AppState) -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(move || f(app.state::<AppState>().inner()))
        .await
        .map_err(|e| coded("bug", format!("worker failed: {e}")))?
}

#[tauri::command]
pub fn boot(state: State<'_, AppState>) -> Boot {
    state.boot()
}

/// One retrieval per query: the fused order and the first reranked files go
/// out on `stages` as soon as they exist; the final order is the answer,
/// with the engine's "no strong match" verdict.
#[tauri::command]
pub async fn search(
    app: AppHandle,
    args: SearchArgs,
    seq: u64,
    stages: Channel<StageMessage>,
) -> CmdResult<SearchResults> {
    blocking(app, move |s| s.search(args, seq, &stages)).await
}

/// Opens a file the window was shown, by index id: never by a path the
/// webview sends. A PDF opens at the hit's page and text at its line where
/// the default program takes one (see `open_at`); the answer says where.
#[tauri::command]
pub fn open_hit(
    app: AppHandle,
    state: State<'_, AppState>,
    file_id: i64,
    page: Option<u32>,
    line: Option<u32>,
) -> CmdResult<Opened> {
    let path = state.host.served_path(file_id)?;
    open_at::open(&path, Place::of(page, line), |p| {
        app.opener()
            .open_path(p.to_string_lossy(), None::<&str>)
            .map_err(|e| e.to_string())
    })
    .map_err(|e| {
        coded(
            "open",
            format!("Crumb could not open {}: {e}", path.display()),
        )
    })
}

/// Shows a file the window was shown in the file manager, by index id.
#[tauri::command]
pub fn reveal_hit(app: AppHandle, state: State<'_, AppState>, file_id: i64) -> CmdResult<()> {
    let path = state.host.served_path(file_id)?;
    let Err(reveal) = app.opener().reveal_item_in_dir(&path) else {
        return Ok(());
    };
    // Without a file-manager portal (a minimal desktop, a window manager
    // alone) revealing fails; opening the containing folder still shows it.
    tracing::info!(target: "app::open", error = %reveal, "reveal failed; opening the folder instead");
    let folder = path.parent().unwrap_or(&path);
    app.opener()
        .open_path(folder.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            coded(
                "open",
                format!(
                    "Crumb could not show {} in a file manager ({reveal}), nor open its folder ({e}).",
                    path.display()
                ),
            )
        })
}

#[tauri::command]
pub async fn status(app: AppHandle) -> CmdResult<Status> {
    blocking(app, |s| s.status()).await
}

#[tauri::command]
pub async fn failed_files(app: AppHandle) -> CmdResult<Vec<FailedFile>> {
    blocking(app, |s| s.failed_files()).await
}

/// Re-indexes failed files; resolves when done, so the window can reload
/// the list.
#[tauri::command]
pub async fn retry_failed(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.retry_failed()).await
}

/// Restarts live indexing (it stops the old watcher, so off the main thread).
#[tauri::command]
pub async fn start_indexing(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.start_indexing()).await
}

// Pause and resume are async so they never run on the main thread, which
// the tray's status updates wait on (see `indexer`).
#[tauri::command]
pub async fn pause_indexing(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.pause_indexing()).await
}

#[tauri::command]
pub async fn resume_indexing(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.resume_indexing()).await
}

/// Pauses text recognition (OCR) only; keyword indexing goes on.
#[tauri::command]
pub async fn pause_recognition(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.pause_recognition()).await
}

#[tauri::command]
pub async fn resume_recognition(app: AppHandle) -> CmdResult<()> {
    blocking(app, |s| s.resume_recognition()).await
}

#[tauri::command]
pub fn indexing_state(state: State<'_, AppState>) -> IndexingState {
    state.indexer.state()
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.settings()
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: Settings) -> CmdResult<Settings> {
    let handle = app.clone();
    let (old, new) = blocking(app, move |s| s.save_settings(settings)).await?;
    crate::desktop::apply(&handle, &old, &new).map_err(wire)?;
    Ok(new)
}

/// The native folder dialog, run from Rust so the webview needs no dialog
/// permission of its own.
#[tauri::command]
pub async fn pick_folder(app: AppHandle) -> CmdResult<Option<String>> {
    let picked =
        tauri::async_runtime::spawn_blocking(move || app.dialog().file().blocking_pick_folder())
            .await
            .map_err(|e| coded("bug", format!("dialog failed: {e}")))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.to_string_lossy().into_owned()))
}

#[tauri::command]
pub fn reranker_models(state: State<'_, AppState>) -> Vec<RerankerModel> {
    state.reranker_models()
}

#[tauri::command]
pub fn model_problems(state: State<'_, AppState>) -> Vec<String> {
    state.model_problems()
}

/// Starts fetching a model; progress arrives as `model-download` events.
#[tauri::command]
pub fn download_model(app: AppHandle, id: String, allow_unpinned: Option<bool>) -> CmdResult<()> {
    if !crate::models::is_known(&id) {
        return Err(coded("input", format!("unknown model {id:?}")));
    }
    std::thread::Builder::new()
        .name("crumb-download".into())
        .spawn(move || {
            crate::loader::download_and_report(&app, &id, allow_unpinned.unwrap_or(false))
        })
        .map(|_| ())
        .map_err(|e| coded("bug", format!("cannot start download: {e}")))
}

/// What the About box shows: the version, where bundled resources are read
/// from, and, for a test bundle built from stand-in models, what stands in
/// for what (TEST-BUNDLE.json in the resource dir).
#[derive(serde::Serialize)]
pub struct About {
    version: String,
    resource_dir: Option<String>,
    test_bundle: Option<serde_json::Value>,
}

#[tauri::command]
pub fn about(app: AppHandle) -> About {
    About {
        version: app.package_info().version.to_string(),
        resource_dir: crumb_engine::resources::resource_dir().map(|d| d.display().to_string()),
        test_bundle: crumb_engine::resources::test_bundle_note()
            .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))),
    }
}

/// The section of a shown hit as text with the query's matches, for the
/// preview pane. By index id, and only for files the window was shown.
#[tauri::command]
pub async fn preview_hit(
    app: AppHandle,
    file_id: i64,
    passage_id: i64,
    query: String,
) -> CmdResult<crumb_engine::preview::Preview> {
    blocking(app, move |s| {
        s.host.served_path(file_id)?;
        s.host
            .engine()
            .preview(file_id, passage_id, &query)
            .map_err(crate::error::engine)
    })
    .await
}

/// Folders that hold indexed files (roots and their subfolders), for the
/// folder filter.
#[tauri::command]
pub async fn indexed_folders(
    app: AppHandle,
) -> CmdResult<Vec<crumb_engine::folders::IndexedFolder>> {
    blocking(app, |s| {
        s.host
            .engine()
            .indexed_folders(400)
            .map_err(crate::error::engine)
    })
    .await
}

/// How many files match the query by their words or names, filters applied:
/// asked only when a page of results is full, after it is painted.
#[tauri::command]
pub async fn count_results(app: AppHandle, args: crate::state::SearchArgs) -> CmdResult<u64> {
    blocking(app, move |s| {
        let filters = args.filters()?;
        s.host
            .engine()
            .count_files(&args.query, &filters)
            .map_err(crate::error::engine)
    })
    .await
}
