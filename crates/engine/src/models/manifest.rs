//! The model registry: the six seed models as an enum, and the manifest in
//! `models/manifest.json` (compiled in) with their files, sizes and hashes.

use super::folder::ModelFolder;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The manifest as shipped in the repository.
pub const MANIFEST_JSON: &str = include_str!("../../../../models/manifest.json");

/// What a model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// Turns passages into vectors.
    Embedder,
    /// Scores (query, passage) pairs.
    Reranker,
}

/// The seed models Crumb knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnownModel {
    /// mxbai-embed-xsmall-v1, the embedder.
    EmbedXsmallV1,
    /// mxbai-rerank-xsmall-v1, the default reranker.
    RerankXsmallV1,
    /// mxbai-rerank-base-v1.
    RerankBaseV1,
    /// mxbai-rerank-large-v1.
    RerankLargeV1,
    /// mxbai-rerank-base-v2.
    RerankBaseV2,
    /// mxbai-rerank-large-v2.
    RerankLargeV2,
}

impl KnownModel {
    /// Every seed model.
    pub const ALL: [KnownModel; 6] = [
        KnownModel::EmbedXsmallV1,
        KnownModel::RerankXsmallV1,
        KnownModel::RerankBaseV1,
        KnownModel::RerankLargeV1,
        KnownModel::RerankBaseV2,
        KnownModel::RerankLargeV2,
    ];

    /// The model's name, as in the manifest and the data dir.
    pub fn name(self) -> &'static str {
        match self {
            KnownModel::EmbedXsmallV1 => "mxbai-embed-xsmall-v1",
            KnownModel::RerankXsmallV1 => "mxbai-rerank-xsmall-v1",
            KnownModel::RerankBaseV1 => "mxbai-rerank-base-v1",
            KnownModel::RerankLargeV1 => "mxbai-rerank-large-v1",
            KnownModel::RerankBaseV2 => "mxbai-rerank-base-v2",
            KnownModel::RerankLargeV2 => "mxbai-rerank-large-v2",
        }
    }

    /// The model called `name` (also accepts `mixedbread-ai/<name>`).
    pub fn from_name(name: &str) -> Option<KnownModel> {
        let name = name.trim().trim_start_matches("mixedbread-ai/");
        KnownModel::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One file of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Path inside the upstream repository and the installed folder.
    pub path: String,
    /// `fp32` or `int8` for ONNX files.
    #[serde(default)]
    pub variant: Option<String>,
    /// Exact size in bytes, when confirmed.
    #[serde(default)]
    pub size: Option<u64>,
    /// Size as the Hub lists it, when the exact one is unknown.
    #[serde(default)]
    pub approx_size: Option<String>,
    /// Full lowercase hex sha256, when confirmed.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Known start of the hash when only part of it is confirmed.
    #[serde(default)]
    pub sha256_prefix: Option<String>,
    /// Known end of the hash when only part of it is confirmed.
    #[serde(default)]
    pub sha256_suffix: Option<String>,
    /// Fetched by default.
    #[serde(default)]
    pub default: bool,
}

/// One model of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Name, e.g. `mxbai-rerank-xsmall-v1`.
    pub name: String,
    /// Embedder or reranker.
    pub role: ModelRole,
    /// Upstream repository, `owner/name`.
    pub repo: String,
    /// Upstream revision (branch or commit).
    pub revision: String,
    /// SPDX-style licence id.
    pub license: String,
    /// `config.json` `model_type`.
    pub model_type: String,
    /// Text put before queries (embedders); empty for none.
    #[serde(default)]
    pub query_prefix: String,
    /// Shipped with the app as a resource.
    #[serde(default)]
    pub bundled: bool,
    /// The files.
    pub files: Vec<ModelFile>,
}

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// Where files come from; `CRUMB_MODEL_BASE_URL` overrides it.
    pub base_url: String,
    /// The models.
    pub models: Vec<ModelEntry>,
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> Result<Manifest> {
        Manifest::parse(MANIFEST_JSON)
    }

    /// Parses manifest JSON.
    pub fn parse(json: &str) -> Result<Manifest> {
        serde_json::from_str(json).map_err(|e| Error::Model(format!("model manifest: {e}")))
    }

    /// The entry for `model`.
    pub fn entry(&self, model: KnownModel) -> Result<&ModelEntry> {
        self.models
            .iter()
            .find(|m| m.name == model.name())
            .ok_or_else(|| Error::Bug(format!("{} missing from the manifest", model.name())))
    }

    /// The download base URL: `CRUMB_MODEL_BASE_URL` when set, else the manifest's.
    pub fn effective_base_url(&self) -> String {
        std::env::var("CRUMB_MODEL_BASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.base_url.clone())
    }
}

impl ModelEntry {
    /// The URL of one file under `base`.
    pub fn url(&self, base: &str, file: &ModelFile) -> String {
        format!(
            "{}/{}/resolve/{}/{}",
            base.trim_end_matches('/'),
            self.repo,
            self.revision,
            file.path
        )
    }
}

/// The manifest's query prefix for the model in `folder`, matched by folder
/// name or by `config.json`'s `_name_or_path`.
pub(crate) fn query_prefix_for(folder: &ModelFolder) -> Option<String> {
    let manifest = Manifest::builtin().ok()?;
    let dir_name = folder.dir.file_name()?.to_string_lossy().into_owned();
    let upstream = folder
        .config
        .get("_name_or_path")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    manifest
        .models
        .into_iter()
        .find(|m| m.name == dir_name || upstream.ends_with(&m.name))
        .map(|m| m.query_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_manifest_lists_every_known_model() {
        let m = Manifest::builtin().expect("manifest parses");
        for k in KnownModel::ALL {
            let e = m.entry(k).expect("entry");
            assert!(e.files.iter().any(|f| f.path == "config.json"));
            assert!(e
                .files
                .iter()
                .any(|f| f.path.ends_with(".onnx") && f.default));
            assert_eq!(KnownModel::from_name(k.name()), Some(k));
        }
        assert_eq!(
            KnownModel::from_name("mixedbread-ai/mxbai-rerank-base-v2"),
            Some(KnownModel::RerankBaseV2)
        );
    }

    #[test]
    fn no_hash_is_invented() {
        let m = Manifest::builtin().expect("manifest parses");
        // Only partial hashes are known today; a full one must be 64 hex digits.
        for f in m.models.iter().flat_map(|e| &e.files) {
            if let Some(h) = &f.sha256 {
                assert_eq!(h.len(), 64, "{}", f.path);
            }
        }
    }
}
