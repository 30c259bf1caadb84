//! Crumb's desktop app: a thin Tauri shell around `crumb_engine`.
//!
//! The engine runs in-process. Commands (`commands`) hand off to `AppState`
//! (`state`), which calls the engine on Tauri's blocking pool; live indexing
//! (`indexer`) runs the engine's watcher and reports progress as `indexing` events.
//! The webview can call only these commands (see `src-tauri/capabilities`).

mod commands;
mod desktop;
mod error;
mod host;
mod indexer;
mod loader;
mod models;
mod open_at;
mod paths;
mod settings;
mod state;

use crate::host::Host;
use crate::indexer::{Indexer, Notify};
use crate::settings::Settings;
use crate::state::AppState;
use crumb_engine::watch::WatchOptions;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Manager, WindowEvent};

/// Starts the app. Called by `main`.
pub fn run() {
    init_tracing();
    // Launched at login: start in the tray, not in the user's face.
    let hidden = std::env::args().any(|a| a == "--hidden");
    let result = tauri::Builder::default()
        // Must be first: a second launch just shows the running window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            desktop::show_window(app)
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .setup(move |app| {
            setup(app.handle(), hidden)?;
            Ok(())
        })
        .on_window_event(|window, event| {
            // With a tray icon, closing the window keeps Crumb (and indexing)
            // running; Quit is in the tray menu.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().try_state::<desktop::Tray>().is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::boot,
            commands::search,
            commands::open_hit,
            commands::reveal_hit,
            commands::status,
            commands::failed_files,
            commands::retry_failed,
            commands::start_indexing,
            commands::pause_indexing,
            commands::resume_indexing,
            commands::pause_recognition,
            commands::resume_recognition,
            commands::indexing_state,
            commands::get_settings,
            commands::save_settings,
            commands::pick_folder,
            commands::reranker_models,
            commands::download_model,
            commands::model_problems,
            commands::about,
            commands::preview_hit,
            commands::indexed_folders,
            commands::count_results,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(target: "app", error = %e, "Crumb stopped");
        eprintln!("crumb-app: {e}");
        std::process::exit(1);
    }
}

/// Opens the index, loads settings and wires desktop integration.
fn setup(app: &AppHandle, hidden: bool) -> anyhow::Result<()> {
    // Bundled ONNX Runtime, pdfium and models come first (ARCHITECTURE.md,
    // "Where libraries and models come from"). On Linux this is
    // `<exe>/../lib/Crumb`, the same folder extraction workers derive.
    if let Ok(res) = app.path().resource_dir() {
        tracing::info!(target: "app", resources = %res.display(), "resource dir");
        crumb_engine::resources::set_resource_dir(res);
    }
    let config_dir = paths::config_dir();
    let data_dir = paths::data_dir();
    tracing::info!(target: "app", config = %config_dir.display(), data = %data_dir.display(), "starting");
    let saved = Settings::load(&config_dir).unwrap_or_else(|e| {
        tracing::warn!(target: "app", error = %e, "ignoring unreadable settings");
        Some(Settings::default())
    });
    let exclusions = saved
        .as_ref()
        .map(|s| s.exclusions.clone())
        .unwrap_or_default();
    let host = Arc::new(Host::open(&data_dir, &exclusions)?);
    let (settings, first_run) = match saved {
        Some(s) => (s, false),
        None => {
            // An index built by `crumb index` opens straight on search.
            let roots = host.engine().roots().unwrap_or_default();
            let adopted = Settings {
                folders: roots.into_iter().map(Into::into).collect(),
                ..Settings::default()
            };
            let first = adopted.folders.is_empty();
            (adopted, first)
        }
    };

    // Text recognition as Settings say (on unless turned off).
    host.engine().set_recognition_enabled(settings.ocr_enabled);

    let notify: Notify = {
        let app = app.clone();
        Arc::new(move |s: &indexer::IndexingState| {
            let _ = app.emit("indexing", s);
            desktop::update_tray(&app, s);
        })
    };
    app.manage(AppState {
        host: host.clone(),
        indexer: Indexer::new(notify).with_options(watch_options()),
        settings: Mutex::new(settings.clone()),
        first_run: Mutex::new(first_run),
        config_dir,
        data_dir,
        latency: models::Latency::default(),
        model_problems: {
            let app = app.clone();
            Arc::new(loader::ModelProblems::new(move || {
                let _ = app.emit("models-loaded", ());
                reembed_if_needed(&app);
            }))
        },
    });
    app.state::<AppState>().load_models();

    if let Err(e) = desktop::build_tray(app) {
        tracing::warn!(target: "app", error = %e, "no tray icon");
    }
    if let Err(e) = desktop::register_shortcut(app, &settings.shortcut) {
        tracing::warn!(target: "app", error = %e, "no global shortcut");
    }
    // Watch the folders, catching up first with changes made while Crumb was
    // closed; search works meanwhile.
    if !settings.folders.is_empty() && !host.read_only() {
        if let Err(e) = app.state::<AppState>().start_indexing() {
            tracing::warn!(target: "app", error = %e.message, "could not start indexing");
        }
    }
    if hidden {
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.hide();
        }
    }
    Ok(())
}

/// After a load that switched the embedder: embeds the passages that lack
/// its vectors, in the background, and says so in Settings meanwhile.
fn reembed_if_needed(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let Some(id) = state.model_problems.take_new_embedder() else {
        return;
    };
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("crumb-reembed".into())
        .spawn(move || {
            let state = app.state::<AppState>();
            let problems = state.model_problems.clone();
            problems.set_notice(Some(format!(
                "Embedding the index with {id} in the background: meaning search covers more \
                 files as it goes."
            )));
            match state.indexer.embed_missing(&state.host) {
                Ok(n) => {
                    tracing::info!(target: "app::models", model = %id, embedded = n, "re-embedded");
                    problems.set_notice(None);
                }
                Err(e) => problems.set_notice(Some(format!("Embedding with {id} stopped: {e:#}"))),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(target: "app::models", error = %e, "cannot start re-embedding");
    }
}

/// Live indexing options. `CRUMB_FORCE_POLLING=1` polls instead of using OS
/// file events (network drives where events do not arrive; the e2e test of
/// the polling notice).
fn watch_options() -> WatchOptions {
    let force = std::env::var("CRUMB_FORCE_POLLING").is_ok_and(|v| v == "1");
    WatchOptions::default().with_force_polling(force)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .try_init();
}
