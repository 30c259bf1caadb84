//! `crumb watch PATH...`: index, then keep the index current until Ctrl-C.
//! Other `crumb` processes can search the same data dir meanwhile.

use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use crumb_engine::watch::{WatchEvent, WatchOptions, Watcher};
use crumb_engine::{CrawlOptions, Engine, EngineOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Options of `crumb watch`.
#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    /// Embedding model folder, or `none` for keyword search only.
    #[arg(long, value_name = "DIR|none")]
    pub embedder: Option<String>,
    /// Execution provider: auto, cpu, cuda, coreml or directml.
    #[arg(long, default_value = "auto")]
    pub provider: String,
    /// Exclude files matching this gitignore-style glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Index hidden files and folders too.
    #[arg(long)]
    pub hidden: bool,
    /// Skip files larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_mib: u64,
    /// Poll the folders instead of using file events (e.g. network drives).
    #[arg(long)]
    pub poll: bool,
    /// Seconds between polls of folders that cannot be watched.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub poll_interval: u64,
    /// Print one JSON object per event instead of lines for people.
    #[arg(long)]
    pub json: bool,
}

/// Set by SIGINT/SIGTERM; the main thread polls it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn run(data_dir: &Path, paths: &[PathBuf], args: &WatchArgs) -> Result<ExitCode> {
    if let Some(missing) = paths.iter().find(|p| !p.is_dir()) {
        bail!("folder not found: {}", missing.display());
    }
    let crawl = CrawlOptions {
        include_hidden: args.hidden,
        max_file_bytes: args.max_file_mib << 20,
        exclude: args.exclude.clone(),
        ..CrawlOptions::default()
    };
    let engine = Arc::new(Engine::open(
        EngineOptions::new(data_dir).with_crawl(crawl),
    )?);
    // The embedder, as `crumb index` picks it (so changed files get vectors
    // too); no reranker, since watching never searches.
    let models = crate::args::ModelArgs {
        embedder: args.embedder.clone(),
        reranker: Some("none".into()),
        provider: args.provider.clone(),
        embedder_variant: "auto".into(),
    };
    crate::run::load_models(&engine, &models, data_dir, crate::run::Need::EMBEDDER)?;
    install_signal_handlers();
    let opts = WatchOptions::default()
        .with_force_polling(args.poll)
        .with_poll_interval(Duration::from_secs(args.poll_interval.max(1)));
    let json = args.json;
    let watcher = Watcher::start(engine, paths, opts, move |e| print_event(e, json))?;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Cancels the batch in flight between commits; the index stays
    // consistent and the next start's reconcile picks up the rest.
    watcher.stop()?;
    output::clear_progress();
    if !json {
        eprintln!("stopped");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_event(event: &WatchEvent, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
        return;
    }
    match event {
        WatchEvent::Progress { step } => output::progress(step),
        WatchEvent::Reconciled { report } => {
            output::clear_progress();
            output::index_summary(report);
            println!("watching for changes; press Ctrl-C to stop");
        }
        WatchEvent::Batch { batch } => println!("{}", batch.summary()),
        WatchEvent::Embedded { passages } => {
            println!("embedded {passages} passages: now found by meaning too")
        }
        WatchEvent::Recognised { pages, left } => {
            println!("recognised the text of {pages} pages; {left} pages left")
        }
        WatchEvent::OcrWaiting { left } => {
            println!("{left} pages wait for text recognition")
        }
        WatchEvent::Polling { root } => eprintln!(
            "crumb: warning: polling {} every {}s instead of watching it: {}",
            root.root, root.interval_s, root.reason
        ),
        WatchEvent::Error { error } => eprintln!("crumb: error: {}", error.message),
    }
}

#[cfg(unix)]
fn install_signal_handlers() {
    extern "C" fn on_signal(_: libc::c_int) {
        // Only an atomic store: anything more is not async-signal-safe.
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
    let handler: extern "C" fn(libc::c_int) = on_signal;
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

#[cfg(not(unix))]
fn install_signal_handlers() {
    // Without a handler Ctrl-C ends the process at once; the index is still
    // consistent (crash-safe commits) and the next start reconciles.
}
