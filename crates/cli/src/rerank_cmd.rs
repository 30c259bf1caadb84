//! `crumb rerank QUERY PASSAGE... --reranker DIR [--json]`: score passages
//! against a query with a cross-encoder.

use anyhow::{Context, Result};
use crumb_engine::models::{load_reranker_with, ExecutionProvider, ModelOptions};
use std::path::Path;
use std::process::ExitCode;

/// `crumb rerank …`
#[derive(clap::Args, Debug)]
pub struct RerankArgs {
    /// The query.
    pub query: String,
    /// Passages to score.
    #[arg(required = true)]
    pub passages: Vec<String>,
    /// Reranker folder, or an installed model name (mxbai-rerank-xsmall-v1).
    #[arg(long, value_name = "DIR|NAME")]
    pub reranker: String,
    /// Print JSON: `[{index, logit, score}]` in input order.
    #[arg(long)]
    pub json: bool,
    /// Execution provider: auto, cpu, cuda, coreml or directml.
    #[arg(long, default_value = "auto")]
    pub provider: String,
}

/// Runs `crumb rerank`.
pub fn run(args: &RerankArgs, data_dir: &Path) -> Result<ExitCode> {
    let provider: ExecutionProvider = args.provider.parse()?;
    let reranker = load_reranker_with(&args.reranker, Some(data_dir), &ModelOptions::new(provider))
        .with_context(|| format!("loading reranker {}", args.reranker))?;
    let passages: Vec<&str> = args.passages.iter().map(String::as_str).collect();
    let scores = reranker.score(&args.query, &passages)?;
    if args.json {
        let rows: Vec<serde_json::Value> = scores
            .iter()
            .enumerate()
            .map(|(index, s)| serde_json::json!({"index": index, "logit": s.logit, "score": s.score}))
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        eprintln!("{} on {}", reranker.id(), reranker.provider());
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].score.total_cmp(&scores[a].score));
        for i in order {
            let preview: String = passages[i].chars().take(70).collect();
            println!(
                "{i:>3}  {:.4}  {:>8.4}  {preview}",
                scores[i].score, scores[i].logit
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
