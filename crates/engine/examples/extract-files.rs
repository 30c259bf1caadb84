//! Runs contained extraction over files and prints one TSV line per file:
//! `path, kind, status (ok|failed|skipped), chars, blocks, ms, reason`.
//! Used by `scripts/corpus-coverage.sh`; also shows how a binary hosts the
//! extraction worker (`<exe> __extract-worker`).
//!
//! Usage: extract-files [--in-process] [--timeout SECS] [--text] < list-of-paths
//! (`--text` puts the title and the first 300 characters in the last column)

use crumb_engine::extract::{worker, ExtractError, Limits, Sandbox, SandboxOptions, Source};
use crumb_engine::FileKind;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(worker::WORKER_ARG) {
        std::process::exit(match worker::serve() {
            Ok(()) => 0,
            Err(_) => 1,
        });
    }
    let timeout = args
        .iter()
        .position(|a| a == "--timeout")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let options = SandboxOptions::default().with_timeout(Duration::from_secs(timeout));
    let sandbox = if args.iter().any(|a| a == "--in-process") {
        Sandbox::in_process()
    } else {
        Sandbox::current_exe().with_options(options)
    };
    let limits = Limits::default();
    let show_text = args.iter().any(|a| a == "--text");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let path = Path::new(line.trim());
        let kind = FileKind::from_path(path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let start = Instant::now();
        let result = sandbox.extract(Source::Path(path), kind, name, &limits);
        let ms = start.elapsed().as_millis();
        let (status, chars, blocks, reason) = match &result {
            Ok(doc) => ("ok", doc.text_len(), doc.blocks.len(), String::new()),
            Err(e @ ExtractError::Unsupported(_)) => ("skipped", 0, 0, e.to_string()),
            Err(e) => ("failed", 0, 0, e.to_string()),
        };
        let mut reason = reason.replace(['\t', '\n'], " ");
        if show_text {
            if let Ok(doc) = &result {
                let text: String = doc
                    .blocks
                    .iter()
                    .map(|b| format!("[{}] {} ", b.location.display(), b.text))
                    .collect();
                reason = format!(
                    "{:?} {}",
                    doc.title,
                    text.chars()
                        .take(300)
                        .collect::<String>()
                        .replace(['\t', '\n'], " ")
                );
            }
        }
        let _ = writeln!(
            out,
            "{}\t{kind}\t{status}\t{chars}\t{blocks}\t{ms}\t{reason}",
            path.display()
        );
        let _ = out.flush();
    }
}
