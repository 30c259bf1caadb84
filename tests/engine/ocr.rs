//! Text recognition (OCR) end to end: a sentence rendered into a PNG and into
//! an image-only PDF is found by a word of it, at its page, through the real
//! PP-OCRv4 models in real worker processes; hostile images fail with a
//! reason without stalling indexing.

use crate::common::*;
use crate::extract_support::{require_pdfium, sandbox};
use crate::support::prerequisite_missing;
use crumb_engine::extract::{ExtractError, Limits, Source};
use crumb_engine::progress::{CancelFlag, NoProgress};
use crumb_engine::{Engine, EngineOptions, FileKind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const SENTENCE: &str = "The lighthouse keeper ordered fresh marmalade";
const OTHER: &str = "Quarterly invoices arrive before Thursday";

/// True when the OCR models (and ONNX Runtime) are installed; otherwise the
/// test fails saying how to install them.
pub(crate) fn have_ocr_models() -> bool {
    let mut missing = Vec::new();
    if let Err(e) = crumb_engine::ocr::find_models() {
        missing.push(e.to_string());
    }
    if let Err(e) = crumb_engine::models::find_ort_library(None) {
        missing.push(e.to_string());
    }
    missing.is_empty() || prerequisite_missing(&missing.join("; "))
}

/// `text` drawn black on white by ImageMagick (installed by `make setup`),
/// as `format` ("png", or "gray" for raw 8-bit pixels).
pub(crate) fn render(text: &str, format: &str) -> Vec<u8> {
    let out = Command::new("convert")
        .args([
            "-size",
            "1400x160",
            "xc:white",
            "-font",
            "DejaVu-Sans",
            "-pointsize",
            "44",
        ])
        .args(["-fill", "black", "-annotate", "+30+95", text, "-depth", "8"])
        .arg(format!("{format}:-"))
        .output()
        .expect("ImageMagick's convert (make setup installs imagemagick)");
    assert!(
        out.status.success(),
        "convert: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An image-only PDF: one 1400×160 grey image per page, drawn at 144 dpi,
/// no text layer at all (a scanner's output).
pub(crate) fn image_pdf(pages: &[Vec<u8>]) -> Vec<u8> {
    let n = pages.len();
    // Objects: 1 catalog, 2 pages, then per page: page, content, image.
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Count {n} /Kids [{}] >>",
            (0..n)
                .map(|i| format!("{} 0 R", 3 + 3 * i))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .into_bytes(),
    ];
    for (i, pixels) in pages.iter().enumerate() {
        let (content, image) = (4 + 3 * i, 5 + 3 * i);
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 700 80] /Contents {content} 0 R \
                 /Resources << /XObject << /Im0 {image} 0 R >> >> >>"
            )
            .into_bytes(),
        );
        let draw = b"q 700 0 0 80 0 0 cm /Im0 Do Q";
        let mut c = format!("<< /Length {} >>\nstream\n", draw.len()).into_bytes();
        c.extend_from_slice(draw);
        c.extend_from_slice(b"\nendstream");
        objects.push(c);
        let mut im = format!(
            "<< /Type /XObject /Subtype /Image /Width 1400 /Height 160 /ColorSpace /DeviceGray \
             /BitsPerComponent 8 /Length {} >>\nstream\n",
            pixels.len()
        )
        .into_bytes();
        im.extend_from_slice(pixels);
        im.extend_from_slice(b"\nendstream");
        objects.push(im);
    }
    assemble(&objects)
}

/// A PDF of `objects` (numbered from 1, the first the catalog), with its
/// cross-reference table.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn stream(dict: &str, data: &str) -> Vec<u8> {
    format!(
        "<< {dict} /Length {} >>\nstream\n{data}\nendstream",
        data.len()
    )
    .into_bytes()
}

/// A one-page PDF showing `text` in Helvetica. With `garbled`, the text is
/// drawn through a Type 3 font whose glyphs are numbered 1, 2, 3… under
/// made-up names and no `ToUnicode` map: the page looks the same, but its
/// text layer holds only control characters, as a PDF whose fonts lack a
/// Unicode map does (the corpus's `issue11242_reduced.pdf` reads
/// "\x13\x14…9$7\x03&RGH" for "VATCode").
pub(crate) fn text_pdf(text: &str, garbled: bool) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 700 100] /Contents 4 0 R \
           /Resources << /Font << /F 5 0 R >> >> >>"
            .to_vec(),
    ];
    if !garbled {
        objects.push(stream("", &format!("BT /F 28 Tf 20 40 Td ({text}) Tj ET")));
        objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
        return assemble(&objects);
    }
    let mut glyphs: Vec<char> = Vec::new();
    for c in text.chars() {
        if !glyphs.contains(&c) {
            glyphs.push(c);
        }
    }
    assert!(glyphs.len() < 32, "codes stay in the control range");
    let codes: String = text
        .chars()
        .map(|c| {
            format!(
                "{:02x}",
                1 + glyphs.iter().position(|&g| g == c).unwrap_or(0)
            )
        })
        .collect();
    objects.push(stream("", &format!("BT /F 28 Tf 20 40 Td <{codes}> Tj ET")));
    // Helvetica's advance widths (its AFM), so the page reads naturally.
    let width = |c: char| match c {
        ' ' | 't' | 'f' | 'r' => 278,
        'i' | 'l' => 222,
        's' | 'c' | 'k' | 'v' | 'y' | 'z' => 500,
        'm' => 833,
        'w' => 722,
        c if c.is_uppercase() => 667,
        _ => 556,
    };
    let helvetica = 6 + glyphs.len();
    let names: Vec<String> = (1..=glyphs.len()).map(|i| format!("/g{i}")).collect();
    objects.push(
        format!(
            "<< /Type /Font /Subtype /Type3 /FontBBox [0 -250 1000 1000] \
             /FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 1 /LastChar {n} /Widths [{widths}] \
             /Encoding << /Type /Encoding /Differences [1 {names}] >> \
             /CharProcs << {procs} >> /Resources << /Font << /H {helvetica} 0 R >> >> >>",
            n = glyphs.len(),
            widths = glyphs
                .iter()
                .map(|&c| width(c).to_string())
                .collect::<Vec<_>>()
                .join(" "),
            names = names.join(" "),
            procs = names
                .iter()
                .enumerate()
                .map(|(i, name)| format!("{name} {} 0 R", 6 + i))
                .collect::<Vec<_>>()
                .join(" "),
        )
        .into_bytes(),
    );
    for &c in &glyphs {
        let draw = if c == ' ' {
            String::new()
        } else {
            format!("BT /H 1000 Tf ({c}) Tj ET")
        };
        objects.push(stream("", &format!("{} 0 d0 {draw}", width(c))));
    }
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    assemble(&objects)
}

fn ocr_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/ocr")
        .join(name)
}

#[test]
fn a_scanned_png_and_an_image_only_pdf_are_found_by_a_word_at_their_page() {
    require_pdfium();
    if !have_ocr_models() {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "photo/note.png", render(SENTENCE, "png"));
    write(
        docs.path(),
        "scans/letter.pdf",
        image_pdf(&[render(OTHER, "gray"), render(SENTENCE, "gray")]),
    );
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 2, "{:?}", report.failures);

    for word in ["lighthouse", "marmalade"] {
        let hits = search(&e, word);
        let mut found = names(&hits);
        found.sort();
        assert_eq!(found, ["letter.pdf", "note.png"], "{word}");
        for h in &hits {
            assert_eq!(
                h.location.label.as_deref(),
                Some("recognised text"),
                "{}",
                h.path
            );
            if h.kind == FileKind::Pdf {
                assert_eq!(h.location.page, Some(2), "the sentence is on page 2");
            } else {
                assert_eq!(h.kind, FileKind::Image);
            }
        }
    }
    let invoices = search(&e, "invoices");
    assert_eq!(names(&invoices), ["letter.pdf"]);
    assert_eq!(invoices[0].location.page, Some(1));
    // Two PDF pages and one image.
    assert_eq!(e.status().expect("status").recognised_pages, 3);
}

#[test]
fn a_page_whose_fonts_lack_a_unicode_map_is_recognised_and_a_page_with_text_is_not() {
    require_pdfium();
    if !have_ocr_models() {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "garbled.pdf", text_pdf(SENTENCE, true));
    write(docs.path(), "typed.pdf", text_pdf(OTHER, false));
    // What a reader of the text layer gets: glyph numbers, no words.
    let off = crumb_engine::ocr::OcrSettings {
        enabled: false,
        ..Default::default()
    };
    let layer = crumb_engine::ocr::with_settings(&off, || {
        crumb_engine::extract::Extractors::default().extract(
            FileKind::Pdf,
            &text_pdf(SENTENCE, true),
            "garbled.pdf",
            &Limits::default(),
        )
    })
    .expect("the garbled page has a text layer");
    let layer: String = layer.blocks.iter().map(|b| b.text.as_str()).collect();
    assert!(
        !layer.contains("lighthouse") && layer.chars().any(|c| c.is_control() && c != '\n'),
        "{layer:?}"
    );
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 2, "{:?}", report.failures);
    let hits = search(&e, "marmalade");
    assert_eq!(names(&hits), ["garbled.pdf"]);
    assert_eq!(hits[0].location.page, Some(1));
    assert_eq!(hits[0].location.label.as_deref(), Some("recognised text"));
    // The page with good text keeps its own text and is not recognised.
    let typed = search(&e, "invoices");
    assert_eq!(names(&typed), ["typed.pdf"]);
    assert_eq!(typed[0].location.label, None);
    assert_eq!(e.status().expect("status").recognised_pages, 1);
}

/// The text the OCR pipeline reads in one of `tests/fixtures/ocr`'s images.
fn recognise_fixture(name: &str) -> String {
    let bytes = std::fs::read(ocr_fixture(name)).expect("fixture");
    let image = crumb_engine::extract::decode_image(&bytes).expect("the fixture decodes");
    crumb_engine::models::init_runtime(None).expect("ONNX Runtime");
    let models = crumb_engine::ocr::find_models().expect("models");
    crumb_engine::ocr::Ocr::open(&models, 2)
        .expect("models open")
        .read(&image)
        .expect("recognised")
}

/// `lorem-150dpi.png` is page 1 of pdf.js's `issue13242.pdf` (Apache-2.0),
/// rendered by pdftoppm at 150 dpi, rows 120 to 940, 8 grey levels: 19 lines
/// of Lorem ipsum, 3 of them with "consetetur". The orientation classifier
/// calls some of these upright lines upside down; turning them alone lost 3
/// of the 19 lines and 2 of the 3 "consetetur".
#[test]
fn an_upright_page_keeps_every_line_that_the_classifier_doubts() {
    if !have_ocr_models() {
        return;
    }
    let text = recognise_fixture("lorem-150dpi.png");
    assert_eq!(text.matches("consetetur").count(), 3, "{text}");
    assert_eq!(text.lines().count(), 19, "{text}");
}

/// `everyshi-150dpi.png` is the top of page 1 of TeX Live's `everyshi.pdf`
/// (LPPL), rendered by pdftoppm at 150 dpi: the author "Martin Schröder" and
/// three "LaTeX" logos. PP-OCRv4's Chinese+Latin recogniser read
/// "Schrodert", "ATeX", "IATEX" and "IFTeX", so neither the name nor the
/// word was found; PP-OCRv6 small's reads them (docs/BENCHMARKS.md, "OCR").
#[test]
fn accented_names_and_the_latex_logo_are_read_as_printed() {
    if !have_ocr_models() {
        return;
    }
    let text = recognise_fixture("everyshi-150dpi.png");
    assert!(text.contains("Martin Schröder"), "{text}");
    assert!(text.matches("LATEX").count() >= 2, "{text}");
    assert!(text.contains("backwards compatibility"), "{text}");
}

#[test]
fn recognised_text_is_cached_by_content_so_a_moved_image_is_not_read_again() {
    if !have_ocr_models() {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let png = write(docs.path(), "a/note.png", render(SENTENCE, "png"));
    let e = engine(data.path());
    assert_eq!(index(&e, docs.path()).indexed, 1);
    // Mark the cached entry: if the moved file were recognised again, the
    // mark would not reach the index.
    let entries: Vec<PathBuf> = walk(&data.path().join("ocr-cache"));
    assert_eq!(entries.len(), 1, "one cached page: {entries:?}");
    std::fs::write(&entries[0], "zeppelin cached words\n").unwrap();
    std::fs::rename(&png, docs.path().join("moved.png")).unwrap();
    index(&e, docs.path());
    assert_eq!(names(&search(&e, "zeppelin")), ["moved.png"]);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn with_ocr_off_an_image_waits_unread_and_is_read_once_it_is_turned_on() {
    if !have_ocr_models() {
        return;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(docs.path(), "note.png", render(SENTENCE, "png"));
    let e =
        Engine::open(EngineOptions::new(data.path()).with_extract(workers())).expect("open engine");
    // The Settings switch: off.
    e.set_recognition_enabled(false);
    let report = index(&e, docs.path());
    assert_eq!(
        report.indexed, 1,
        "found by its name: {:?}",
        report.failures
    );
    assert_eq!(report.recognised_pages, 0);
    assert!(search(&e, "lighthouse").is_empty(), "nothing was read");
    assert_eq!(e.status().unwrap().pending_ocr_pages, 1, "but it waits");
    let idle = e
        .recognise_pending(&NoProgress, &CancelFlag::new())
        .expect("second stage while off");
    assert_eq!(idle.recognised_pages, 0, "off means off");
    // On again: the waiting page is read without re-indexing the file.
    e.set_recognition_enabled(true);
    let read = e
        .recognise_pending(&NoProgress, &CancelFlag::new())
        .expect("second stage");
    assert_eq!(read.recognised_pages, 1);
    assert_eq!(names(&search(&e, "lighthouse")), ["note.png"]);
}

#[test]
fn image_bombs_and_truncated_images_fail_with_a_reason_without_stalling() {
    let sb = sandbox(Duration::from_secs(30), 1 << 30);
    for (name, want) in [
        ("bomb.png", "too large"),
        ("bomb.bmp", "too large"),
        ("truncated.png", "corrupt"),
        ("truncated.jpg", ""),
    ] {
        let path = ocr_fixture(name);
        let t = Instant::now();
        let out = sb.extract(
            Source::Path(&path),
            FileKind::Image,
            name,
            &Limits::default(),
        );
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{name} took {:?}",
            t.elapsed()
        );
        match out {
            Err(
                e @ (ExtractError::Limit(_)
                | ExtractError::Corrupt { .. }
                | ExtractError::NoText(_)),
            ) => {
                assert!(e.to_string().contains(want), "{name}: {e}")
            }
            // A JPEG cut in half decodes with its lower half grey; whatever
            // of the text survives may be read.
            Ok(doc) if name == "truncated.jpg" => assert!(!doc.is_empty()),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_folder_with_an_image_bomb_still_indexes_its_other_files() {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for name in ["bomb.png", "bomb.bmp", "truncated.png"] {
        std::fs::copy(ocr_fixture(name), docs.path().join(name)).unwrap();
    }
    write(docs.path(), "notes.txt", "the harbour timetable changed");
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 1, "{:?}", report.failures);
    assert_eq!(report.failed, 3, "{:?}", report.failures);
    assert!(
        report.failures.iter().all(|f| f.reason.len() > 20),
        "{:?}",
        report.failures
    );
    assert_eq!(names(&search(&e, "harbour")), ["notes.txt"]);
}
