//! Neural models: the embedder and the rerankers, behind traits so the search
//! pipeline can be tested with fakes and run with real ONNX models.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod embed;
pub mod fetch;
mod folder;
pub mod manifest;
mod prompt;
mod provider;
mod rerank;
pub mod runtime;
mod session;

pub use embed::{OnnxEmbedder, Pooling, EMBED_MAX_TOKENS};
pub use folder::{cpu_has_fast_int8, ModelFolder, OnnxVariant};
pub use manifest::{KnownModel, Manifest, ModelEntry, ModelRole};
pub use provider::ExecutionProvider;
pub use rerank::{OnnxReranker, RerankKind, V1_MAX_TOKENS, V2_MAX_TOKENS};
pub use runtime::{
    find_ort_library, init_runtime, ort_library_candidates, physical_cores, SessionTuning,
    ORT_VERSION,
};

/// How to load a model: where it runs, which ONNX file, how it batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelOptions {
    /// Providers to try in order; the CPU always ends the list.
    pub providers: Vec<ExecutionProvider>,
    /// Which ONNX file of the folder to run.
    pub variant: OnnxVariant,
    /// Longest input in tokens; `None` reads it from `config.json`, capped.
    pub max_length: Option<usize>,
    /// Texts (or pairs) per ONNX run.
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads. `Some(n)`: one session with `n`
    /// threads (how the benchmarks against Python compare). `None`: one
    /// single-threaded session per physical core, running batches side by
    /// side (see [`SessionTuning::for_cpu`]).
    pub intra_threads: Option<usize>,
    /// Overrides how many sessions run side by side.
    pub sessions: Option<usize>,
    /// Overrides the manifest's query prefix (embedders only).
    pub query_prefix: Option<String>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            providers: vec![ExecutionProvider::Auto],
            variant: OnnxVariant::Auto,
            max_length: None,
            batch_size: 32,
            intra_threads: None,
            sessions: None,
            query_prefix: None,
        }
    }
}

impl ModelOptions {
    /// Options that run on `provider` (then the CPU).
    pub fn new(provider: ExecutionProvider) -> Self {
        ModelOptions::default().with_providers(vec![provider])
    }
    /// Sets the ordered providers.
    pub fn with_providers(mut self, providers: Vec<ExecutionProvider>) -> Self {
        self.providers = providers;
        self
    }
    /// Sets the ONNX variant.
    pub fn with_variant(mut self, variant: OnnxVariant) -> Self {
        self.variant = variant;
        self
    }
    /// Sets the maximum input length in tokens.
    pub fn with_max_length(mut self, max_length: usize) -> Self {
        self.max_length = Some(max_length);
        self
    }
    /// Sets the batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Sets the ONNX Runtime intra-op thread count.
    pub fn with_intra_threads(mut self, threads: usize) -> Self {
        self.intra_threads = Some(threads);
        self
    }
    /// Sets how many sessions run batches side by side.
    pub fn with_sessions(mut self, sessions: usize) -> Self {
        self.sessions = Some(sessions.max(1));
        self
    }
    /// Whether an accelerator compiled into this build will be tried first.
    pub fn wants_accelerator(&self) -> bool {
        ExecutionProvider::expand(&self.providers)
            .iter()
            .any(|e| *e != ExecutionProvider::Cpu && e.compiled_in())
    }
    /// The ONNX Runtime session set-up these options ask for.
    pub fn tuning(&self) -> SessionTuning {
        let mut t = SessionTuning::for_cpu(self.intra_threads);
        if let Some(n) = self.sessions {
            t.sessions = n.max(1);
        }
        t
    }
    /// Sets the query prefix.
    pub fn with_query_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.query_prefix = Some(prefix.into());
        self
    }
}

/// Loads the embedder in `dir` on `provider` (then the CPU).
pub fn load_embedder(dir: &Path, provider: ExecutionProvider) -> crate::Result<Box<dyn Embedder>> {
    load_embedder_with(dir, &ModelOptions::new(provider))
}

/// Loads the embedder in `dir` with full options.
pub fn load_embedder_with(dir: &Path, opts: &ModelOptions) -> crate::Result<Box<dyn Embedder>> {
    Ok(Box::new(OnnxEmbedder::load(dir, opts)?))
}

/// Loads a reranker from a folder, or from a model name (`mxbai-rerank-xsmall-v1`)
/// installed under `<data dir>/models/`. The scoring path comes from its
/// `config.json`.
pub fn load_reranker(
    dir_or_name: &str,
    provider: ExecutionProvider,
) -> crate::Result<Box<dyn Reranker>> {
    load_reranker_with(dir_or_name, None, &ModelOptions::new(provider))
}

/// Loads a reranker with full options; `data_dir` locates installed models by name.
pub fn load_reranker_with(
    dir_or_name: &str,
    data_dir: Option<&Path>,
    opts: &ModelOptions,
) -> crate::Result<Box<dyn Reranker>> {
    let dir = resolve_model(dir_or_name, data_dir)?;
    Ok(Box::new(OnnxReranker::load(&dir, opts)?))
}

/// Turns a folder path or a manifest model name into a model folder. A name
/// resolves through [`model_dir_candidates`]: the resource dir's
/// `models/<name>` (bundled), then `<data dir>/models/<name>` (which
/// `crumb models fetch` fills), then `$CRUMB_MODELS_DIR/<name>`.
pub fn resolve_model(dir_or_name: &str, data_dir: Option<&Path>) -> crate::Result<PathBuf> {
    let as_path = Path::new(dir_or_name);
    if as_path.join("config.json").is_file() {
        return Ok(as_path.to_path_buf());
    }
    match KnownModel::from_name(dir_or_name) {
        Some(known) => find_model(known, data_dir).ok_or_else(|| {
            crate::Error::Input(format!(
                "model {} is not installed (run `crumb models fetch {}`); looked in {}",
                known.name(),
                known.name(),
                model_dir_candidates(known, data_dir)
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
        None => Err(crate::Error::Input(format!(
            "{dir_or_name:?} is neither a model folder (with config.json) nor a known model name ({})",
            KnownModel::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Where a known model is looked for, in order (see [`crate::resources`]).
pub fn model_dir_candidates(model: KnownModel, data_dir: Option<&Path>) -> Vec<PathBuf> {
    let data = data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(runtime::default_data_dir);
    crate::resources::candidates(
        &Path::new("models").join(model.name()),
        &data,
        crate::resources::env_path(MODELS_DIR_ENV).map(|d| d.join(model.name())),
    )
}

/// The environment variable naming a folder of model folders (the last place
/// looked in).
pub const MODELS_DIR_ENV: &str = "CRUMB_MODELS_DIR";

/// The first folder holding `model` (one with a `config.json`).
pub fn find_model(model: KnownModel, data_dir: Option<&Path>) -> Option<PathBuf> {
    model_dir_candidates(model, data_dir)
        .into_iter()
        .find(|d| d.join("config.json").is_file())
}

/// The bundled copy of `model` in the resource dir, when there is one.
pub fn bundled_model(model: KnownModel) -> Option<PathBuf> {
    let dir = crate::resources::resource_dir()?
        .join("models")
        .join(model.name());
    dir.join("config.json").is_file().then_some(dir)
}

/// Where installed models live: `<data dir>/models`.
pub fn models_dir(data_dir: Option<&Path>) -> PathBuf {
    data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(runtime::default_data_dir)
        .join("models")
}

/// Turns text into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// Stable model id; vectors in the catalog are keyed by it.
    fn id(&self) -> &str;
    /// Vector dimension.
    fn dim(&self) -> usize;
    /// Embeds passages (documents), in order.
    fn embed_passages(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>>;
    /// Embeds a query; models with a query prefix apply it here.
    fn embed_query(&self, text: &str) -> crate::Result<Vec<f32>> {
        Ok(self.embed_passages(&[text])?.remove(0))
    }
    /// The execution provider that actually runs the model ("cpu", "cuda"…).
    fn provider(&self) -> String {
        "cpu".into()
    }
}

/// One passage's relevance to a query from a cross-encoder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RerankScore {
    /// The raw model output.
    pub logit: f32,
    /// sigmoid(logit), in 0..1.
    pub score: f32,
}

impl RerankScore {
    /// Builds a score from a logit.
    pub fn from_logit(logit: f32) -> Self {
        RerankScore {
            logit,
            score: 1.0 / (1.0 + (-logit).exp()),
        }
    }
}

/// Scores (query, passage) pairs with a cross-encoder.
pub trait Reranker: Send + Sync {
    /// Stable model id.
    fn id(&self) -> &str;
    /// Scores each passage against the query, in order.
    fn score(&self, query: &str, passages: &[&str]) -> crate::Result<Vec<RerankScore>> {
        self.score_cancellable(query, passages, &|| false)
    }
    /// Like [`Reranker::score`], but checks `should_stop` between model runs
    /// and gives up with [`crate::Error::Cancelled`] when it says so.
    fn score_cancellable(
        &self,
        query: &str,
        passages: &[&str],
        should_stop: &(dyn Fn() -> bool + Sync),
    ) -> crate::Result<Vec<RerankScore>>;
    /// Byte ranges of the model's own tokens in `text` (no special tokens),
    /// for cutting windows in real tokens; `None` when the model cannot say.
    fn token_spans(&self, _text: &str) -> Option<Vec<(usize, usize)>> {
        None
    }
    /// Tokens the model's input holds for `query` and the special tokens
    /// around a pair; what is left of the window goes to the passage.
    fn query_tokens(&self, query: &str) -> usize {
        crate::chunk::estimate_tokens(query) + 4
    }
    /// The longest input in tokens.
    fn max_length(&self) -> usize {
        V1_MAX_TOKENS
    }
    /// The execution provider that actually runs the model.
    fn provider(&self) -> String {
        "cpu".into()
    }
}
