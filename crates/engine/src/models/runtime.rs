//! ONNX Runtime: finding the shared library, the process-wide environment, and
//! opening sessions on the best execution provider that actually works.
//!
//! `ort` is built with `load-dynamic`: its build-time binary download cannot
//! run on offline build machines, and a desktop app ships its runtime anyway.

use super::ExecutionProvider;
use crate::{Error, Result};
use ort::{
    environment::Environment,
    session::{builder::GraphOptimizationLevel, Session},
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The ONNX Runtime version `scripts/setup-onnxruntime.sh` installs; `ort`
/// 2.0.0-rc.15 is built against its API.
pub const ORT_VERSION: &str = "1.32.0";

/// The library's file name on this platform (`libonnxruntime.so`, …).
pub fn ort_library_name() -> String {
    format!(
        "{}onnxruntime{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The places searched for the ONNX Runtime library, in order (see
/// [`crate::resources`]): `onnxruntime/` in the resource dir, then in the
/// data dir, then `ORT_DYLIB_PATH`. Never the working directory or its
/// ancestors.
pub fn ort_library_candidates(data_dir: Option<&Path>) -> Vec<PathBuf> {
    let data = data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(default_data_dir);
    crate::resources::candidates(
        &Path::new("onnxruntime").join(ort_library_name()),
        &data,
        crate::resources::env_path("ORT_DYLIB_PATH"),
    )
}

/// Finds the ONNX Runtime library, or explains how to install it.
pub fn find_ort_library(data_dir: Option<&Path>) -> Result<PathBuf> {
    let candidates = ort_library_candidates(data_dir);
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let env_hint = match crate::resources::env_path("ORT_DYLIB_PATH") {
        Some(p) => format!("ORT_DYLIB_PATH={} is not a file", p.display()),
        None => "ORT_DYLIB_PATH is not set".to_string(),
    };
    Err(Error::Model(format!(
        "ONNX Runtime library ({}) not found; {env_hint}. Install it with `make setup` \
         (scripts/setup-onnxruntime.sh, from the onnxruntime=={ORT_VERSION} wheel) and point \
         ORT_DYLIB_PATH at it, or put it in the data dir. Looked in: {}",
        ort_library_name(),
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// The data dir when none is given; mirrors `options::default_data_dir`
/// (kept here so this module stands alone).
pub(crate) fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRUMB_DATA_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("org", "Crumb", "crumb")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".crumb"))
}

static ENVIRONMENT: OnceLock<std::result::Result<(Environment, PathBuf), String>> = OnceLock::new();

/// Loads ONNX Runtime once per process (ONNX Runtime allows one environment)
/// and returns the library path it came from. Later calls return the first
/// outcome, so a missing library is reported the same way every time.
pub fn init_runtime(data_dir: Option<&Path>) -> Result<PathBuf> {
    let outcome = ENVIRONMENT.get_or_init(|| {
        let path = find_ort_library(data_dir).map_err(|e| match e {
            Error::Model(msg) => msg,
            other => other.to_string(),
        })?;
        let builder = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        let env = builder
            .with_name("crumb")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))?;
        tracing::info!(target: "models::runtime", path = %path.display(), "ONNX Runtime loaded");
        Ok((env, path))
    });
    match outcome {
        Ok((_, path)) => Ok(path.clone()),
        Err(msg) => Err(Error::Model(msg.clone())),
    }
}

fn environment() -> Result<&'static Environment> {
    init_runtime(None)?;
    match ENVIRONMENT.get() {
        Some(Ok((env, _))) => Ok(env),
        _ => Err(Error::Bug(
            "ONNX Runtime environment missing after init".into(),
        )),
    }
}

/// How an ONNX Runtime session is set up. The defaults come from
/// measurements on the project's 2-core machine (docs/BENCHMARKS.md,
/// "Reranking the search path's own pairs" and "Embedding throughput and
/// memory"); every field is a knob so benchmarks can compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTuning {
    /// Sessions of the same model that run batches side by side (CPU only).
    pub sessions: usize,
    /// Intra-op threads per session.
    pub intra_threads: usize,
    /// Whether idle intra-op threads spin. Spinning burns a core between
    /// runs and, on a busy desktop, steals it from everything else.
    pub spinning: bool,
    /// ONNX Runtime's memory-pattern planner: it pays off for fixed shapes;
    /// with every batch a different length it only grows memory.
    pub memory_pattern: bool,
}

impl SessionTuning {
    /// One single-threaded session per physical core (at most 4: beyond that
    /// memory costs more than it returns), or `threads` if given, spread over
    /// fewer sessions.
    pub fn for_cpu(threads: Option<usize>) -> SessionTuning {
        let cores = physical_cores();
        match threads {
            // An explicit thread count is one session with that many threads,
            // as the benchmarks against Python compare it.
            Some(t) => SessionTuning {
                sessions: 1,
                intra_threads: t.max(1),
                ..SessionTuning::default()
            },
            None => SessionTuning {
                sessions: cores.clamp(1, 4),
                intra_threads: 1,
                ..SessionTuning::default()
            },
        }
    }
}

impl Default for SessionTuning {
    fn default() -> Self {
        SessionTuning {
            sessions: 1,
            intra_threads: physical_cores(),
            spinning: false,
            memory_pattern: false,
        }
    }
}

/// Physical cores (hyper-threads share one core's arithmetic units, which
/// these models saturate).
pub fn physical_cores() -> usize {
    num_cpus::get_physical().max(1)
}

/// Opens `model` on the first provider of `providers` (expanded, see
/// [`ExecutionProvider::expand`]) that both registers and commits, ending with
/// the CPU. Returns the session and the provider that actually runs it.
pub(crate) fn open_session(
    model: &Path,
    providers: &[ExecutionProvider],
    tuning: &SessionTuning,
) -> Result<(Session, ExecutionProvider)> {
    let env = environment()?;
    let mut last_err = String::new();
    for ep in ExecutionProvider::expand(providers) {
        match try_open(env, model, ep, tuning) {
            Ok(session) => {
                tracing::info!(target: "models::runtime", model = %model.display(), provider = %ep, "session ready");
                return Ok((session, ep));
            }
            Err(e) => {
                tracing::warn!(target: "models::runtime", provider = %ep, error = %e, "provider unavailable, trying the next");
                last_err = e;
            }
        }
    }
    Err(Error::Model(format!(
        "cannot open {}: {last_err}",
        model.display()
    )))
}

fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn try_open(
    env: &Environment,
    model: &Path,
    ep: ExecutionProvider,
    tuning: &SessionTuning,
) -> std::result::Result<Session, String> {
    let mut builder = Session::builder(env)
        .map_err(msg)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(msg)?
        .with_intra_threads(tuning.intra_threads.max(1))
        .map_err(msg)?
        .with_inter_threads(1)
        .map_err(msg)?
        .with_memory_pattern(tuning.memory_pattern)
        .map_err(msg)?
        .with_intra_op_spinning(tuning.spinning)
        .map_err(msg)?
        .with_inter_op_spinning(false)
        .map_err(msg)?;
    if let Some(dispatch) = super::provider::dispatch(ep)? {
        builder = builder
            .with_execution_providers([dispatch.error_on_failure()])
            .map_err(msg)?;
    }
    builder.commit_from_file(model).map_err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_end_with_the_data_dir_then_the_env_override() {
        let data = Path::new("/nonexistent-data");
        let c = ort_library_candidates(Some(data));
        let in_data = data.join("onnxruntime").join(ort_library_name());
        assert!(c.contains(&in_data), "{c:?}");
        let env = crate::resources::env_path("ORT_DYLIB_PATH");
        let cwd = std::env::current_dir().expect("cwd");
        assert!(
            c.iter()
                .filter(|p| Some(*p) != env.as_ref())
                .all(|p| !p.starts_with(&cwd) && !p.to_string_lossy().contains(".cache")),
            "neither the working directory nor a checkout cache is searched: {c:?}"
        );
    }
}
