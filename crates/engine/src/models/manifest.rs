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

/// The word the manifest uses where a size or hash is not confirmed.
pub const UNPINNED: &str = "unpinned";

/// A size or hash: confirmed, or `"unpinned"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pin<T> {
    /// Not confirmed: the manifest says `"unpinned"`. First, so that the
    /// word is not taken for a hash.
    Unpinned(Unpinned),
    /// Confirmed from a published source (cited in models/README.md).
    Pinned(T),
}

/// The literal `"unpinned"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unpinned {
    /// `"unpinned"`.
    #[serde(rename = "unpinned")]
    Unpinned,
}

impl<T> Pin<T> {
    /// The confirmed value, if any.
    pub fn pinned(&self) -> Option<&T> {
        match self {
            Pin::Pinned(v) => Some(v),
            Pin::Unpinned(_) => None,
        }
    }

    /// `"unpinned"`.
    pub fn unpinned() -> Pin<T> {
        Pin::Unpinned(Unpinned::Unpinned)
    }
}

/// One file of a model. Every file carries a size and a sha256, each either
/// confirmed or `"unpinned"`; the downloader refuses an unpinned file unless
/// told to allow it (ARCHITECTURE.md, "Model integrity").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Path inside the upstream repository and the installed folder.
    pub path: String,
    /// `fp32` or `int8` for ONNX files.
    #[serde(default)]
    pub variant: Option<String>,
    /// Exact size in bytes, or `"unpinned"`.
    pub size: Pin<u64>,
    /// Size as the Hub lists it, for display while the exact one is unpinned.
    #[serde(default)]
    pub approx_size: Option<String>,
    /// Lowercase hex sha256, or `"unpinned"`.
    pub sha256: Pin<String>,
    /// Fetched by default.
    #[serde(default)]
    pub default: bool,
}

impl ModelFile {
    /// The confirmed size.
    pub fn pinned_size(&self) -> Option<u64> {
        self.size.pinned().copied()
    }

    /// The confirmed sha256.
    pub fn pinned_sha256(&self) -> Option<&str> {
        self.sha256.pinned().map(String::as_str)
    }
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

    /// Parses manifest JSON; every pinned sha256 must be 64 lowercase hex
    /// digits.
    pub fn parse(json: &str) -> Result<Manifest> {
        let m: Manifest =
            serde_json::from_str(json).map_err(|e| Error::Model(format!("model manifest: {e}")))?;
        for e in &m.models {
            for f in &e.files {
                if let Some(h) = f.pinned_sha256() {
                    let hex = h.len() == 64
                        && h.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                    if !hex {
                        return Err(Error::Model(format!(
                            "model manifest: {}/{}: sha256 {h:?} is neither 64 lowercase hex \
                             digits nor \"{UNPINNED}\"",
                            e.name, f.path
                        )));
                    }
                }
            }
        }
        Ok(m)
    }

    /// Reads a manifest file (`crumb models fetch --manifest`, used by
    /// `make bundle` with a test mirror).
    pub fn load(path: &std::path::Path) -> Result<Manifest> {
        let json = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        Manifest::parse(&json)
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
    fn the_default_models_pin_their_onnx_graphs_and_the_rest_says_unpinned() {
        let m = Manifest::builtin().expect("manifest parses");
        let embed = m.entry(KnownModel::EmbedXsmallV1).expect("embed");
        let int8 = embed
            .files
            .iter()
            .find(|f| f.path == "onnx/model_quantized.onnx")
            .expect("int8");
        assert_eq!(int8.pinned_size(), Some(24_448_010));
        assert!(int8
            .pinned_sha256()
            .is_some_and(|h| h.starts_with("952f996d")));
        let rerank = m.entry(KnownModel::RerankXsmallV1).expect("rerank");
        let q = rerank
            .files
            .iter()
            .find(|f| f.path == "onnx/model_quantized.onnx")
            .expect("int8");
        assert_eq!(q.pinned_size(), Some(87_245_802));
        assert!(q.pinned_sha256().is_some_and(|h| h.ends_with("ab30")));
        let large = m.entry(KnownModel::RerankLargeV2).expect("large");
        assert!(large.files.iter().all(|f| f.pinned_sha256().is_none()));
    }

    #[test]
    fn a_file_without_a_sha256_or_with_a_malformed_one_is_rejected() {
        let file = |sha: &str| {
            format!(
                r#"{{"version":1,"base_url":"x","models":[{{"name":"m","role":"embedder",
                "repo":"a/m","revision":"main","license":"x","model_type":"bert",
                "files":[{{"path":"f","size":1{sha}}}]}}]}}"#
            )
        };
        assert!(Manifest::parse(&file("")).is_err(), "sha256 is required");
        assert!(Manifest::parse(&file(r#","sha256":"abc""#)).is_err());
        assert!(Manifest::parse(&file(r#","sha256":"unpinned""#)).is_ok());
        let full = format!(r#","sha256":"{}""#, "ab".repeat(32));
        assert!(Manifest::parse(&file(&full)).is_ok());
    }
}
