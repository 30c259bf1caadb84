//! `crumb`: the headless command line over the Crumb engine. Tests,
//! benchmarks and power users drive the engine through it.

mod args;
mod models_cmd;
mod output;
mod rerank_cmd;
mod run;
mod serve;
mod watch_cmd;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Extraction workers are this same binary, started with a marker argument.
    if std::env::args().nth(1).as_deref() == Some(crumb_engine::extract::worker::WORKER_ARG) {
        return match crumb_engine::extract::worker::serve() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(_) => std::process::ExitCode::from(1),
        };
    }
    restore_sigpipe();
    let cli = args::Cli::parse();
    init_logging(cli.verbose);
    match run::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // One line a person can act on; the chain gives the cause.
            let msg = err
                .chain()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("crumb: error: {msg}");
            std::process::ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRUMB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal: escape codes in a pipe or a
    // log file are noise (NO_COLOR is honoured as well).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

/// Rust ignores SIGPIPE, so `crumb search … | head` would panic on a closed
/// pipe; a command-line tool should simply stop, as `cat` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
