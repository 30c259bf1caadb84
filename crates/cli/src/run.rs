//! Runs one parsed command.

use crate::args::{Cli, Command, ModelArgs};
use crate::output;
use anyhow::{bail, Context, Result};
use crumb_engine::progress::{CancelFlag, IndexingStep};
use crumb_engine::{
    default_data_dir, CrawlOptions, Engine, EngineOptions, FileKind, Filters, SearchRequest,
};
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    match cli.command {
        Command::Index {
            paths,
            models,
            exclude,
            hidden,
            max_file_mib,
            json,
        } => {
            let crawl = CrawlOptions {
                include_hidden: hidden,
                max_file_bytes: max_file_mib << 20,
                exclude,
                ..CrawlOptions::default()
            };
            // Check the folders before touching the data dir.
            if let Some(missing) = paths.iter().find(|p| !p.is_dir()) {
                bail!("folder not found: {}", missing.display());
            }
            let engine = Engine::open(EngineOptions::new(&data_dir).with_crawl(crawl))?;
            load_models(&engine, &models)?;
            let progress = |step: &IndexingStep| output::progress(step);
            let report = engine.index(&paths, &progress, &CancelFlag::new())?;
            output::clear_progress();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                output::index_summary(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            json,
            limit,
            mode,
            queries,
            kinds,
            folder,
            after,
            before,
            candidates,
            rerank_top,
            models,
        } => {
            let engine = Engine::open(EngineOptions::new(&data_dir).with_read_only(true))?;
            load_models(&engine, &models)?;
            let filters = Filters {
                kinds: kinds
                    .iter()
                    .map(|k| FileKind::parse(k).with_context(|| format!("unknown type {k:?}")))
                    .collect::<Result<_>>()?,
                folder: folder
                    .map(|f| f.canonicalize().unwrap_or(f).to_string_lossy().into_owned()),
                modified_after: after.as_deref().map(output::parse_date).transpose()?,
                modified_before: before.as_deref().map(output::parse_date).transpose()?,
            };
            let base = SearchRequest {
                limit,
                mode: mode.parse()?,
                candidates,
                rerank_top,
                filters,
                ..SearchRequest::default()
            };
            match (query, queries) {
                (_, Some(file)) => search_batch(&engine, &base, &file),
                (Some(q), None) => {
                    let hits = engine.search(&SearchRequest { query: q, ..base })?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&output::hits_json(&hits))?
                        );
                    } else {
                        output::hits_human(&hits);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                (None, None) => bail!("give a QUERY or --queries FILE"),
            }
        }
        Command::Models(args) => crate::models_cmd::run(&args, &data_dir),
        Command::Rerank(args) => crate::rerank_cmd::run(&args, &data_dir),
        Command::Status { json, failed } => {
            let engine = Engine::open(EngineOptions::new(&data_dir).with_read_only(true))?;
            let status = engine.status()?;
            let failures = if failed {
                engine.failed_files()?
            } else {
                Vec::new()
            };
            if json {
                let mut v = serde_json::to_value(&status)?;
                if failed {
                    v["failed"] = serde_json::to_value(&failures)?;
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                output::status_human(&status, failed.then_some(&failures[..]));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--queries FILE`: one JSON line per query, models loaded once.
fn search_batch(engine: &Engine, base: &SearchRequest, file: &std::path::Path) -> Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("open {}", file.display()))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("read {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, query)) = line.split_once('\t') else {
            bail!("{}:{}: expected `id<TAB>query`", file.display(), n + 1);
        };
        let started = std::time::Instant::now();
        let hits = engine.search(&SearchRequest {
            query: query.to_string(),
            ..base.clone()
        })?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let line = serde_json::json!({ "id": id, "hits": output::hits_json(&hits), "ms": ms });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the models named on the command line into the engine.
fn load_models(_engine: &Engine, models: &ModelArgs) -> Result<()> {
    for (flag, value) in [
        ("embedder", &models.embedder),
        ("reranker", &models.reranker),
    ] {
        if let Some(v) = value {
            if v != "none" {
                bail!("--{flag} {v}: model loading is not available in this build yet");
            }
        }
    }
    Ok(())
}
