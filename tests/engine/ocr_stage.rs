//! Text recognition as a second, lower-priority indexing stage: the first
//! stage commits every file's text layer and name and leaves scanned pages
//! and images pending in the catalog; the second recognises them behind it.
//! Real files, real PP-OCR models in real worker processes, a real index.
//! Ordering, never timing: each stage is called on its own.

use crate::common::*;
use crate::extract_support::require_pdfium;
use crate::ocr::{have_ocr_models, image_pdf, render, text_pdf, SENTENCE};
use crumb_engine::progress::{CancelFlag, IndexingStep, NoProgress};
use crumb_engine::{Engine, FileKind, IndexReport};
use std::path::Path;
use std::sync::Mutex;

/// A folder with a typed PDF, a two-page scan (the sentence on page 2) and
/// a photographed note. Three pages need recognising.
fn folder(docs: &Path) {
    write(
        docs,
        "typed.pdf",
        text_pdf("Quarterly invoices arrive before Thursday", false),
    );
    write(
        docs,
        "scans/letter.pdf",
        image_pdf(&[
            render("Copper kettles whistle loudly", "gray"),
            render(SENTENCE, "gray"),
        ]),
    );
    write(docs, "photo/note.png", render(SENTENCE, "png"));
}

/// [`folder`] in a new docs dir, with a data dir beside it; None only where
/// the documented opt-out lets missing OCR models skip (pdfium must be there).
fn scans_and_text() -> Option<(tempfile::TempDir, tempfile::TempDir)> {
    require_pdfium();
    if !have_ocr_models() {
        return None;
    }
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    folder(docs.path());
    Some((docs, data))
}

fn first_stage(e: &Engine, docs: &Path) -> IndexReport {
    e.index_text(&[docs.to_path_buf()], &NoProgress, &CancelFlag::new())
        .expect("first stage")
}

fn second_stage(e: &Engine) -> IndexReport {
    e.recognise_pending(&NoProgress, &CancelFlag::new())
        .expect("second stage")
}

fn pending(e: &Engine) -> u64 {
    e.status().expect("status").pending_ocr_pages
}

#[test]
fn the_first_stage_makes_text_searchable_and_leaves_scans_pending_then_ocr_fills_in() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    let e = engine(data.path());

    let report = first_stage(&e, docs.path());
    assert_eq!(report.indexed, 3, "{:?}", report.failures);
    assert_eq!(report.ocr_pending, 3);
    assert_eq!(report.recognised_pages, 0);
    // The text layer is searchable, the scans are findable by name, and
    // their words are not there yet: nothing was recognised in line.
    assert_eq!(names(&search(&e, "invoices")), ["typed.pdf"]);
    assert_eq!(names(&search(&e, "letter")), ["letter.pdf"]);
    assert!(search(&e, "marmalade").is_empty());
    let st = e.status().unwrap();
    assert_eq!((st.pending_ocr_pages, st.recognised_pages), (3, 0));
    assert!(
        !data.path().join("ocr-cache").exists()
            || std::fs::read_dir(data.path().join("ocr-cache"))
                .unwrap()
                .next()
                .is_none(),
        "the first stage recognised nothing"
    );

    let steps = Mutex::new(Vec::new());
    let progress = |s: &IndexingStep| {
        if let IndexingStep::Recognising { left, .. } = s {
            steps.lock().unwrap().push(*left);
        }
    };
    let stage = e
        .recognise_pending(&progress, &CancelFlag::new())
        .expect("second stage");
    assert_eq!(stage.recognised_pages, 3);
    let lefts = steps.into_inner().unwrap();
    assert_eq!(lefts.first(), Some(&3), "{lefts:?}");
    assert_eq!(lefts.last(), Some(&0), "{lefts:?}");

    let hits = search(&e, "marmalade");
    let mut found = names(&hits);
    found.sort();
    assert_eq!(found, ["letter.pdf", "note.png"]);
    for h in &hits {
        assert_eq!(h.location.label.as_deref(), Some("recognised text"));
        if h.kind == FileKind::Pdf {
            assert_eq!(h.location.page, Some(2), "the sentence is on page 2");
        }
    }
    assert_eq!(names(&search(&e, "kettles")), ["letter.pdf"]);
    // The text layer's passages are untouched.
    assert_eq!(names(&search(&e, "invoices")), ["typed.pdf"]);
    let st = e.status().unwrap();
    assert_eq!((st.pending_ocr_pages, st.recognised_pages), (0, 3));
    assert_eq!(st.passages, st.lexical_docs, "{st:?}");
}

#[test]
fn paused_recognition_leaves_pages_pending_while_a_new_text_file_is_indexed() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    let e = engine(data.path());
    first_stage(&e, docs.path());
    e.pause_recognition();
    assert!(e.recognition_paused());

    let stage = second_stage(&e);
    assert_eq!(stage.recognised_pages, 0);
    assert_eq!(stage.ocr_pending, 3);
    // Keyword indexing goes on while text recognition is paused.
    write(docs.path(), "later.txt", "the zeppelin timetable changed");
    let report = e
        .index(
            &[docs.path().to_path_buf()],
            &NoProgress,
            &CancelFlag::new(),
        )
        .expect("index while paused");
    assert_eq!(report.indexed, 1, "{:?}", report.failures);
    assert_eq!(names(&search(&e, "zeppelin")), ["later.txt"]);
    assert_eq!(pending(&e), 3);
    assert!(search(&e, "marmalade").is_empty());

    e.resume_recognition();
    assert_eq!(second_stage(&e).recognised_pages, 3);
    assert_eq!(pending(&e), 0);
    assert_eq!(search(&e, "marmalade").len(), 2);
}

#[test]
fn pending_pages_survive_reopening_the_engine_and_the_next_index_finishes_them() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    {
        let e = engine(data.path());
        first_stage(&e, docs.path());
        // One step, then the process goes away mid-stage.
        let step = e.recognise_step().expect("step").expect("pages waited");
        assert!(step.pages >= 1);
    }
    let e = engine(data.path());
    let left = pending(&e);
    assert!((1..3).contains(&left), "{left} pages left");
    // Nothing changed on disk: `index` finds every file unchanged and its
    // second stage resumes from the catalog's queue.
    let report = index(&e, docs.path());
    assert_eq!(report.unchanged, 3);
    assert_eq!(report.recognised_pages, left);
    assert_eq!(pending(&e), 0);
    let mut found = names(&search(&e, "marmalade"));
    found.sort();
    assert_eq!(found, ["letter.pdf", "note.png"]);
    assert_eq!(e.status().unwrap().recognised_pages, 3);
}

#[test]
fn a_scan_replaced_or_deleted_before_its_turn_takes_its_pending_pages_with_it() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    let e = engine(data.path());
    first_stage(&e, docs.path());
    assert_eq!(pending(&e), 3);
    // The scan becomes a typed PDF, the photo goes away.
    write(
        docs.path(),
        "scans/letter.pdf",
        text_pdf("Typed over the marmalade scan", false),
    );
    std::fs::remove_file(docs.path().join("photo/note.png")).unwrap();
    first_stage(&e, docs.path());
    assert_eq!(pending(&e), 0);
    let hits = search(&e, "marmalade");
    assert_eq!(names(&hits), ["letter.pdf"]);
    assert_eq!(
        hits[0].location.label, None,
        "the typed text, not a recognised one"
    );
}

#[test]
fn with_no_ocr_pages_wait_unread_and_the_next_index_reads_them() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    let index = |extra: &[&str]| {
        let folder = docs.path().to_string_lossy().into_owned();
        let mut args = vec!["index", folder.as_str(), "--embedder", "none"];
        args.extend_from_slice(extra);
        let out = crumb(data.path(), &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    index(&["--no-ocr"]);
    let st = crumb_json(data.path(), &["status", "--json"]);
    assert_eq!(st["pending_ocr_pages"], 3, "listed, not read: {st}");
    assert_eq!(st["recognised_pages"], 0, "{st}");
    assert_eq!(
        st["files_indexed"], 3,
        "the typed PDF and both scans by name: {st}"
    );
    // The human status says it too.
    let human = crumb(data.path(), &["status"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("0 pages recognised, 3 pages waiting for text recognition"),
        "{text}"
    );
    // With OCR on again the files are unchanged, yet their pages are read.
    index(&[]);
    let st = crumb_json(data.path(), &["status", "--json"]);
    assert_eq!(st["pending_ocr_pages"], 0, "{st}");
    assert_eq!(st["recognised_pages"], 3, "{st}");
}

#[test]
fn crumb_index_runs_both_stages_and_status_counts_them() {
    let Some((docs, data)) = scans_and_text() else {
        return;
    };
    let report = crumb_json(
        data.path(),
        &[
            "index",
            &docs.path().to_string_lossy(),
            "--json",
            "--embedder",
            "none",
        ],
    );
    assert_eq!(report["recognised_pages"], 3, "{report}");
    assert_eq!(report["ocr_pending"], 0, "{report}");
    assert!(report["keyword_seconds"].as_f64().unwrap() <= report["seconds"].as_f64().unwrap());
    let st = crumb_json(data.path(), &["status", "--json"]);
    assert_eq!(st["pending_ocr_pages"], 0, "{st}");
    assert_eq!(st["recognised_pages"], 3, "{st}");
    assert_eq!(st["files_indexed"], 3, "{st}");
}
