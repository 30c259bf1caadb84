//! The command-line contract (DESIGN.md); keep it stable.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Crumb: search your own documents by meaning and by keyword.
#[derive(Parser, Debug)]
#[command(name = "crumb", version, about)]
pub struct Cli {
    /// Where the index lives (default: the OS data dir, or $CRUMB_DATA_DIR).
    #[arg(long, global = true, value_name = "D")]
    pub data_dir: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug); CRUMB_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// Which models to load.
#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// Embedding model folder, or `none` for keyword search only.
    #[arg(long, value_name = "DIR|none")]
    pub embedder: Option<String>,
    /// Reranker model folder or name (e.g. mxbai-rerank-xsmall-v1), or `none`.
    #[arg(long, value_name = "DIR|NAME|none")]
    pub reranker: Option<String>,
    /// Execution provider: auto, cpu, cuda, coreml or directml.
    #[arg(long, default_value = "auto")]
    pub provider: String,
    /// Which ONNX file of the embedder to run: auto (dynamic int8 where the
    /// CPU has fast int8, else fp32), fp32 or int8. Vectors are kept per
    /// variant, so switching re-embeds.
    #[arg(long, default_value = "auto", value_name = "auto|fp32|int8")]
    pub embedder_variant: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Index folders: new and changed files are indexed, deleted ones removed.
    Index {
        /// Folders to index.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        models: ModelArgs,
        /// Exclude files matching this gitignore-style glob (repeatable).
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Index hidden files and folders too.
        #[arg(long)]
        hidden: bool,
        /// Skip files larger than this many MiB.
        #[arg(long, value_name = "MIB", default_value_t = 64)]
        max_file_mib: u64,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Do not recognise text in images and scanned PDF pages (OCR).
        #[arg(long)]
        no_ocr: bool,
    },
    /// Search the index.
    Search {
        /// The query (omit with --queries).
        query: Option<String>,
        /// Print JSON: an array of hits, one per file.
        #[arg(long)]
        json: bool,
        /// Most files to return.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// bm25, vector or hybrid.
        #[arg(long, default_value = "hybrid")]
        mode: String,
        /// Read `id<TAB>query` lines and print JSON lines {"id", "hits"}.
        #[arg(long, value_name = "FILE")]
        queries: Option<PathBuf>,
        /// Only these kinds (pdf, docx, markdown…; repeatable).
        #[arg(long = "type", value_name = "KIND")]
        kinds: Vec<String>,
        /// Only files under this folder.
        #[arg(long, value_name = "DIR")]
        folder: Option<PathBuf>,
        /// Only files modified on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        after: Option<String>,
        /// Only files modified before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        before: Option<String>,
        /// Candidates from each retriever.
        #[arg(long, default_value_t = 100)]
        candidates: usize,
        /// Files the reranker reads (each through its best one or two
        /// passages); 0 turns reranking off.
        #[arg(long, default_value_t = 20)]
        rerank_top: usize,
        /// Tokens of each (query, passage window) pair the reranker reads
        /// [default: 192 on a CPU, the model's window on an accelerator].
        #[arg(long, value_name = "TOKENS")]
        rerank_window: Option<usize>,
        /// How keyword and meaning results are combined: `convex` (normalised
        /// scores, weighted by --alpha) or `rrf` (reciprocal rank fusion, --rrf-k).
        #[arg(long, default_value = "convex", value_name = "convex|rrf")]
        fusion: FusionArg,
        /// Convex fusion's weight on keywords, 0 to 1 (tuned on SciFact's train split).
        #[arg(long, default_value_t = crumb_engine::search::CONVEX_ALPHA)]
        alpha: f32,
        /// Reciprocal rank fusion's k, with --fusion rrf.
        #[arg(long, default_value_t = crumb_engine::search::RRF_K)]
        rrf_k: f32,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// List, fetch or verify models.
    Models(crate::models_cmd::ModelsArgs),
    /// Score passages against a query with a reranker.
    Rerank(crate::rerank_cmd::RerankArgs),
    /// Index folders, then keep the index current until interrupted (Ctrl-C).
    Watch {
        /// Folders to watch.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        opts: crate::watch_cmd::WatchArgs,
    },
    /// Serve the local API on 127.0.0.1: HTTP JSON (search, rerank,
    /// embeddings) and MCP at /mcp, behind a bearer token ($CRUMB_API_TOKEN,
    /// else one generated into the config dir).
    Serve(crate::serve::ServeArgs),
    /// Speak MCP over stdin/stdout (for an agent's `mcpServers` config).
    Mcp(crate::serve::McpArgs),
    /// Show what is indexed.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List failed files with their reasons.
        #[arg(long)]
        failed: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
}

/// `--fusion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FusionArg {
    /// A convex combination of normalised BM25 and cosine scores.
    Convex,
    /// Reciprocal rank fusion.
    Rrf,
}

impl FusionArg {
    /// The engine's fusion with these parameters.
    pub fn with(self, alpha: f32, rrf_k: f32) -> crumb_engine::search::Fusion {
        match self {
            FusionArg::Convex => crumb_engine::search::Fusion::Convex { alpha },
            FusionArg::Rrf => crumb_engine::search::Fusion::Rrf { k: rrf_k },
        }
    }
}
