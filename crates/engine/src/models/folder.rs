//! A model folder on disk: `config.json`, `tokenizer.json` and the ONNX files.
//! Everything the runtime needs is read from what the folder declares.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// Which ONNX file of a folder to run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnnxVariant {
    /// On a CPU with fast int8 arithmetic (x86-64 with AVX2, VNNI or AMX;
    /// 64-bit ARM), the dynamic-int8 file (`onnx/model_quantized.onnx`,
    /// MatMulInteger) when the folder has one: 1.6× the passages/s of fp32 on
    /// the project's machine. Otherwise, and whenever an accelerator is asked
    /// for, the full-precision file; else any int8 file.
    #[default]
    Auto,
    /// `onnx/model.onnx` or `model.onnx`.
    Fp32,
    /// An int8 file: dynamic int8 (`onnx/model_quantized.onnx`) first, then
    /// other int8 exports (`onnx/model_int8.onnx`, …).
    Int8,
    /// A file name relative to the folder (or `onnx/`), e.g. `model_O4.onnx`.
    File(String),
}

const FP32_FILES: [&str; 2] = ["onnx/model.onnx", "model.onnx"];
const INT8_FILES: [&str; 6] = [
    "onnx/model_quantized.onnx",
    "onnx/model_qint8_avx512_vnni.onnx",
    "onnx/model_int8.onnx",
    "onnx/model_uint8.onnx",
    "model_quantized.onnx",
    "model_int8.onnx",
];
/// Dynamic-int8 exports (MatMulInteger): fast where the CPU has int8 dot products.
const DYNAMIC_INT8_FILES: [&str; 3] = [
    "onnx/model_quantized.onnx",
    "onnx/model_qint8_avx512_vnni.onnx",
    "model_quantized.onnx",
];

/// Whether this CPU runs ONNX Runtime's u8·s8 integer GEMM faster than fp32.
pub fn cpu_has_fast_int8() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// A model folder with its parsed `config.json`.
#[derive(Debug, Clone)]
pub struct ModelFolder {
    /// The folder.
    pub dir: PathBuf,
    /// `config.json`, as written by transformers.
    pub config: serde_json::Value,
}

impl ModelFolder {
    /// Opens a folder that holds `config.json` and `tokenizer.json`.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Input(format!(
                "model folder not found: {}",
                dir.display()
            )));
        }
        let config = read_json(&dir.join("config.json"))?;
        if !dir.join("tokenizer.json").is_file() {
            return Err(Error::Model(format!(
                "{} has no tokenizer.json",
                dir.display()
            )));
        }
        Ok(ModelFolder {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// `model_type` from `config.json` ("bert", "deberta-v2", "qwen2", …).
    pub fn model_type(&self) -> &str {
        self.config
            .get("model_type")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    }

    /// The longest input the model's position embeddings allow, capped at
    /// `cap` (long contexts cost quadratic time and rarely pay off for
    /// passages chunked to reranker size).
    pub fn max_length(&self, cap: usize) -> usize {
        let declared = self
            .config
            .get("max_position_embeddings")
            .and_then(|v| v.as_u64())
            .map(|v| v as usize)
            .unwrap_or(cap);
        declared.min(cap).max(8)
    }

    /// An integer field of `config.json`.
    pub fn config_u64(&self, key: &str) -> Option<u64> {
        self.config.get(key).and_then(|v| v.as_u64())
    }

    /// The padding token: `config.json`'s `pad_token_id`, else the
    /// `pad_token` of `tokenizer_config.json` (Qwen configs often lack the
    /// former), else 0. Padded positions are masked, so this only has to be a
    /// valid id.
    pub fn pad_id(&self, tokenizer: &Tokenizer) -> u32 {
        if let Some(id) = self.config_u64("pad_token_id") {
            return id as u32;
        }
        read_json(&self.dir.join("tokenizer_config.json"))
            .ok()
            .and_then(|c| {
                c.get("pad_token")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .and_then(|t| tokenizer.token_to_id(&t))
            .unwrap_or(0)
    }

    /// Loads `tokenizer.json` with its baked-in padding and truncation removed:
    /// Crumb pads and truncates itself, per model.
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        let path = self.dir.join("tokenizer.json");
        let mut tok = Tokenizer::from_file(&path)
            .map_err(|e| Error::Model(format!("{}: {e}", path.display())))?;
        tok.with_padding(None);
        tok.with_truncation(None)
            .map_err(|e| Error::Model(format!("{}: {e}", path.display())))?;
        Ok(tok)
    }

    /// The ONNX file to run for `variant`.
    /// `accelerated`: an accelerator (CUDA, CoreML, DirectML) will be tried,
    /// so `Auto` keeps full precision.
    pub fn onnx_file(&self, variant: &OnnxVariant, accelerated: bool) -> Result<PathBuf> {
        let first = |names: &[&str]| names.iter().map(|n| self.dir.join(n)).find(|p| p.is_file());
        let found = match variant {
            OnnxVariant::Fp32 => first(&FP32_FILES),
            OnnxVariant::Int8 => first(&INT8_FILES),
            OnnxVariant::File(name) => first(&[name.as_str(), &format!("onnx/{name}")]),
            OnnxVariant::Auto => {
                let dynamic = (cpu_has_fast_int8() && !accelerated)
                    .then(|| first(&DYNAMIC_INT8_FILES))
                    .flatten();
                dynamic
                    .or_else(|| first(&FP32_FILES))
                    .or_else(|| first(&INT8_FILES))
                    .or_else(|| self.any_onnx())
            }
        };
        found.ok_or_else(|| {
            Error::Model(format!(
                "{} has no {variant:?} ONNX file (looked for onnx/*.onnx and model.onnx)",
                self.dir.display()
            ))
        })
    }

    fn any_onnx(&self) -> Option<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("onnx"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
            .collect();
        files.sort();
        files.into_iter().next()
    }

    /// The id vectors and scores are keyed by: folder name and ONNX file stem,
    /// e.g. `mxbai-embed-xsmall-v1/model_int8`, so two variants never mix.
    pub fn model_id(&self, onnx: &Path) -> String {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let stem = onnx
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        format!("{name}/{stem}")
    }
}

/// Reads and parses a JSON file, naming it in errors.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Model(format!("{} is not valid JSON: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_length_comes_from_the_config_and_is_capped() {
        let f = ModelFolder {
            dir: PathBuf::from("/x/mxbai"),
            config: serde_json::json!({"max_position_embeddings": 4096, "model_type": "bert"}),
        };
        assert_eq!(f.max_length(512), 512);
        assert_eq!(f.max_length(8192), 4096);
        assert_eq!(f.model_type(), "bert");
        assert_eq!(
            f.model_id(Path::new("/x/mxbai/onnx/model_int8.onnx")),
            "mxbai/model_int8"
        );
    }
}
