//! The local API: `crumb serve` (HTTP JSON and MCP over streamable HTTP on
//! 127.0.0.1) and `crumb mcp` (MCP over stdio), both over a read-only engine
//! on the same data dir as the app and `crumb watch`.
//!
//! - `auth.rs`: the bearer token, and Host/Origin checks against DNS rebinding;
//! - `http.rs`: the axum router and the JSON endpoints;
//! - `mcp.rs`: the MCP tools (`search`, `get`, `status`), through `rmcp`;
//! - `tools.rs`: what both speak: search arguments, hits with passage ids;
//! - `batch.rs`: one owner per model serving a queue, merging concurrent
//!   requests into shared model runs.

mod auth;
mod batch;
mod http;
mod mcp;
mod tools;

use crate::args::ModelArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use crumb_engine::progress::IndexingStep;
use crumb_engine::watch::{WatchEvent, WatchOptions, Watcher};
use crumb_engine::{Engine, EngineOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// The port `crumb serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7645;

/// Options of `crumb serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Also index these folders and keep them current while serving (as
    /// `crumb watch` does; leave out when the app or `crumb watch` already
    /// indexes this data dir).
    #[arg(long, value_name = "PATH")]
    pub watch: Vec<PathBuf>,
    #[command(flatten)]
    pub models: ModelArgs,
}

/// Options of `crumb mcp`.
#[derive(Args, Debug, Clone)]
pub struct McpArgs {
    #[command(flatten)]
    pub models: ModelArgs,
}

/// What every request handler shares.
pub(crate) struct Api {
    /// A read-only engine: searches never wait for the writer.
    pub engine: Arc<Engine>,
    pub rerank: Option<batch::RerankQueue>,
    pub embed: Option<batch::EmbedQueue>,
    /// The last indexing step of `--watch`, for the `status` tool.
    pub progress: Option<Arc<Mutex<Option<IndexingStep>>>>,
    /// Searches running at once: one per core. Beyond that they wait here,
    /// first come first served (tokio's semaphore is fair), instead of
    /// crowding the model sessions' locks, where the unlucky could starve.
    pub search_slots: tokio::sync::Semaphore,
}

impl Api {
    /// Opens the index read-only and loads the models the command line names
    /// (or the defaults), each behind its batching queue.
    fn open(data_dir: &Path, models: &ModelArgs) -> Result<Api> {
        let engine = Arc::new(Engine::open(
            EngineOptions::new(data_dir).with_read_only(true),
        )?);
        crate::run::load_models(&engine, models, data_dir, crate::run::Need::ALL)?;
        Ok(Api {
            rerank: engine.reranker().map(batch::RerankQueue::start),
            embed: engine.embedder().map(batch::EmbedQueue::start),
            engine,
            progress: None,
            search_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        })
    }
}

/// `crumb serve`.
pub fn run_serve(data_dir: &Path, args: &ServeArgs) -> Result<ExitCode> {
    let watcher = start_watching(data_dir, args)?;
    let mut api = Api::open(data_dir, &args.models)?;
    api.progress = watcher.as_ref().map(|(_, p)| p.clone());
    let token = auth::Token::load_or_create(&crumb_engine::default_config_dir())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    let served = runtime.block_on(http::serve(Arc::new(api), token, args.port));
    if let Some((w, _)) = watcher {
        w.stop()?;
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// `crumb mcp`: MCP over stdin/stdout; logs go to stderr.
pub fn run_mcp(data_dir: &Path, args: &McpArgs) -> Result<ExitCode> {
    let api = Arc::new(Api::open(data_dir, &args.models)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    runtime.block_on(mcp::serve_stdio(api))?;
    Ok(ExitCode::SUCCESS)
}

type WatchState = (Watcher, Arc<Mutex<Option<IndexingStep>>>);

/// `--watch`: this process becomes the data dir's writer, on the watcher's
/// own engine; the API reads through a second, read-only one, so searches
/// never queue behind a batch being written.
fn start_watching(data_dir: &Path, args: &ServeArgs) -> Result<Option<WatchState>> {
    if args.watch.is_empty() {
        return Ok(None);
    }
    if let Some(missing) = args.watch.iter().find(|p| !p.is_dir()) {
        bail!("folder not found: {}", missing.display());
    }
    let writer = Arc::new(Engine::open(EngineOptions::new(data_dir))?);
    let models = ModelArgs {
        reranker: Some("none".into()),
        ..args.models.clone()
    };
    crate::run::load_models(&writer, &models, data_dir, crate::run::Need::EMBEDDER)?;
    let progress = Arc::new(Mutex::new(None));
    let sink = progress.clone();
    let watcher = Watcher::start(
        writer,
        &args.watch,
        WatchOptions::default(),
        move |e| match e {
            WatchEvent::Progress { step } => {
                if let Ok(mut p) = sink.lock() {
                    *p = Some(step.clone());
                }
            }
            WatchEvent::Error { error } => tracing::warn!(target: "serve", "{}", error.message),
            _ => {}
        },
    )?;
    Ok(Some((watcher, progress)))
}
