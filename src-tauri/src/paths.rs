//! Where the app keeps its settings and its index. Environment variables
//! override both so tests (and portable installs) never touch the real home.

use std::path::PathBuf;

/// The settings folder: `CRUMB_CONFIG_DIR`, else the OS config dir.
pub fn config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRUMB_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    // Same qualifier/organisation/app triple as the engine's data dir.
    directories::ProjectDirs::from("org", "Crumb", "crumb")
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".crumb-config"))
}

/// The index: shared with the `crumb` CLI (`CRUMB_DATA_DIR` overrides it).
pub fn data_dir() -> PathBuf {
    crumb_engine::default_data_dir()
}

/// The folder first-run proposes: the user's Documents, when it exists.
pub fn suggested_folder() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CRUMB_SUGGESTED_FOLDER") {
        return Some(PathBuf::from(d));
    }
    directories::UserDirs::new()
        .and_then(|u| u.document_dir().map(|d| d.to_path_buf()))
        .filter(|d| d.is_dir())
}

/// The home folder, so the UI can shorten paths to `~/…`.
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
}
