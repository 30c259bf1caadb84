//! Optical character recognition on the `ort` runtime the other models use:
//! PaddleOCR's PP-OCRv4 mobile detector and orientation classifier and
//! PP-OCRv6 small recogniser (`scripts/setup-ocr.sh` puts them in
//! `.cache/models/ocr/`; ARCHITECTURE.md says why these), with the pre- and post-processing written here from
//! the models' published specification (PaddleOCR's `tools/infer` and
//! rapidocr's config for the same weights). `oar-ocr`, the maintained Rust
//! pipeline for these models, pins another `ort` release candidate and so
//! cannot share Crumb's runtime; see ARCHITECTURE.md.
//!
//! The pipeline, one module per step:
//! 1. [`detect`]: DB text detection → axis-aligned boxes ([`geometry`]);
//! 2. [`classify`]: turn an upside-down page's lines around;
//! 3. [`recognize`]: CRNN recognition at height 48, CTC greedy decoding;
//! 4. [`geometry::reading_order`]: lines top to bottom, words left to right.
//!
//! Extractors call [`page_text`], which consults the content-hash cache
//! ([`cache`]) first. What OCR may do for the current document (on or off,
//! where the cache is, how long it may take) is the [`OcrSettings`] the
//! sandbox hands to the worker with each request.

mod cache;
pub mod classify;
pub mod detect;
pub mod geometry;
pub mod recognize;

use crate::models::runtime::{open_session, SessionTuning};
use crate::models::ExecutionProvider;
use image::RgbImage;
use ort::session::Session;
use ort::value::Tensor;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use detect::DetectOptions;
pub use geometry::TextBox;
pub use recognize::{Charset, Recognised};

/// Environment variable naming the folder with `det.onnx`, `rec.onnx`,
/// `cls.onnx` and `keys.txt`.
pub const OCR_MODELS_ENV: &str = "CRUMB_OCR_MODELS";
/// The label on locations of recognised text, so a hit says where its text
/// came from ("recognised text, page 3").
pub const RECOGNISED_LABEL: &str = "recognised text";
/// Lines the recogniser is less sure of than this are dropped (rapidocr's
/// `text_score`): they are mostly specks and rules read as punctuation.
const MIN_LINE_SCORE: f32 = 0.5;

/// Why text recognition failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OcrError {
    /// The model files are not installed.
    #[error("text recognition models not found ({0}); run `make setup` (scripts/setup-ocr.sh) or set {OCR_MODELS_ENV}")]
    ModelsMissing(String),
    /// ONNX Runtime failed to load or run a model.
    #[error("text recognition model: {0}")]
    Model(String),
}

/// What OCR may do while one document is extracted. Travels with each
/// worker request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OcrSettings {
    /// Recognise text in images and in PDF pages without a text layer.
    pub enabled: bool,
    /// Where recognised text is cached by page content hash.
    pub cache_dir: Option<PathBuf>,
    /// Milliseconds one document may spend in OCR (0: no bound); pages past
    /// it are left unread, so a 10,000-page scan ends within the worker's
    /// time limit with its first pages searchable.
    pub budget_ms: u64,
    /// The first indexing stage: pages that need recognising are not read
    /// but listed in [`crate::extract::ExtractedDoc::pending_ocr`], for the
    /// second, lower-priority stage (`Engine::recognise_pending`).
    pub defer: bool,
    /// The second stage: recognise only these pages (1-based; an image file
    /// is page 1) and return only their text.
    pub pages: Option<Vec<u32>>,
}

impl Default for OcrSettings {
    fn default() -> Self {
        OcrSettings {
            enabled: true,
            cache_dir: None,
            budget_ms: 0,
            defer: false,
            pages: None,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<(OcrSettings, Option<Instant>)> =
        RefCell::new((OcrSettings::default(), None));
}

/// Runs `f` (one document's extraction) under `settings`; the OCR time
/// budget starts now.
pub fn with_settings<R>(settings: &OcrSettings, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace((settings.clone(), Some(Instant::now()))));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// The settings of the document being extracted on this thread.
pub fn settings() -> OcrSettings {
    CURRENT.with(|c| c.borrow().0.clone())
}

/// Runs `f` with deferral and page selection turned off, keeping the rest
/// of the document's settings and its budget: a document nested in another
/// (a message's attached scan) has no pages of its own in the catalog to
/// leave pending, so it is recognised in line, as before the second stage.
pub fn in_line<R>(f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        let previous = (c.0.defer, c.0.pages.take());
        c.0.defer = false;
        previous
    });
    let out = f();
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        c.0.defer = previous.0;
        c.0.pages = previous.1;
    });
    out
}

/// Whether page `page` (1-based) is to be recognised now: OCR is on, the
/// first stage is not deferring it, and the second stage asked for it.
pub fn wanted_now(settings: &OcrSettings, page: u32) -> bool {
    settings.enabled && !settings.defer && settings.pages.as_ref().is_none_or(|p| p.contains(&page))
}

/// False once this document's OCR budget is spent.
pub fn budget_left() -> bool {
    CURRENT.with(|c| {
        let c = c.borrow();
        match (c.0.budget_ms, c.1) {
            (0, _) | (_, None) => true,
            (ms, Some(start)) => start.elapsed() < Duration::from_millis(ms),
        }
    })
}

/// The PP-OCR models, loaded once: one session each behind a mutex
/// (`Session::run` needs `&mut`).
pub struct Ocr {
    det: Mutex<Session>,
    rec: Mutex<Session>,
    cls: Option<Mutex<Session>>,
    charset: Charset,
    detect: DetectOptions,
}

impl Ocr {
    /// Opens the models in `dir` on the CPU with `threads` intra-op threads.
    /// `cls.onnx` is optional; `det.onnx`, `rec.onnx` and `keys.txt` are not.
    pub fn open(dir: &Path, threads: usize) -> Result<Ocr, OcrError> {
        let missing: Vec<&str> = ["det.onnx", "rec.onnx", "keys.txt"]
            .into_iter()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            return Err(OcrError::ModelsMissing(format!(
                "{} lacks {}",
                dir.display(),
                missing.join(", ")
            )));
        }
        let tuning = SessionTuning {
            sessions: 1,
            intra_threads: threads.max(1),
            ..SessionTuning::default()
        };
        let open = |name: &str| {
            open_session(&dir.join(name), &[ExecutionProvider::Cpu], &tuning)
                .map(|(s, _)| Mutex::new(s))
                .map_err(|e| OcrError::Model(e.to_string()))
        };
        let keys = std::fs::read_to_string(dir.join("keys.txt")).map_err(|e| {
            OcrError::ModelsMissing(format!("{}: {e}", dir.join("keys.txt").display()))
        })?;
        Ok(Ocr {
            det: open("det.onnx")?,
            rec: open("rec.onnx")?,
            cls: if dir.join("cls.onnx").is_file() {
                Some(open("cls.onnx")?)
            } else {
                None
            },
            charset: Charset::from_keys(&keys),
            detect: DetectOptions::default(),
        })
    }

    /// Sets the detector's options.
    pub fn with_detect_options(mut self, options: DetectOptions) -> Self {
        self.detect = options;
        self
    }

    /// The text of `image`: one line per text line, in reading order.
    pub fn read(&self, image: &RgbImage) -> Result<String, OcrError> {
        let boxes = {
            let mut det = lock(&self.det)?;
            detect::detect(&mut det, image, &self.detect)?
        };
        let lines = geometry::reading_order(boxes);
        let flat: Vec<TextBox> = lines.iter().flatten().copied().collect();
        let mut crops: Vec<RgbImage> = flat.iter().map(|b| crop(image, b)).collect();
        if let Some(cls) = &self.cls {
            // The page is turned, not single lines: a document scanned upside
            // down has most of its lines upside down, while the classifier,
            // which sees a long line squeezed into 192 pixels, also calls
            // some upright lines "180" with confidence; turning those alone
            // lost one line in three of some pages (docs/BENCHMARKS.md, "OCR").
            let flips = classify::upside_down(&mut *lock(cls)?, &crops)?;
            if flips.iter().filter(|&&f| f).count() * 2 > crops.len() {
                for crop in crops.iter_mut() {
                    image::imageops::rotate180_in_place(crop);
                }
            }
        }
        let texts = {
            let mut rec = lock(&self.rec)?;
            recognize::recognise(&mut rec, &self.charset, &crops)?
        };
        let mut out = String::new();
        let mut at = 0;
        for line in &lines {
            let words: Vec<&str> = texts[at..at + line.len()]
                .iter()
                .filter(|r| r.score >= MIN_LINE_SCORE)
                .map(|r| r.text.trim())
                .filter(|t| worth_keeping(t))
                .collect();
            at += line.len();
            if !words.is_empty() {
                out.push_str(&words.join(" "));
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// A box read as a single character is dropped: on the corpus's image-only
/// PDFs these were shapes (a square, a bullet, a stroke) that the Chinese and
/// Latin recogniser matched to a glyph such as 口 or ■ (docs/BENCHMARKS.md,
/// "OCR"), and one character is no use to a search.
fn worth_keeping(text: &str) -> bool {
    text.chars().filter(|c| !c.is_whitespace()).nth(1).is_some()
}

fn lock(m: &Mutex<Session>) -> Result<std::sync::MutexGuard<'_, Session>, OcrError> {
    m.lock()
        .map_err(|_| OcrError::Model("an OCR session panicked earlier".into()))
}

/// The box's pixels; a tall narrow box (vertical text) is turned to read
/// left to right, as PaddleOCR turns crops 1.5× taller than wide.
fn crop(image: &RgbImage, b: &TextBox) -> RgbImage {
    let x = b.x0.floor().max(0.0) as u32;
    let y = b.y0.floor().max(0.0) as u32;
    let w = (b.x1.ceil() as u32)
        .min(image.width())
        .saturating_sub(x)
        .max(1);
    let h = (b.y1.ceil() as u32)
        .min(image.height())
        .saturating_sub(y)
        .max(1);
    let c = image::imageops::crop_imm(image, x, y, w, h).to_image();
    if h as f32 >= 1.5 * w as f32 {
        image::imageops::rotate270(&c)
    } else {
        c
    }
}

/// Runs a one-input model on a float tensor of `shape` and copies out its
/// first output.
pub(crate) fn run_model(
    session: &mut Session,
    shape: [usize; 4],
    data: Vec<f32>,
) -> Result<(Vec<usize>, Vec<f32>), OcrError> {
    let err = |e: ort::Error| OcrError::Model(e.to_string());
    let input = session
        .inputs()
        .first()
        .map(|i| i.name().to_string())
        .unwrap_or_else(|| "x".to_string());
    let tensor = Tensor::from_array((shape, data)).map_err(err)?;
    let outputs = session.run(vec![(input, tensor.into_dyn())]).map_err(err)?;
    let value = outputs
        .values()
        .next()
        .ok_or_else(|| OcrError::Model("model produced no output".into()))?;
    let (dims, data) = value.try_extract_tensor::<f32>().map_err(err)?;
    Ok((
        dims.iter().map(|&d| d.max(0) as usize).collect(),
        data.to_vec(),
    ))
}

/// Where the OCR models are looked for, in order (see [`crate::resources`]):
/// `models/ocr` in the resource dir, then in the data dir, then
/// `$CRUMB_OCR_MODELS`. Never the working directory or its ancestors.
pub fn model_dir_candidates() -> Vec<PathBuf> {
    crate::resources::candidates(
        Path::new("models/ocr"),
        &crate::default_data_dir(),
        crate::resources::env_path(OCR_MODELS_ENV),
    )
}

/// The first candidate folder holding the models.
pub fn find_models() -> Result<PathBuf, OcrError> {
    let candidates = model_dir_candidates();
    candidates
        .iter()
        .find(|d| d.join("det.onnx").is_file() && d.join("rec.onnx").is_file())
        .cloned()
        .ok_or_else(|| {
            OcrError::ModelsMissing(format!(
                "looked in {}",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Intra-op threads for OCR sessions: `$CRUMB_OCR_THREADS`, else the
/// physical cores (an extraction worker does one document at a time).
fn threads() -> usize {
    std::env::var("CRUMB_OCR_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(crate::models::runtime::physical_cores)
}

/// The process's OCR models, loaded on first use; later calls get the first
/// outcome (a worker that lacks the models says so for every document).
pub fn shared() -> Result<&'static Ocr, OcrError> {
    static OCR: OnceLock<Result<Ocr, OcrError>> = OnceLock::new();
    OCR.get_or_init(|| {
        crate::models::runtime::init_runtime(None).map_err(|e| OcrError::Model(e.to_string()))?;
        let dir = find_models()?;
        tracing::info!(target: "index::ocr", dir = %dir.display(), "loading OCR models");
        Ocr::open(&dir, threads())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The recognised text of one page image, through the cache: `key` is what
/// identifies the page's pixels (an image file's bytes, a rendered page's
/// pixels), so the same page is recognised once however often it is indexed
/// or wherever it moves.
pub fn page_text(
    key: &[u8],
    image: impl FnOnce() -> Option<RgbImage>,
) -> Result<Option<String>, OcrError> {
    let settings = settings();
    let hash = cache::key(key);
    if let Some(text) = settings
        .cache_dir
        .as_deref()
        .and_then(|d| cache::get(d, &hash))
    {
        return Ok(Some(text));
    }
    let ocr = shared()?;
    let Some(image) = image() else {
        return Ok(None);
    };
    let text = ocr.read(&image)?;
    if let Some(dir) = settings.cache_dir.as_deref() {
        cache::put(dir, &hash, &text);
    }
    Ok(Some(text))
}

/// The cached text of a page, if it was recognised before: cheap (a hash
/// and a file read), so the first stage fills in what it can at once.
pub fn cached_page_text(key: &[u8]) -> Option<String> {
    let settings = settings();
    let dir = settings.cache_dir.as_deref()?;
    cache::get(dir, &cache::key(key))
}

#[cfg(test)]
mod tests {
    use crate::models::manifest::MANIFEST_JSON;

    /// The manifest (what users' machines are told to expect) and the set-up
    /// script (what `make setup` checks) pin the same files.
    #[test]
    fn boxes_read_as_one_character_are_dropped() {
        assert!(!super::worth_keeping("口"));
        assert!(!super::worth_keeping(" ■ "));
        assert!(super::worth_keeping("Mask"));
        assert!(super::worth_keeping("42"));
    }

    #[test]
    fn the_manifest_and_setup_script_pin_the_same_ocr_models() {
        let script = include_str!("../../../../scripts/setup-ocr.sh");
        let manifest: serde_json::Value = serde_json::from_str(MANIFEST_JSON).expect("manifest");
        let ocr = &manifest["ocr_models"];
        assert_eq!(ocr["license"], "apache-2.0");
        for wheel in ocr["wheels"].as_array().expect("wheels") {
            let line = format!(
                "{} {} {}",
                wheel["package"].as_str().expect("package"),
                wheel["version"].as_str().expect("version"),
                wheel["sha256"].as_str().expect("wheel sha256")
            );
            assert!(
                script.contains(&line),
                "setup-ocr.sh lacks the wheel {line}"
            );
        }
        let files = ocr["files"].as_array().expect("files");
        for f in files
            .iter()
            .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with(".onnx")))
        {
            let sha = f["sha256"].as_str().expect("sha256");
            assert_eq!(sha.len(), 64);
            let line = format!(
                "{} {} {} {sha}",
                f["path"].as_str().unwrap_or(""),
                f["wheel"].as_str().unwrap_or(""),
                f["wheel_member"].as_str().unwrap_or("")
            );
            assert!(script.contains(&line), "setup-ocr.sh lacks {line}");
        }
    }
}
