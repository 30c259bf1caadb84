//! The formats Crumb used to skip: legacy PowerPoint (`.ppt`), Word 6/95
//! `.doc` (beside Word 97–2003), and text drawn in SVG inside EPUBs. Real
//! files from the shared corpus; what is asserted is what a user searches
//! for and where the hit points.

use crate::common::{engine, index, names, search, write};
use crate::extract::{all_text, extract, extract_file};
use crate::extract_support::{fixture, shared_file};
use crumb_engine::extract::{ExtractError, ExtractedDoc};
use std::path::PathBuf;

/// A file of the shared corpus; its absence fails the test.
fn corpus(rel: &str) -> PathBuf {
    shared_file(&format!("corpus/files/{rel}")).unwrap_or_else(|| {
        panic!("corpus/files/{rel} is missing: put the shared folder beside the checkout or set CRUMB_SHARED")
    })
}

fn extract_corpus(rel: &str) -> Result<ExtractedDoc, ExtractError> {
    extract_file(&corpus(rel))
}

/// The location shown for the block holding `needle`.
fn where_is(doc: &ExtractedDoc, needle: &str) -> Option<String> {
    doc.blocks
        .iter()
        .find(|b| b.text.contains(needle))
        .map(|b| b.location.display())
}

#[test]
fn ppt_slide_text_is_found_and_located_by_slide() {
    // PowerPoint for Mac: placeholder text kept in the document's slide list.
    let doc = extract_corpus("tika/testPPT.ppt").expect("ppt");
    assert_eq!(
        where_is(&doc, "Sample Powerpoint Slide").as_deref(),
        Some("Slide 1")
    );
    assert_eq!(doc.title.as_deref(), Some("Sample Powerpoint Slide"));
    // Text boxes live in each slide's drawing (catppt misses these).
    let doc = extract_corpus("poi/slideshow/54332b.ppt").expect("ppt");
    assert_eq!(
        where_is(&doc, "Predictive-Analysis System").as_deref(),
        Some("Slide 1")
    );
    // A 15-slide talk: later slides keep their numbers.
    let doc = extract_corpus("poi/slideshow/bug58733_671884.ppt").expect("ppt");
    assert_eq!(
        where_is(&doc, "PT accuracy and impact").as_deref(),
        Some("Slide 3")
    );
    assert!(
        doc.blocks.iter().all(|b| b.location.page.is_none()),
        "slides are not pages: {:?}",
        doc.blocks
            .iter()
            .map(|b| b.location.display())
            .collect::<Vec<_>>()
    );
}

#[test]
fn ppt_speaker_notes_follow_their_slide() {
    let doc = extract_corpus("poi/slideshow/42486.ppt").expect("ppt");
    let block = doc
        .blocks
        .iter()
        .find(|b| b.text.contains("No commas"))
        .expect("the notes' text");
    assert!(
        block.text.contains("\n\nNotes:\nNo commas"),
        "{}",
        block.text
    );
    assert_eq!(block.location.display(), "Slide 19");
}

#[test]
fn ppt_master_prompts_are_not_indexed_but_the_slides_are() {
    let doc = extract_corpus("poi/slideshow/numbers.ppt").expect("ppt");
    let text = all_text(&doc);
    assert!(text.contains("Second Slide Title"), "{text}");
    assert!(!text.contains("Click to edit Master"), "{text}");
}

#[test]
fn ppt_headers_and_footers_are_text() {
    let doc = extract_corpus("poi/slideshow/bug46441.ppt").expect("ppt");
    assert_eq!(
        where_is(&doc, "2222").as_deref(),
        Some("Headers, footers and links")
    );
}

#[test]
fn truncated_ppt_fails_with_a_reason_not_a_crash() {
    let bytes = std::fs::read(corpus("poi/slideshow/42486.ppt")).expect("read");
    let err = extract(&bytes[..bytes.len() / 2], "cut.ppt").unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("corrupt or unreadable PPT: damaged compound file"),
        "{err}"
    );
    // Cut anywhere: text from before the cut, or a reason; never a crash.
    for cut in (1..16).map(|k| bytes.len() * k / 16) {
        if let Err(e) = extract(&bytes[..cut], "cut.ppt") {
            assert!(!e.to_string().contains("crashed"), "cut at {cut}: {e}");
        }
    }
}

#[test]
fn word_95_doc_is_read_in_its_code_page() {
    // Word 95, saved in full, English.
    let doc = extract_corpus("poi/hpsf/TestMickey.doc").expect("word 95");
    assert!(all_text(&doc).contains("saved in Word 6.0/95 format"));
    // Word 95, fast-saved (piece table), stamped Russian: Windows-1251.
    let text = all_text(&extract_corpus("poi/document/Bug50955.doc").expect("word 95"));
    assert!(
        text.contains("ОПЕРАЦИЯ"),
        "{}",
        &text[..300.min(text.len())]
    );
    // Word 6 stamped English but typed in a Cyrillic font.
    let text = all_text(&extract_corpus("poi/document/Bug60942b.doc").expect("word 6"));
    assert!(text.contains("Четыре балла"), "{text}");
}

#[test]
fn word_97_doc_gives_its_text_without_field_codes() {
    let text = all_text(&extract_corpus("poi/document/SampleDoc.doc").expect("doc"));
    assert!(
        text.contains("I am a test document\nThis is page 1"),
        "{text}"
    );
    let text = all_text(&extract_corpus("poi/document/hyperlink.doc").expect("doc"));
    assert!(
        text.contains("Before text; Hyperlink text; after text"),
        "field code dropped: {text}"
    );
}

#[test]
fn epub_text_drawn_in_svg_is_found() {
    let doc = extract(&fixture("drawn.epub"), "drawn.epub").expect("epub");
    // A title page that is an SVG document in the spine.
    let cover = all_text(&doc);
    assert!(cover.contains("The Lighthouse"), "{cover}");
    assert!(cover.contains("by Mara Quill"), "{cover}");
    // Inline SVG inside an XHTML chapter, beside the chapter's own text.
    assert_eq!(
        where_is(&doc, "Batten the hatches!").as_deref(),
        Some("Panel One")
    );
    assert_eq!(
        where_is(&doc, "The storm rolls in.").as_deref(),
        Some("Panel One")
    );
}

#[test]
fn xls_whose_workbook_stream_is_named_in_capitals_is_read() {
    // Compound-file names are case-insensitive; these writers said "BOOK"
    // and "WORKBOOK".
    let text = all_text(&extract_corpus("poi/spreadsheet/BOOK_in_capitals.xls").expect("xls"));
    assert!(text.contains("COMAC CAPITAL"), "{text}");
    let doc = extract_corpus("poi/spreadsheet/NoGutsRecords.xls").expect("xls");
    assert_eq!(
        where_is(&doc, "Expiring contracts").as_deref(),
        Some("Sheet Sheet1, B1:Q18")
    );
}

#[test]
fn formats_once_skipped_are_found_by_search_with_their_location() {
    let docs = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    for (rel, name) in [
        ("poi/slideshow/bug58733_671884.ppt", "bulls.ppt"),
        ("poi/document/Bug50955.doc", "anderson.doc"),
    ] {
        std::fs::copy(corpus(rel), docs.path().join(name)).expect("copy");
    }
    write(docs.path(), "drawn.epub", fixture("drawn.epub"));
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.indexed, 3, "{:?}", report.failures);

    let hits = search(&e, "pedigree");
    assert_eq!(names(&hits), ["bulls.ppt"]);
    assert_eq!(hits[0].location.display(), "Slide 2");
    assert_eq!(names(&search(&e, "хаос")), ["anderson.doc"]);
    let hits = search(&e, "hatches");
    assert_eq!(names(&hits), ["drawn.epub"]);
    assert_eq!(hits[0].location.display(), "Panel One");
}
