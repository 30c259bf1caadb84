//! Runs one parsed command.

use crate::args::{Cli, Command, ModelArgs};
use crate::output;
use anyhow::{bail, Context, Result};
use crumb_engine::models::manifest::KnownModel;
use crumb_engine::models::{
    load_embedder_with, load_reranker_with, resolve_model, ExecutionProvider, ModelOptions,
    OnnxVariant,
};
use crumb_engine::progress::{CancelFlag, IndexingStep};
use crumb_engine::{
    default_data_dir, CrawlOptions, Engine, EngineOptions, FileKind, Filters, SearchRequest,
};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
            no_ocr,
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
            let engine = Engine::open(
                EngineOptions::new(&data_dir)
                    .with_crawl(crawl)
                    .with_ocr(!no_ocr),
            )?;
            // Indexing embeds; it never reranks.
            load_models(&engine, &models, &data_dir, Need::EMBEDDER)?;
            let progress = |step: &IndexingStep| output::progress(step);
            let report = engine.index(&paths, &progress, &CancelFlag::new())?;
            output::clear_progress();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                output::index_summary(&report);
            }
            // Say why "0 embedded", and how to turn meaning search on, unless
            // the user switched it off on purpose.
            if engine.embedder().is_none() && models.embedder.as_deref() != Some("none") {
                eprintln!(
                    "hint: meaning search is off (no embedder installed): keyword search works. \
                     To search by meaning, run `crumb models fetch {}` (or pass --embedder DIR), \
                     then `crumb index` again.",
                    KnownModel::EmbedXsmallV1.name()
                );
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
            rerank_window,
            fusion,
            alpha,
            rrf_k,
            models,
        } => {
            if !(0.0..=1.0).contains(&alpha) {
                anyhow::bail!("--alpha must be between 0 and 1, not {alpha}");
            }
            let engine = Engine::open(EngineOptions::new(&data_dir).with_read_only(true))?;
            let mode: crumb_engine::search::Mode = mode.parse()?;
            // Models load only when the search will use them: a keyword
            // search, or one over an index without vectors, never pays for
            // loading ONNX Runtime and an embedder.
            let need = Need {
                embedder: mode == crumb_engine::search::Mode::Vector
                    || (mode == crumb_engine::search::Mode::Hybrid && engine.has_vectors()?),
                reranker: rerank_top > 0,
            };
            load_models(&engine, &models, &data_dir, need)?;
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
                mode,
                candidates,
                rerank: rerank_top > 0,
                rerank_top,
                rerank_first: 0,
                rerank_window,
                fusion: fusion.with(alpha, rrf_k),
                filters,
                ..SearchRequest::default()
            };
            match (query, queries) {
                (_, Some(file)) => search_batch(&engine, &base, &file),
                (Some(q), None) => {
                    let results =
                        engine.search_results(&SearchRequest { query: q, ..base }, &|| false)?;
                    for p in &results.problems {
                        eprintln!("note: {p}");
                    }
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&output::hits_json(
                                &results.hits,
                                results.no_strong_match
                            ))?
                        );
                    } else {
                        output::hits_human(&results.hits, results.no_strong_match);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                (None, None) => bail!("give a QUERY or --queries FILE"),
            }
        }
        Command::Models(a) => crate::models_cmd::run(&a, &data_dir),
        Command::Rerank(a) => crate::rerank_cmd::run(&a, &data_dir),
        Command::Watch { paths, opts } => crate::watch_cmd::run(&data_dir, &paths, &opts),
        Command::Serve(a) => crate::serve::run_serve(&data_dir, &a),
        Command::Mcp(a) => crate::serve::run_mcp(&data_dir, &a),
        Command::Status {
            json,
            failed,
            models,
        } => {
            let engine = Engine::open(EngineOptions::new(&data_dir).with_read_only(true))?;
            // Loading the models is what tells which provider really runs them.
            load_models(&engine, &models, &data_dir, Need::ALL)?;
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
        let results = engine.search_results(
            &SearchRequest {
                query: query.to_string(),
                ..base.clone()
            },
            &|| false,
        )?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let line = serde_json::json!({
            "id": id,
            "hits": output::hits_json(&results.hits, results.no_strong_match),
            "ms": ms,
            "no_strong_match": results.no_strong_match,
            "evidence": results.evidence,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The catalog setting that remembers which embedder built an index, so a
/// later `crumb search` embeds queries with the same model.
const EMBEDDER_SETTING: &str = "embedder_dir";

/// Which models a command will use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    pub embedder: bool,
    pub reranker: bool,
}

impl Need {
    pub const ALL: Need = Need {
        embedder: true,
        reranker: true,
    };
    pub const EMBEDDER: Need = Need {
        embedder: true,
        reranker: false,
    };
}

/// Loads ONNX Runtime, from the data dir too, right before the first model
/// needs it (and not at all when none does).
fn runtime_for(data_dir: &Path) {
    if let Err(e) = crumb_engine::models::init_runtime(Some(data_dir)) {
        tracing::warn!(target: "cli", "{e}");
    }
}

/// Loads the models named on the command line into the engine, among those
/// the command `need`s. Without a flag: the embedder the index was built with
/// (or the default one, when installed), and the default reranker when
/// installed.
pub(crate) fn load_models(
    engine: &Engine,
    models: &ModelArgs,
    data_dir: &Path,
    need: Need,
) -> Result<()> {
    let provider: ExecutionProvider = models.provider.parse()?;
    let opts = ModelOptions::new(provider);
    let variant = match models.embedder_variant.as_str() {
        "auto" => OnnxVariant::Auto,
        "fp32" => OnnxVariant::Fp32,
        "int8" => OnnxVariant::Int8,
        other => bail!("unknown --embedder-variant {other:?}; use auto, fp32 or int8"),
    };
    let embed_opts = opts.clone().with_variant(variant);
    let embedder_dir = match models.embedder.as_deref() {
        _ if !need.embedder => None,
        Some("none") => None,
        Some(v) => Some(resolve_model(v, Some(data_dir))?),
        None => engine
            .setting(EMBEDDER_SETTING)?
            .map(PathBuf::from)
            .filter(|p| p.join("config.json").is_file())
            .or_else(|| resolve_model(KnownModel::EmbedXsmallV1.name(), Some(data_dir)).ok()),
    };
    if let Some(dir) = embedder_dir {
        runtime_for(data_dir);
        let e = load_embedder_with(&dir, &embed_opts)
            .with_context(|| format!("load embedder {}", dir.display()))?;
        tracing::info!(target: "cli", model = e.id(), provider = %e.provider(), "embedder loaded");
        engine.set_embedder(Some(Arc::from(e)));
        if !engine.options().read_only {
            let canonical = dir.canonicalize().unwrap_or(dir);
            engine.set_setting(EMBEDDER_SETTING, &canonical.to_string_lossy())?;
        }
    }
    let reranker = match models.reranker.as_deref() {
        _ if !need.reranker => None,
        Some("none") => None,
        Some(v) => {
            runtime_for(data_dir);
            Some(
                load_reranker_with(v, Some(data_dir), &opts)
                    .with_context(|| format!("load reranker {v}"))?,
            )
        }
        None => resolve_model(KnownModel::RerankXsmallV1.name(), Some(data_dir))
            .ok()
            .and_then(|dir| {
                runtime_for(data_dir);
                load_reranker_with(&dir.to_string_lossy(), Some(data_dir), &opts).ok()
            }),
    };
    if let Some(r) = reranker {
        tracing::info!(target: "cli", model = r.id(), provider = %r.provider(), "reranker loaded");
        engine.set_reranker(Some(Arc::from(r)));
    }
    Ok(())
}
