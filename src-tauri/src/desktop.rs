//! Desktop integration: the tray icon, the global shortcut, start at login,
//! and showing the window.

use crate::indexer::IndexingState;
use crate::settings::Settings;
use crumb_engine::progress::IndexingStep;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

/// Tray menu entries that change with indexing.
pub struct Tray {
    status: MenuItem<tauri::Wry>,
    pause: MenuItem<tauri::Wry>,
}

/// Shows, raises and focuses the search window, with the query selected.
pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        let _ = app.emit("focus-search", ());
    }
}

fn toggle_window(app: &AppHandle) {
    match app.get_webview_window("main") {
        Some(w) if w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false) => {
            let _ = w.hide();
        }
        _ => show_window(app),
    }
}

/// Builds the tray icon and its menu.
pub fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Crumb", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "Idle", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause indexing", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Crumb", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&show, &status, &pause, &sep, &quit])?;
    let mut tray = TrayIconBuilder::with_id("crumb")
        .tooltip("Crumb")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_window(app),
            "pause" => {
                // Off the main thread: the indexer's listeners wait on it.
                let app = app.clone();
                tauri::async_runtime::spawn_blocking(move || {
                    let indexer = &app.state::<crate::state::AppState>().indexer;
                    if indexer.state().paused {
                        indexer.resume();
                    } else {
                        indexer.pause();
                    }
                });
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                toggle_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(Tray { status, pause });
    Ok(())
}

/// Mirrors indexing state in the tray menu.
pub fn update_tray(app: &AppHandle, s: &IndexingState) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let text = match (&s.step, s.running, s.paused) {
        (_, _, true) => "Indexing paused".to_string(),
        (Some(IndexingStep::Indexing { done, total, .. }), true, _) => {
            format!("Indexing {done}/{total}")
        }
        (Some(IndexingStep::Embedding { done, total }), true, _) => {
            format!("Embedding {done}/{total}")
        }
        (_, true, _) => "Indexing…".to_string(),
        _ if s.last_error.is_some() => "Indexing problem (see Settings)".to_string(),
        _ if !s.polling.is_empty() => format!(
            "Watching limit reached: checking {} folder(s) every {} s",
            s.polling.len(),
            s.polling[0].interval_s
        ),
        _ if s.watching && s.ocr_pending > 0 && !s.ocr_paused && !s.ocr_off => {
            format!("Recognising text: {} pages left", s.ocr_pending)
        }
        _ if s.watching => "Up to date, watching for changes".to_string(),
        _ => "Idle".to_string(),
    };
    let _ = tray.status.set_text(text);
    let _ = tray.pause.set_text(if s.paused {
        "Resume indexing"
    } else {
        "Pause indexing"
    });
    let _ = tray.pause.set_enabled(s.running || s.paused || s.watching);
}

/// Registers the global shortcut that summons the window.
pub fn register_shortcut(app: &AppHandle, accelerator: &str) -> anyhow::Result<()> {
    let gs = app.global_shortcut();
    gs.unregister_all()?;
    gs.on_shortcut(accelerator, |app, _shortcut, event| {
        if event.state == ShortcutState::Pressed {
            toggle_window(app);
        }
    })
    .map_err(|e| anyhow::anyhow!("cannot use shortcut {accelerator}: {e}"))
}

/// Applies the parts of new settings that live outside the engine.
pub fn apply(app: &AppHandle, old: &Settings, new: &Settings) -> anyhow::Result<()> {
    if old.shortcut != new.shortcut {
        register_shortcut(app, &new.shortcut)?;
    }
    if old.start_hidden_at_login != new.start_hidden_at_login {
        let auto = app.autolaunch();
        let r = if new.start_hidden_at_login {
            auto.enable()
        } else {
            auto.disable()
        };
        r.map_err(|e| anyhow::anyhow!("cannot change start at login: {e}"))?;
    }
    Ok(())
}
