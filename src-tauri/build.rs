//! Generates Tauri's context and the app's permission set. The app's own
//! commands get `allow-<command>` permissions; `capabilities/main.json` grants
//! exactly those to the main window.

/// Every command in `commands.rs`; keep in step with `generate_handler!`.
const COMMANDS: &[&str] = &[
    "boot",
    "search",
    "open_hit",
    "reveal_hit",
    "status",
    "failed_files",
    "retry_failed",
    "start_indexing",
    "pause_indexing",
    "resume_indexing",
    "pause_recognition",
    "resume_recognition",
    "indexing_state",
    "get_settings",
    "save_settings",
    "pick_folder",
    "reranker_models",
    "download_model",
    "model_problems",
    "about",
    "preview_hit",
    "indexed_folders",
    "count_results",
];

fn main() {
    // generate_context!() embeds ui/dist; without it the failure is an opaque
    // macro panic, so say what to run instead.
    println!("cargo:rerun-if-changed=ui/dist/index.html");
    if !std::path::Path::new("ui/dist/index.html").is_file() {
        panic!("ui/dist is missing: run `scripts/setup-ui.sh` (or `npm ci --prefix ui && npm run build --prefix ui`) first");
    }
    // The root Cargo.toml is the app package, so paths are relative to the repo root.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attrs = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        panic!("tauri-build failed: {e:#}");
    }
}
