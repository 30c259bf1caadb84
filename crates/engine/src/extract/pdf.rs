//! PDF through pdfium, loaded at run time (like ONNX Runtime) from the
//! `libpdfium.so` that `scripts/setup-pdfium.sh` unpacks from the `pypdfium2`
//! wheel. pdfium was chosen over the pure-Rust crates after measuring both on
//! the shared corpus against poppler (see docs/BENCHMARKS.md, "Formats").
//!
//! One block per page with `Location::page(n)`. Pages with annotations or form
//! fields are flattened first, so text that lives only in a widget's
//! appearance (filled forms, free-text notes) is found too, as poppler does.

use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use pdfium_render::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variable naming the pdfium library file or its folder.
pub const PDFIUM_ENV: &str = "CRUMB_PDFIUM";

/// Extractor for PDF.
pub struct PdfExtractor;

impl Extractor for PdfExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Pdf]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let pdfium = pdfium()?;
        let doc = pdfium
            .load_pdf_from_byte_slice(bytes, None)
            .map_err(load_error)?;
        let title = doc
            .metadata()
            .get(PdfDocumentMetadataTagType::Title)
            .map(|t| t.value().split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty());
        let pages = doc.pages();
        let count = pages.len();
        if count == 0 {
            return Err(ExtractError::corrupt("PDF", "no pages"));
        }
        let mut blocks = Vec::new();
        let mut total = 0usize;
        for index in 0..count {
            let mut page = match pages.get(index) {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!(target: "index::extract", "pdf page {index}: {e}");
                    continue;
                }
            };
            if !page.annotations().is_empty() {
                // Best effort: a page that cannot be flattened still has its own text.
                let _ = page.flatten();
            }
            let Ok(text) = page.text() else { continue };
            let text = text.all().replace("\r\n", "\n").replace('\r', "\n");
            if text.trim().is_empty() {
                continue;
            }
            total += text.len();
            blocks.push(Block {
                text,
                location: Location::page(index as u32 + 1),
            });
            if total > limits.max_text_chars {
                break;
            }
        }
        if blocks.is_empty() {
            return Err(ExtractError::NoText(format!(
                "PDF has no text layer on its {count} page(s) (scanned or image-only)"
            )));
        }
        Ok(ExtractedDoc { title, blocks })
    }
}

fn load_error(e: PdfiumError) -> ExtractError {
    match e {
        PdfiumError::PdfiumLibraryInternalError(
            PdfiumInternalError::PasswordError | PdfiumInternalError::SecurityError,
        ) => ExtractError::Encrypted("PDF".into()),
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            ExtractError::corrupt("PDF", "damaged or not a PDF")
        }
        other => ExtractError::corrupt("PDF", format!("{other:?}")),
    }
}

/// The process-wide pdfium binding, loaded on first use.
fn pdfium() -> Result<&'static Pdfium, ExtractError> {
    static PDFIUM: OnceLock<Result<Pdfium, String>> = OnceLock::new();
    PDFIUM
        .get_or_init(|| {
            let mut tried = Vec::new();
            for path in library_candidates() {
                if !path.is_file() {
                    continue;
                }
                match Pdfium::bind_to_library(&path) {
                    Ok(bindings) => {
                        tracing::info!(target: "index::extract", "pdfium loaded from {}", path.display());
                        return Ok(Pdfium::new(bindings));
                    }
                    Err(e) => tried.push(format!("{}: {e:?}", path.display())),
                }
            }
            match Pdfium::bind_to_system_library() {
                Ok(bindings) => Ok(Pdfium::new(bindings)),
                Err(_) => Err(format!(
                    "pdfium library not found (run scripts/setup-pdfium.sh or set {PDFIUM_ENV}){}",
                    if tried.is_empty() { String::new() } else { format!("; tried {}", tried.join(", ")) }
                )),
            }
        })
        .as_ref()
        .map_err(|e| ExtractError::Unsupported(e.clone()))
}

/// True when the pdfium library can be loaded in this process.
pub fn pdfium_available() -> bool {
    pdfium().is_ok()
}

/// Where pdfium is looked for, in order: `$CRUMB_PDFIUM` (file or folder),
/// beside the executable (bundled app), `.cache/pdfium` under the current
/// folder or any parent, and the source checkout this crate was built from.
pub fn library_candidates() -> Vec<PathBuf> {
    let name = Pdfium::pdfium_platform_library_name();
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os(PDFIUM_ENV).map(PathBuf::from) {
        if p.is_file() {
            return vec![p];
        }
        dirs.push(p);
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("pdfium"));
        dirs.push(exe_dir.clone());
        dirs.push(exe_dir.join("../lib/crumb"));
    }
    if let Ok(cwd) = std::env::current_dir() {
        dirs.extend(cwd.ancestors().map(|a| a.join(".cache/pdfium")));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/pdfium"));
    dirs.into_iter().map(|d| d.join(&name)).collect()
}
