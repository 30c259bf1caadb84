//! `crumb` (models branch: only the model commands are wired here; the lead's
//! main.rs replaces this file and mounts `models_cmd` / `rerank_cmd`).

mod models_cmd;
mod rerank_cmd;

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "crumb")]
struct Cli {
    /// Where the index and models live (default: the OS data dir).
    #[arg(long, global = true, value_name = "D")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// List, fetch or verify models.
    Models(models_cmd::ModelsArgs),
    /// Score passages against a query with a reranker.
    Rerank(rerank_cmd::RerankArgs),
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CRUMB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    let data_dir = cli.data_dir.unwrap_or_else(crumb_engine::default_data_dir);
    match &cli.command {
        Command::Models(a) => models_cmd::run(a, &data_dir),
        Command::Rerank(a) => rerank_cmd::run(a, &data_dir),
    }
}
