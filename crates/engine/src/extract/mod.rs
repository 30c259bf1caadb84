//! Text extraction: one module per format behind the [`Extractor`] trait.
//!
//! An extractor turns a file's bytes into [`ExtractedDoc`]: a title and text
//! blocks in reading order, each with where it sits (page, line, slide…), so a
//! hit can point into the document. Extractors work on bytes, not paths, so
//! they can run in a worker process and under a fuzzer.
//!
//! The indexer does not call them directly but through [`Sandbox`]: a pool of
//! worker processes (any binary whose `main` hands [`worker::WORKER_ARG`] to
//! [`worker::serve`]), each file under a time and a memory limit, so a hostile
//! file fails with a reason instead of crashing or stalling indexing:
//!
//! ```no_run
//! use crumb_engine::extract::{worker, Limits, Sandbox, Source};
//! use crumb_engine::FileKind;
//! // In main(), before anything else:
//! if std::env::args().nth(1).as_deref() == Some(worker::WORKER_ARG) {
//!     std::process::exit(if worker::serve().is_ok() { 0 } else { 1 });
//! }
//! let sandbox = Sandbox::current_exe(); // or Sandbox::new(program, args)
//! let path = std::path::Path::new("report.pdf");
//! match sandbox.extract(Source::Path(path), FileKind::Pdf, "report.pdf", &Limits::default()) {
//!     Ok(doc) => println!("{} blocks", doc.blocks.len()),
//!     Err(reason) => println!("not indexed: {reason}"),
//! }
//! ```

mod archive;
mod doc;
mod docx;
mod email;
mod epub;
mod garbled;
mod html;
mod image;
mod legacy;
mod msg;
mod odf;
pub mod pdf;
mod ppt;
mod pptx;
mod rtf;
mod sandbox;
mod sheet;
mod text;
mod word95;
pub mod worker;
mod xml;

use crate::kind::FileKind;
use serde::{Deserialize, Serialize};

pub use docx::DocxExtractor;
pub use email::EmailExtractor;
pub use epub::EpubExtractor;
pub use html::HtmlExtractor;
pub use image::{decode_image, ImageExtractor};
pub use legacy::LegacyOfficeExtractor;
pub use odf::OdfExtractor;
pub use pdf::PdfExtractor;
pub use pptx::PptxExtractor;
pub use rtf::RtfExtractor;
pub use sandbox::{Sandbox, SandboxOptions, Source};
pub use sheet::SheetExtractor;
pub use text::{decode_text, PlainTextExtractor};

/// Where a block of text sits inside its document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based page (PDF) or slide (presentations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// 1-based line of the block's first character, for line-oriented text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// A human label for other structures: "Sheet Budget", "Chapter 3", "Attachment a.pdf".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Location {
    /// A location on a page.
    pub fn page(page: u32) -> Self {
        Location {
            page: Some(page),
            ..Default::default()
        }
    }
    /// A location at a line.
    pub fn line(line: u32) -> Self {
        Location {
            line: Some(line),
            ..Default::default()
        }
    }
    /// A slide of a presentation, shown as "Slide N" (not as a page).
    pub fn slide(n: u32) -> Self {
        Location::label(format!("Slide {n}"))
    }
    /// A labelled location.
    pub fn label(label: impl Into<String>) -> Self {
        Location {
            label: Some(label.into()),
            ..Default::default()
        }
    }
    /// The same location, read by lines from `line`: "Message, line 12".
    pub fn with_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }
    /// Short display form: "page 3", "line 12", "Sheet Budget".
    pub fn display(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = &self.label {
            parts.push(l.clone());
        }
        if let Some(p) = self.page {
            parts.push(format!("page {p}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        parts.join(", ")
    }
}

/// One run of text with a single location. `line` in the location is the line
/// of the block's first character; the chunker derives later lines itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The text.
    pub text: String,
    /// Where it starts.
    pub location: Location,
}

/// The text of one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedDoc {
    /// Document title if the format declares one (HTML `<title>`, PDF info, first heading).
    pub title: Option<String>,
    /// Text blocks in reading order.
    pub blocks: Vec<Block>,
    /// Pages (1-based; an image file is page 1) whose text must be
    /// recognised and was left for the second indexing stage (see
    /// [`crate::ocr::OcrSettings::defer`]), or that the second stage asked
    /// for and could not read within the time budget.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_ocr: Vec<u32>,
}

impl ExtractedDoc {
    /// Total characters of text.
    pub fn text_len(&self) -> usize {
        self.blocks.iter().map(|b| b.text.len()).sum()
    }
    /// True when no block holds anything but whitespace.
    pub fn is_empty(&self) -> bool {
        self.blocks.iter().all(|b| b.text.trim().is_empty())
    }
}

/// Limits an extractor must respect so no file can bloat memory or hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most bytes a decompressor may produce for one document (zip bombs).
    pub max_decompressed_bytes: u64,
    /// Most characters of text kept per document; the rest is dropped with a warning.
    pub max_text_chars: usize,
    /// Deepest element nesting followed in XML/HTML.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 256 << 20,
            max_text_chars: 16 << 20,
            max_depth: 256,
        }
    }
}

/// Why a document yielded no text. The message is shown to users as the reason.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtractError {
    /// The file is damaged or not what its name says.
    #[error("corrupt or unreadable {kind}: {detail}")]
    Corrupt {
        /// Format name.
        kind: String,
        /// What the parser said.
        detail: String,
    },
    /// The file is password-protected.
    #[error("encrypted {0} (password-protected)")]
    Encrypted(String),
    /// Crumb has no extractor for this format.
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The document has no text layer (for example a scanned PDF).
    #[error("no text layer: {0}")]
    NoText(String),
    /// A resource limit was hit (decompression bomb, nesting, time, memory).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Reading the file failed.
    #[error("cannot read file: {0}")]
    Io(String),
}

impl ExtractError {
    /// Shorthand for [`ExtractError::Corrupt`].
    pub fn corrupt(kind: &str, detail: impl std::fmt::Display) -> Self {
        ExtractError::Corrupt {
            kind: kind.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// Turns bytes of one format into text. One implementation per format module.
pub trait Extractor: Send + Sync {
    /// The kinds this extractor handles.
    fn kinds(&self) -> &'static [FileKind];
    /// Extracts text. `name` is the file name, for formats that sniff it.
    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError>;
}

/// The set of extractors, looked up by kind.
pub struct Extractors {
    all: Vec<Box<dyn Extractor>>,
}

impl Default for Extractors {
    fn default() -> Self {
        Extractors {
            all: vec![
                Box::new(PlainTextExtractor),
                Box::new(HtmlExtractor),
                Box::new(PdfExtractor),
                Box::new(DocxExtractor),
                Box::new(PptxExtractor),
                Box::new(SheetExtractor),
                Box::new(OdfExtractor),
                Box::new(EpubExtractor),
                Box::new(RtfExtractor),
                Box::new(EmailExtractor),
                Box::new(LegacyOfficeExtractor),
                Box::new(ImageExtractor),
            ],
        }
    }
}

impl Extractors {
    /// The extractor for `kind`, if any.
    pub fn for_kind(&self, kind: FileKind) -> Option<&dyn Extractor> {
        self.all
            .iter()
            .find(|e| e.kinds().contains(&kind))
            .map(|e| e.as_ref())
    }

    /// Extracts `bytes` of `kind`, turning a panic inside a parser into an error
    /// so one bad file never takes the indexer down.
    pub fn extract(
        &self,
        kind: FileKind,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let Some(ex) = self.for_kind(kind) else {
            return Err(ExtractError::Unsupported(kind.as_str().to_string()));
        };
        if bytes.is_empty() {
            return Err(ExtractError::NoText("empty file".into()));
        }
        let inflated = gunzipped(kind, bytes, limits)?;
        let bytes = inflated.as_deref().unwrap_or(bytes);
        let mut doc = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ex.extract(bytes, name, limits)
        }))
        .map_err(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "parser panicked".into());
            ExtractError::corrupt(kind.as_str(), format!("parser crashed: {msg}"))
        })??;
        truncate_to_limit(&mut doc, limits.max_text_chars);
        // A scan whose pages wait for the second stage has no text yet, but
        // is a document: it is findable by name now and by its words later.
        if doc.is_empty() && doc.pending_ocr.is_empty() {
            return Err(ExtractError::NoText(format!("no text in this {kind} file")));
        }
        Ok(doc)
    }
}

/// Whether `bytes` are gzip data (its two magic bytes).
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// What a gzip-compressed document holds, for one stored compressed under
/// its own name (Debian ships manuals so: `policy.pdf` is gzip data, and
/// Recoll reads it). None when `bytes` are not gzip data. Decompression
/// stops at [`Limits::max_decompressed_bytes`], so a gzip bomb is a limit,
/// never an exhausted worker.
fn gunzipped(
    kind: FileKind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    use std::io::Read;
    if !is_gzip(bytes) {
        return Ok(None);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limits.max_decompressed_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| ExtractError::corrupt(kind.as_str(), format!("damaged gzip data: {e}")))?;
    if out.len() as u64 > limits.max_decompressed_bytes {
        return Err(ExtractError::Limit(format!(
            "gzip data decompresses past {} MiB",
            limits.max_decompressed_bytes >> 20
        )));
    }
    Ok(Some(out))
}

fn truncate_to_limit(doc: &mut ExtractedDoc, max_chars: usize) {
    let mut budget = max_chars;
    doc.blocks.retain_mut(|b| {
        if budget == 0 {
            return false;
        }
        if b.text.len() > budget {
            let mut cut = budget;
            while !b.text.is_char_boundary(cut) {
                cut -= 1;
            }
            b.text.truncate(cut);
        }
        budget -= b.text.len();
        true
    });
}
