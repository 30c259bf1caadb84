//! PDF through pdfium, loaded at run time (like ONNX Runtime) from the
//! `libpdfium.so` that `scripts/setup-pdfium.sh` unpacks from the `pypdfium2`
//! wheel. pdfium was chosen over the pure-Rust crates after measuring both on
//! the shared corpus against poppler (see docs/BENCHMARKS.md, "Formats").
//!
//! One block per page with `Location::page(n)`. Pages with annotations or form
//! fields are flattened first, so text that lives only in a widget's
//! appearance (filled forms, free-text notes) is found too, as poppler does.
//!
//! A page with no text layer at all (a scan), or one whose text layer is
//! garbage because its fonts lack a Unicode map ([`super::garbled`]), is
//! rendered at [`OCR_DPI`] and its text recognised (see [`crate::ocr`]); its
//! block is labelled "recognised text". Pages with good text are never
//! recognised. In the first indexing stage ([`ocr::OcrSettings::defer`])
//! such pages are only listed in [`ExtractedDoc::pending_ocr`]; the second
//! stage asks for them by number ([`ocr::OcrSettings::pages`]).

use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use crate::ocr::{self, OcrError};
use pdfium_render::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Set in a worker retrying a file whose first attempt crashed pdfium: skip
/// flattening, the one step that has been seen to crash it (found by fuzzing).
static CAREFUL: AtomicBool = AtomicBool::new(false);

/// Turns the crash-avoiding mode on or off for this process.
pub(crate) fn set_careful(on: bool) {
    CAREFUL.store(on, Ordering::Relaxed);
}

/// Resolution pages without a text layer are rendered at for OCR, chosen
/// by measurement (docs/BENCHMARKS.md, "OCR").
pub const OCR_DPI: f32 = 200.0;
/// Most pages of one document left for the second stage: at about a second
/// a page on two cores, a 10,000-page scan would hold the recognition queue
/// for hours; its first pages are read and the rest are left unread, with a
/// warning, as the in-line time budget did before.
pub const MAX_OCR_PAGES: usize = 1000;
/// Longest side of a rendered page, in pixels (a poster-sized page is
/// rendered smaller rather than allocating hundreds of megabytes).
const MAX_RENDER_SIDE: i32 = 5000;

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
        let mut flat: Option<RawDoc> = None;
        let settings = ocr::settings();
        let ocr_on = settings.enabled;
        let mut ocr_failed: Option<OcrError> = None;
        let mut ocr_skipped = 0usize;
        let mut pending = Vec::new();
        for index in 0..count {
            let number = index as u32 + 1;
            if settings
                .pages
                .as_ref()
                .is_some_and(|p| !p.contains(&number))
            {
                continue;
            }
            let page = match pages.get(index) {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!(target: "index::extract", "pdf page {index}: {e}");
                    continue;
                }
            };
            let mut text = match page.text() {
                Ok(t) => t.all(),
                Err(_) => String::new(),
            };
            if !page.annotations().is_empty() && !CAREFUL.load(Ordering::Relaxed) {
                // Form fields and free-text notes only show in their appearance
                // streams: read the page flattened, as a viewer displays it.
                let raw = flat.get_or_insert_with(|| RawDoc::open(pdfium, bytes));
                if let Some(t) = raw.flattened_text(index) {
                    if !t.trim().is_empty() {
                        text = t;
                    }
                }
                if text.trim().is_empty() {
                    text = annotation_text(&page);
                }
            }
            let mut location = Location::page(number);
            let garbled = super::garbled::is_garbled(&text);
            let needs_ocr = text.trim().is_empty() || garbled;
            if needs_ocr && ocr_on && settings.defer {
                // Left for the second stage, garbled layer and all: it is
                // kept then if nothing can be read over it.
                if pending.len() < MAX_OCR_PAGES {
                    pending.push(number);
                } else {
                    ocr_skipped += 1;
                }
                continue;
            }
            if !needs_ocr && settings.pages.is_some() {
                continue; // the second stage wants recognised pages only
            }
            if needs_ocr && ocr::wanted_now(&settings, number) {
                if ocr_failed.is_some() || !ocr::budget_left() {
                    ocr_skipped += 1;
                    if settings.pages.is_some() && ocr_failed.is_none() {
                        pending.push(number); // out of time: the next request reads it
                    }
                } else {
                    match recognise_page(&page) {
                        // A garbled layer nothing could be read over stays:
                        // its digits and punctuation may still be right.
                        Ok(t) if garbled && t.trim().is_empty() => {}
                        Ok(t) => {
                            text = t;
                            location.label = Some(ocr::RECOGNISED_LABEL.to_string());
                        }
                        Err(e) => {
                            tracing::warn!(target: "index::ocr", "pdf page {number}: {e}");
                            ocr_failed = Some(e);
                        }
                    }
                }
            }
            let text = text.replace("\r\n", "\n").replace('\r', "\n");
            if text.trim().is_empty() {
                continue;
            }
            total += text.len();
            blocks.push(Block { text, location });
            if total > limits.max_text_chars {
                break;
            }
        }
        if ocr_skipped > 0 {
            tracing::warn!(target: "index::ocr", "{ocr_skipped} scanned page(s) left unrecognised: the OCR time budget is spent, or more than {MAX_OCR_PAGES} pages need it");
        }
        if blocks.is_empty() && pending.is_empty() {
            let why = match (&ocr_failed, ocr_on) {
                (Some(e), _) => format!("; {e}"),
                (None, false) => "; text recognition is turned off".to_string(),
                (None, true) if ocr_skipped > 0 => "; text recognition ran out of time".to_string(),
                (None, true) => "; no text recognised".to_string(),
            };
            return Err(ExtractError::NoText(format!(
                "PDF has no text layer on its {count} page(s) (scanned or image-only){why}"
            )));
        }
        Ok(ExtractedDoc {
            title,
            blocks,
            pending_ocr: pending,
        })
    }
}

/// Renders `page` at [`OCR_DPI`] and recognises its text, through the cache
/// keyed by the rendered pixels.
fn recognise_page(page: &PdfPage<'_>) -> Result<String, OcrError> {
    let config = PdfRenderConfig::new()
        .scale_page_by_factor(OCR_DPI / 72.0)
        .set_maximum_width(MAX_RENDER_SIDE)
        .set_maximum_height(MAX_RENDER_SIDE)
        .render_form_data(true);
    let bitmap = page
        .render_with_config(&config)
        .map_err(|e| OcrError::Model(format!("cannot render the page: {e:?}")))?;
    let (w, h) = (bitmap.width().max(0) as u32, bitmap.height().max(0) as u32);
    let rgba = bitmap.as_rgba_bytes();
    let text = ocr::page_text(&rgba, || {
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        image::RgbImage::from_raw(w, h, rgb)
    })?;
    Ok(text.unwrap_or_default())
}

/// Text drawn by a page's annotations (their appearance streams), or else
/// their field values and comments: the fallback when flattening left the
/// page without text, as it does for some widgets pdfium cannot flatten.
fn annotation_text(page: &PdfPage<'_>) -> String {
    let mut out = String::new();
    for annot in page.annotations().iter() {
        let before = out.len();
        for obj in annot.objects().iter() {
            if let Some(t) = obj.as_text_object() {
                out.push_str(t.text().trim());
                out.push('\n');
            }
        }
        if out[before..].trim().is_empty() {
            let value = annot
                .as_form_field()
                .and_then(|f| f.as_text_field())
                .and_then(|t| t.value())
                .or_else(|| annot.contents());
            if let Some(v) = value {
                out.push_str(v.trim());
                out.push('\n');
            }
        }
    }
    out
}

/// A second, raw pdfium handle on the same bytes, for flattening. pdfium-render's
/// `PdfPage::flatten` regenerates the page content from the stale page object
/// afterwards, which throws the flattened annotations away again; pdfium's own
/// recipe is flatten, close, reload.
struct RawDoc {
    bindings: &'static dyn PdfiumLibraryBindings,
    doc: FPDF_DOCUMENT,
}

impl RawDoc {
    fn open(pdfium: &'static Pdfium, bytes: &[u8]) -> RawDoc {
        let bindings = pdfium.bindings();
        // SAFETY: pdfium copies nothing and reads `bytes` for the document's
        // lifetime; `RawDoc` lives inside `extract`, while `bytes` is borrowed.
        let doc = unsafe { bindings.FPDF_LoadMemDocument64(bytes, None) };
        RawDoc { bindings, doc }
    }

    /// The text of page `index` after flattening its annotations for display.
    fn flattened_text(&self, index: i32) -> Option<String> {
        if self.doc.is_null() {
            return None;
        }
        let b = self.bindings;
        // SAFETY: handles are checked for null and closed in reverse order of
        // opening; the text buffer is sized from pdfium's own count (+1 NUL).
        unsafe {
            let page = b.FPDF_LoadPage(self.doc, index);
            if page.is_null() {
                return None;
            }
            b.FPDFPage_Flatten(page, 0 /* FLAT_NORMALDISPLAY */);
            b.FPDF_ClosePage(page);
            let page = b.FPDF_LoadPage(self.doc, index);
            if page.is_null() {
                return None;
            }
            let text_page = b.FPDFText_LoadPage(page);
            let mut out = None;
            if !text_page.is_null() {
                let n = b.FPDFText_CountChars(text_page);
                if n > 0 {
                    let mut buf = vec![0u16; n as usize + 1];
                    let written = b.FPDFText_GetText(text_page, 0, n, buf.as_mut_ptr());
                    let len = (written.max(1) as usize - 1).min(n as usize);
                    out = Some(String::from_utf16_lossy(&buf[..len]));
                }
                b.FPDFText_ClosePage(text_page);
            }
            b.FPDF_ClosePage(page);
            out
        }
    }
}

impl Drop for RawDoc {
    fn drop(&mut self) {
        if !self.doc.is_null() {
            // SAFETY: the handle came from FPDF_LoadMemDocument64 and is closed once.
            unsafe { self.bindings.FPDF_CloseDocument(self.doc) };
        }
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
            Err(format!(
                "pdfium library not found (run scripts/setup-pdfium.sh and set {PDFIUM_ENV}, or \
                 put it in the data dir's pdfium/){}",
                if tried.is_empty() {
                    format!(
                        "; looked in {}",
                        library_candidates()
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    format!("; tried {}", tried.join(", "))
                }
            ))
        })
        .as_ref()
        .map_err(|e| ExtractError::Unsupported(e.clone()))
}

/// True when the pdfium library can be loaded in this process.
pub fn pdfium_available() -> bool {
    pdfium().is_ok()
}

/// Where pdfium is looked for, in order (see [`crate::resources`]):
/// `pdfium/` in the resource dir, then in the data dir, then `$CRUMB_PDFIUM`
/// (the library file or its folder). Never the working directory or its
/// ancestors, nor the system's library path.
pub fn library_candidates() -> Vec<PathBuf> {
    let name = Pdfium::pdfium_platform_library_name();
    let env =
        crate::resources::env_path(PDFIUM_ENV).map(|p| if p.is_dir() { p.join(&name) } else { p });
    crate::resources::candidates(
        &Path::new("pdfium").join(&name),
        &crate::default_data_dir(),
        env,
    )
}
