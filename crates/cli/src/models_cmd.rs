//! `crumb models list|fetch|verify`: what is installed, download what is
//! missing (with a progress bar), check sha256s.

use anyhow::{bail, Context, Result};
use crumb_engine::models::fetch::{
    fetch_model, verify_model, FetchPolicy, FetchProgress, FileStatus,
};
use crumb_engine::models::manifest::{KnownModel, Manifest, ModelEntry, ModelFile};
use crumb_engine::models::models_dir;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// `crumb models …`
#[derive(clap::Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// The `models` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ModelsCommand {
    /// List the known models and what is installed.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Download models (default: the embedder and the default reranker).
    Fetch {
        /// Model names (see `crumb models list`).
        names: Vec<String>,
        /// Every known model.
        #[arg(long)]
        all: bool,
        /// Also fetch this ONNX variant (fp32 or int8) besides the default file.
        #[arg(long, value_name = "fp32|int8")]
        variant: Option<String>,
        /// Download from this base URL instead of the manifest's (or $CRUMB_MODEL_BASE_URL).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Accept files whose sha256 the manifest calls "unpinned"; the hash
        /// seen is recorded next to the model so a later change is caught.
        #[arg(long)]
        allow_unpinned: bool,
        /// Check files against this manifest instead of the built-in one
        /// (`make bundle` uses one that names its stand-in models).
        #[arg(long, value_name = "FILE")]
        manifest: Option<std::path::PathBuf>,
        /// Install into this folder (one sub-folder per model) instead of the
        /// data dir's models/.
        #[arg(long, value_name = "DIR")]
        into: Option<std::path::PathBuf>,
    },
    /// Check installed files against the manifest's sizes and sha256s.
    Verify {
        /// Model names (default: every installed model).
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `crumb models …` against the data dir.
pub fn run(args: &ModelsArgs, data_dir: &Path) -> Result<ExitCode> {
    let manifest = match &args.command {
        ModelsCommand::Fetch {
            manifest: Some(path),
            ..
        } => Manifest::load(path)?,
        _ => Manifest::builtin()?,
    };
    let root = match &args.command {
        ModelsCommand::Fetch {
            into: Some(dir), ..
        } => dir.clone(),
        _ => models_dir(Some(data_dir)),
    };
    match &args.command {
        ModelsCommand::List { json } => list(&manifest, &root, *json),
        ModelsCommand::Fetch {
            names,
            all,
            variant,
            base_url,
            allow_unpinned,
            ..
        } => {
            let chosen = choose(
                &manifest,
                names,
                *all,
                &[KnownModel::EmbedXsmallV1, KnownModel::RerankXsmallV1],
            )?;
            let base = base_url
                .clone()
                .unwrap_or_else(|| manifest.effective_base_url());
            for entry in chosen {
                let files: Vec<&ModelFile> = entry
                    .files
                    .iter()
                    .filter(|f| f.default || variant.is_some() && f.variant == *variant)
                    .collect();
                let dir = root.join(&entry.name);
                eprintln!("fetching {} into {}", entry.name, dir.display());
                let mut bar = Bar::default();
                let policy = FetchPolicy {
                    allow_unpinned: *allow_unpinned,
                };
                let result = fetch_model(entry, &files, &base, &dir, policy, &mut |p| bar.draw(p));
                bar.finish();
                for (path, status) in result.with_context(|| format!("fetching {}", entry.name))? {
                    eprintln!("  {path}: {}", status.label());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify { names, json } => {
            let chosen = if names.is_empty() {
                manifest
                    .models
                    .iter()
                    .filter(|m| root.join(&m.name).is_dir())
                    .collect()
            } else {
                choose(&manifest, names, false, &[])?
            };
            verify(&chosen, &root, *json)
        }
    }
}

fn choose<'m>(
    manifest: &'m Manifest,
    names: &[String],
    all: bool,
    default: &[KnownModel],
) -> Result<Vec<&'m ModelEntry>> {
    if all {
        return Ok(manifest.models.iter().collect());
    }
    let known: Vec<KnownModel> = if names.is_empty() {
        default.to_vec()
    } else {
        names
            .iter()
            .map(|n| {
                KnownModel::from_name(n).with_context(|| {
                    format!("unknown model {n:?}; `crumb models list` shows the known ones")
                })
            })
            .collect::<Result<_>>()?
    };
    known
        .into_iter()
        .map(|k| manifest.entry(k).map_err(Into::into))
        .collect()
}

fn list(manifest: &Manifest, root: &Path, json: bool) -> Result<ExitCode> {
    let rows: Vec<serde_json::Value> = manifest
        .models
        .iter()
        .map(|m| {
            let dir = root.join(&m.name);
            let files: Vec<serde_json::Value> = m
                .files
                .iter()
                .map(|f| {
                    let size = std::fs::metadata(dir.join(&f.path)).ok().map(|md| md.len());
                    serde_json::json!({
                        "path": f.path, "variant": f.variant, "default": f.default,
                        "installed": size.is_some(), "bytes": size,
                        "expected_bytes": f.pinned_size(), "approx_size": f.approx_size,
                        "sha256_pinned": f.pinned_sha256().is_some(),
                    })
                })
                .collect();
            let installed = m
                .files
                .iter()
                .filter(|f| f.default)
                .all(|f| dir.join(&f.path).is_file());
            serde_json::json!({
                "name": m.name, "role": m.role, "repo": m.repo, "license": m.license,
                "model_type": m.model_type, "bundled": m.bundled, "installed": installed,
                "dir": dir, "files": files,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("models in {}", root.display());
    for (m, row) in manifest.models.iter().zip(&rows) {
        let installed = row["installed"] == true;
        let state = if installed {
            "installed"
        } else {
            "not installed"
        };
        println!(
            "  {:<24} {:<9} {:<11} {:<14} {:>9}  {}",
            m.name,
            format!("{:?}", m.role).to_lowercase(),
            m.model_type,
            state,
            size_label(m, &root.join(&m.name), installed),
            m.license
        );
        if installed {
            println!("  {:<24} in {}", "", root.join(&m.name).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(models: &[&ModelEntry], root: &Path, json: bool) -> Result<ExitCode> {
    if models.is_empty() {
        bail!(
            "no models installed in {} (run `crumb models fetch`)",
            root.display()
        );
    }
    let mut ok = true;
    let mut out = Vec::new();
    for m in models {
        let checks = verify_model(m, &root.join(&m.name))?;
        for (path, status) in checks {
            ok &= status.is_ok();
            if json {
                out.push(serde_json::json!({
                    "model": m.name, "path": path, "ok": status.is_ok(), "status": status.label(),
                }));
            } else {
                println!("{}/{}: {}", m.name, path, status.label());
            }
            if matches!(status, FileStatus::Unpinned { .. }) && !json {
                // Say it plainly: an unpinned file is not a verified file.
                println!("  (the manifest's sha256 for this file is \"unpinned\": it cannot be verified)");
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A one-line progress bar on stderr.
#[derive(Default)]
struct Bar {
    file: String,
    drawn: bool,
    last_pct: Option<u64>,
}

impl Bar {
    fn draw(&mut self, p: &FetchProgress) {
        if p.file != self.file {
            self.finish();
            self.file = p.file.clone();
            self.last_pct = None;
        }
        let pct = p.total.filter(|&t| t > 0).map(|t| p.done * 100 / t);
        // Redraw only on visible change: the callback fires per 64 KiB.
        if pct == self.last_pct && pct.is_some() {
            return;
        }
        self.last_pct = pct;
        let line = match (pct, p.total) {
            (Some(pct), Some(total)) => {
                let filled = (pct / 4) as usize;
                format!(
                    "  {:<28} [{}{}] {:>3}% {}/{}",
                    p.file,
                    "#".repeat(filled),
                    " ".repeat(25 - filled.min(25)),
                    pct,
                    human(p.done),
                    human(total)
                )
            }
            _ => format!("  {:<28} {}", p.file, human(p.done)),
        };
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

fn human(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{:.1} MiB", bytes as f64 / MB)
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
}

/// What a model takes on disk: its files' real sizes once installed, else
/// the manifest's (exact where confirmed, the Hub's listing otherwise).
fn size_label(m: &ModelEntry, dir: &Path, installed: bool) -> String {
    let files = m.files.iter().filter(|f| f.default);
    if installed {
        let bytes: u64 = files
            .filter_map(|f| std::fs::metadata(dir.join(&f.path)).ok())
            .map(|md| md.len())
            .sum();
        return megabytes(bytes);
    }
    // The largest file (the ONNX graph) is the download that matters.
    let exact: Option<u64> = files.clone().map(|f| f.pinned_size()).sum();
    match exact {
        Some(bytes) => megabytes(bytes),
        None => files
            .filter(|f| f.path.ends_with(".onnx"))
            .find_map(|f| {
                f.pinned_size()
                    .map(megabytes)
                    .or_else(|| f.approx_size.as_ref().map(|a| format!("~{a}")))
            })
            .unwrap_or_else(|| "size ?".into()),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
