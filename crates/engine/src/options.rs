//! Engine options, built with `with_*` methods over sensible defaults.

use crate::extract::Limits;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The default data dir (index, catalog, models), shared by the app and `crumb`.
/// `CRUMB_DATA_DIR` overrides it, for tests and portable installs.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRUMB_DATA_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("org", "Crumb", "crumb")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".crumb"))
}

/// Crumb's settings folder, shared by the app and `crumb serve`:
/// `$CRUMB_CONFIG_DIR`, else the OS config dir (e.g. `~/.config/crumb`).
pub fn default_config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRUMB_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("org", "Crumb", "crumb")
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".crumb-config"))
}

/// Crawling rules: what to skip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrawlOptions {
    /// Index hidden files and folders (names starting with a dot).
    pub include_hidden: bool,
    /// Files larger than this many bytes are skipped with a reason.
    pub max_file_bytes: u64,
    /// Honour `.gitignore`, `.ignore` and `.crumbignore` files.
    pub respect_ignore_files: bool,
    /// Extra gitignore-style exclusion globs ("*.log", "node_modules/").
    pub exclude: Vec<String>,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            include_hidden: false,
            max_file_bytes: 64 << 20,
            respect_ignore_files: true,
            exclude: Vec::new(),
        }
    }
}

/// Passage sizes, in estimated model tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChunkOptions {
    /// Target passage size.
    pub target_tokens: usize,
    /// Hard ceiling; a passage never exceeds it.
    pub max_tokens: usize,
    /// Tokens repeated from the end of one passage at the start of the next.
    pub overlap_tokens: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        // 512-token reranker window: leave room for the query and special tokens.
        ChunkOptions {
            target_tokens: 320,
            max_tokens: 400,
            overlap_tokens: 48,
        }
    }
}

/// Where document extraction runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExtractMode {
    /// Worker processes of the running executable, started with
    /// [`crate::extract::worker::WORKER_ARG`]; falls back to in-process when
    /// the executable does not serve that argument.
    #[default]
    CurrentExe,
    /// Worker processes started as `program args...`.
    Command {
        /// The worker program.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
    },
    /// In this process, guarded against panics only.
    InProcess,
}

/// Everything the engine needs to open a data dir.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where the catalog, the lexical index and models live.
    pub data_dir: PathBuf,
    /// Crawl rules.
    pub crawl: CrawlOptions,
    /// Chunk sizes.
    pub chunk: ChunkOptions,
    /// Extraction limits.
    pub limits: Limits,
    /// Open without taking the writer: for searching while another process indexes.
    pub read_only: bool,
    /// Where extraction runs.
    pub extract: ExtractMode,
    /// Per-file time and memory limits of extraction workers.
    pub sandbox: crate::extract::SandboxOptions,
}

impl EngineOptions {
    /// Options for `data_dir` with defaults for everything else.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        EngineOptions {
            data_dir: data_dir.as_ref().to_path_buf(),
            crawl: CrawlOptions::default(),
            chunk: ChunkOptions::default(),
            limits: Limits::default(),
            read_only: false,
            extract: ExtractMode::default(),
            sandbox: crate::extract::SandboxOptions::default(),
        }
    }
    /// Sets where extraction runs.
    pub fn with_extract(mut self, extract: ExtractMode) -> Self {
        self.extract = extract;
        self
    }
    /// Sets the extraction workers' time and memory limits.
    pub fn with_sandbox(mut self, sandbox: crate::extract::SandboxOptions) -> Self {
        self.sandbox = sandbox;
        self
    }
    /// Turns text recognition (OCR of images and scanned PDF pages) on or off.
    pub fn with_ocr(mut self, enabled: bool) -> Self {
        self.sandbox.ocr.enabled = enabled;
        self
    }
    /// Sets the crawl rules.
    pub fn with_crawl(mut self, crawl: CrawlOptions) -> Self {
        self.crawl = crawl;
        self
    }
    /// Sets the chunk sizes.
    pub fn with_chunk(mut self, chunk: ChunkOptions) -> Self {
        self.chunk = chunk;
        self
    }
    /// Sets extraction limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Opens for reading only.
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }
}
