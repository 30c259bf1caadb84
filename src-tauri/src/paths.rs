//! Where the app keeps its settings and its index. Environment variables
//! override both so tests (and portable installs) never touch the real home.

use std::path::{Path, PathBuf};

/// The settings folder: `CRUMB_CONFIG_DIR`, else the OS config dir (one
/// rule for the app and `crumb serve`, in the engine).
pub fn config_dir() -> PathBuf {
    crumb_engine::default_config_dir()
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
    let dirs = directories::UserDirs::new()?;
    suggest(dirs.document_dir(), dirs.home_dir())
}

/// The XDG user-dirs file is often missing outside a full desktop; then the
/// Documents dir is unknown although ~/Documents exists. Fall back to it,
/// then to the home folder, so first run always proposes something.
fn suggest(documents: Option<&Path>, home: &Path) -> Option<PathBuf> {
    documents
        .map(Path::to_path_buf)
        .into_iter()
        .chain([home.join("Documents"), home.to_path_buf()])
        .find(|d| d.is_dir())
}

/// The home folder, so the UI can shorten paths to `~/…`.
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_proposes_documents_without_an_xdg_user_dirs_file() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(suggest(None, home.path()), Some(home.path().to_path_buf()));
        std::fs::create_dir(home.path().join("Documents")).unwrap();
        assert_eq!(
            suggest(None, home.path()),
            Some(home.path().join("Documents"))
        );
        let xdg = home.path().join("Dokumente");
        std::fs::create_dir(&xdg).unwrap();
        assert_eq!(suggest(Some(&xdg), home.path()), Some(xdg.clone()));
        // A configured Documents dir that does not exist is passed over.
        let gone = home.path().join("gone");
        assert_eq!(
            suggest(Some(&gone), home.path()),
            Some(home.path().join("Documents"))
        );
    }
}
