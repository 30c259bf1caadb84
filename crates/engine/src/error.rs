//! Engine errors, split by whose fault they are: the user's input, a file on
//! disk, the index storage, a model, or a bug in Crumb.

use serde::Serialize;
use std::path::PathBuf;

/// The engine's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller asked for something that cannot be done (bad path, bad option).
    #[error("{0}")]
    Input(String),
    /// A folder to index does not exist or is not a folder.
    #[error("folder not found: {}", .0.display())]
    MissingFolder(PathBuf),
    /// A document could not be read or understood.
    #[error(transparent)]
    Extract(#[from] crate::extract::ExtractError),
    /// The SQLite catalog failed.
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    /// The tantivy index failed.
    #[error("lexical index: {0}")]
    Lexical(#[from] tantivy::TantivyError),
    /// Another process holds the index writer.
    #[error("another Crumb process is indexing this data dir ({})", .0.display())]
    Busy(PathBuf),
    /// A model could not be loaded or run.
    #[error("model: {0}")]
    Model(String),
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// Filesystem trouble outside any one document.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A broken invariant: a bug in Crumb.
    #[error("internal error: {0}")]
    Bug(String),
}

impl Error {
    /// Wraps an I/O error with what was being attempted.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A stable machine-readable code for UIs and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input(_) => "input",
            Error::MissingFolder(_) => "missing_folder",
            Error::Extract(_) => "extract",
            Error::Catalog(_) => "catalog",
            Error::Lexical(_) => "lexical",
            Error::Busy(_) => "busy",
            Error::Model(_) => "model",
            Error::Cancelled => "cancelled",
            Error::Io { .. } => "io",
            Error::Bug(_) => "bug",
        }
    }

    /// The serialisable form that crosses to a UI: `{ code, message }`.
    pub fn to_wire(&self) -> WireError {
        WireError {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// An error as a UI sees it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WireError {
    /// Stable code, see [`Error::code`].
    pub code: String,
    /// Human-readable, one line.
    pub message: String,
}

/// Engine result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
