//! Every extractor on real files: the shared corpus where it has the format,
//! fixtures built here otherwise. Assertions are on what a user searches for
//! and on where a hit points (page, slide, sheet, chapter).

use crate::extract_support::{fixture, require_pdfium, sandbox, shared_file};
use crumb_engine::extract::{ExtractError, ExtractedDoc, Extractors, Limits, Source};
use crumb_engine::FileKind;
use std::path::Path;
use std::time::Duration;

pub(crate) fn extract(bytes: &[u8], name: &str) -> Result<ExtractedDoc, ExtractError> {
    let kind = FileKind::from_path(Path::new(name));
    Extractors::default().extract(kind, bytes, name, &Limits::default())
}

pub(crate) fn extract_file(path: &Path) -> Result<ExtractedDoc, ExtractError> {
    let bytes = std::fs::read(path).expect("read fixture");
    extract(
        &bytes,
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default(),
    )
}

pub(crate) fn all_text(doc: &ExtractedDoc) -> String {
    doc.blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each block's label (a slide, a sheet and its cells, an attachment).
fn labels(doc: &ExtractedDoc) -> Vec<String> {
    doc.blocks
        .iter()
        .map(|b| b.location.label.clone().unwrap_or_default())
        .collect()
}

#[test]
fn docx_gives_body_headers_footnotes_and_title() {
    let doc = extract(&fixture("plan.docx"), "plan.docx").expect("docx");
    assert_eq!(doc.title.as_deref(), Some("Budget 2024"));
    assert_eq!(
        doc.blocks[0].text,
        "Quarterly\t budget & plan\nSecond paragraph"
    );
    let text = all_text(&doc);
    assert!(
        text.contains("Confidential header") && text.contains("See annex B"),
        "{text}"
    );
    assert!(!text.contains("PAGE"), "field codes are not text");
}

#[test]
fn pptx_gives_one_block_per_slide_in_presentation_order_with_notes() {
    let doc = extract(&fixture("deck.pptx"), "deck.pptx").expect("pptx");
    // A slide is a slide, not a page.
    assert_eq!(labels(&doc), ["Slide 1", "Slide 2"]);
    assert!(doc.blocks.iter().all(|b| b.location.page.is_none()));
    assert!(doc.blocks[0].text.starts_with("Opening slide"));
    assert!(doc.blocks[0].text.contains("Speaker reminder"));
    assert_eq!(doc.blocks[1].text, "Second in order");
}

#[test]
fn odt_and_odp_give_text_slides_and_title() {
    let odt = extract(&fixture("minutes.odt"), "minutes.odt").expect("odt");
    assert_eq!(odt.title.as_deref(), Some("Board minutes"));
    assert_eq!(odt.blocks[0].text, "Minutes\nAlpha beta\ngamma");
    let odp = extract(&fixture("talk.odp"), "talk.odp").expect("odp");
    assert_eq!(labels(&odp), ["Slide 1", "Slide 2"]);
    assert_eq!(odt.blocks[0].location.line, Some(1));
}

#[test]
fn epub_gives_chapters_in_spine_order_labelled_by_heading() {
    let doc = extract(&fixture("book.epub"), "book.epub").expect("epub");
    assert_eq!(doc.title.as_deref(), Some("A Small Book"));
    assert_eq!(labels(&doc), ["Departure", "The Return"]);
    assert!(doc.blocks[0].text.contains("They left at dawn."));
}

#[test]
fn rtf_gives_text_with_code_page_and_unicode_escapes() {
    let src = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\*\generator Writer;}\f0 Cr\'e8me br\u251?l\'e9e\par Second \b line\b0}";
    let doc = extract(src, "recipe.rtf").expect("rtf");
    assert_eq!(doc.blocks[0].text, "Crème brûlée\nSecond line");
}

const EML: &str = "From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: Invoice March\r\nDate: Tue, 1 Mar 2022 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the invoice attached.\r\n--XX\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nPayment due in thirty days.\r\n--XX--\r\n";

#[test]
fn eml_gives_headers_body_and_attachment_text() {
    let doc = extract(EML.as_bytes(), "invoice.eml").expect("eml");
    assert_eq!(doc.title.as_deref(), Some("Invoice March"));
    let body = &doc.blocks[0].text;
    assert!(
        body.contains("From: Ann <ann@example.com>") && body.contains("Please find the invoice"),
        "{body}"
    );
    assert_eq!(labels(&doc), ["Message", "Attachment notes.txt"]);
    assert!(doc.blocks.iter().all(|b| b.location.line == Some(1)));
    assert!(doc.blocks[1].text.contains("Payment due"));
}

#[test]
fn mbox_is_split_into_messages() {
    let mbox = format!("From ann@example.com Tue Mar  1 10:00:00 2022\n{}\nFrom bob@example.com Wed Mar  2 10:00:00 2022\nSubject: Re: Invoice\n\nThanks!\n", EML.replace("\r\n", "\n"));
    let doc = extract(mbox.as_bytes(), "inbox.mbox").expect("mbox");
    let l = labels(&doc);
    assert!(
        l.contains(&"Message 1: Invoice March".to_string())
            && l.contains(&"Message 2: Re: Invoice".to_string()),
        "{l:?}"
    );
}

#[test]
fn outlook_msg_gives_subject_sender_and_body() {
    let Some(path) = shared_file("corpus/files/poi/hsmf/message_1981.msg") else {
        return;
    };
    let doc = extract_file(&path).expect("msg");
    assert_eq!(doc.title.as_deref(), Some("Option 2 please"));
    assert!(all_text(&doc).contains("From: alec milton"));
    assert!(all_text(&doc).contains("Option 2 best suits our requirements"));
}

#[test]
fn spreadsheets_give_blocks_that_name_their_sheet_and_cells() {
    let Some(xlsx) = shared_file("corpus/files/poi/spreadsheet/WithChart.xlsx") else {
        return;
    };
    let doc = extract_file(&xlsx).expect("xlsx");
    // Each block names its sheet and the cells it holds.
    let l = labels(&doc);
    assert!(l[0].starts_with("Sheet Sheet1, A1:B"), "{l:?}");
    assert_eq!(l.last().map(String::as_str), Some("Charts"));
    assert!(doc.blocks[0].text.starts_with("1\t10\n2\t12"));
    let Some(xls) = shared_file("corpus/files/poi/spreadsheet/StringContinueRecords.xls") else {
        return;
    };
    let doc = extract_file(&xls).expect("xls");
    assert!(all_text(&doc).contains("Test Pack : MILAN"));
    let Some(ods) = shared_file("corpus/files/odfdo/test_flat.ods") else {
        return;
    };
    let doc = extract_file(&ods).expect("ods");
    let l = labels(&doc);
    assert!(l.iter().any(|l| l.starts_with("Sheet Sheet1, ")), "{l:?}");
    assert!(l.iter().any(|l| l.starts_with("Sheet Sheet2, ")), "{l:?}");
}

#[test]
fn pdf_gives_one_block_per_page() {
    require_pdfium();
    let Some(path) = shared_file("corpus/files/pdfjs/bug1997343.pdf") else {
        return;
    };
    let doc = extract_file(&path).expect("pdf");
    assert_eq!(
        doc.blocks
            .iter()
            .map(|b| b.location.page)
            .collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    assert!(doc.text_len() > 1000);
}

#[test]
fn pdf_form_field_text_is_found_by_flattening() {
    require_pdfium();
    let Some(path) = shared_file("corpus/files/pdfjs/annotation-tx3.pdf") else {
        return;
    };
    assert!(all_text(&extract_file(&path).expect("pdf")).contains("tx annotation"));
}

#[test]
fn image_only_pdf_is_recorded_as_having_no_text_layer() {
    require_pdfium();
    let Some(path) = shared_file("corpus/files/pdfjs/bitmap-tpgdon.pdf") else {
        return;
    };
    let err = extract_file(&path).unwrap_err();
    assert!(matches!(err, ExtractError::NoText(_)));
    assert!(err.to_string().contains("no text layer"), "{err}");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).expect("gzip");
    z.finish().expect("gzip")
}

#[test]
fn a_pdf_stored_gzip_compressed_under_its_own_name_gives_its_text() {
    // As Debian ships some manuals: `policy.pdf` holding gzip data.
    require_pdfium();
    let pdf = gzip(&crate::ocr::text_pdf(
        "Quarterly invoices arrive before Thursday",
        false,
    ));
    let contained = sandbox(Duration::from_secs(30), 1 << 30);
    for (bytes, kind, name, word) in [
        (pdf, FileKind::Pdf, "policy.pdf", "invoices"),
        // A text file too, which is otherwise decoded in-process.
        (
            gzip(b"a lighthouse keeper's log"),
            FileKind::Text,
            "log.txt",
            "lighthouse",
        ),
    ] {
        let doc = contained
            .extract(Source::Bytes(&bytes), kind, name, &Limits::default())
            .expect("the document inside");
        assert!(all_text(&doc).contains(word), "{name}: {}", all_text(&doc));
    }
}

/// Files named `.gz` are opened as the document inside, as Recoll does:
/// found by a word of their text, at its page; an archive is not opened.
#[test]
fn gzipped_documents_named_gz_are_found_by_their_words() {
    use crate::common::{engine, index, names, search, write};
    require_pdfium();
    let docs = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    write(
        docs.path(),
        "minutes.txt.gz",
        gzip(b"The allotment committee approved the greenhouse."),
    );
    write(
        docs.path(),
        "manual.pdf.gz",
        gzip(&crate::ocr::text_pdf("Descale the kettle monthly", false)),
    );
    write(docs.path(), "backup.tar.gz", gzip(b"greenhouse kettle"));
    let e = engine(data.path());
    let report = index(&e, docs.path());
    assert_eq!(report.failed, 0, "{:?}", report.failures);
    assert_eq!(names(&search(&e, "allotment")), vec!["minutes.txt.gz"]);
    assert_eq!(names(&search(&e, "greenhouse")), vec!["minutes.txt.gz"]);
    let hits = search(&e, "descale");
    assert_eq!(names(&hits), vec!["manual.pdf.gz"]);
    assert_eq!(hits[0].location.page, Some(1));
    assert_eq!(hits[0].kind, FileKind::Pdf);
}

#[test]
fn a_gzip_bomb_named_as_a_document_fails_with_a_limit() {
    let bomb = gzip(&vec![0u8; 8 << 20]);
    let limits = Limits {
        max_decompressed_bytes: 1 << 20,
        ..Limits::default()
    };
    let contained = sandbox(Duration::from_secs(30), 1 << 30);
    for (kind, name) in [(FileKind::Pdf, "bomb.pdf"), (FileKind::Text, "bomb.txt")] {
        let err = contained
            .extract(Source::Bytes(&bomb), kind, name, &limits)
            .unwrap_err();
        assert!(matches!(err, ExtractError::Limit(_)), "{name}: {err}");
        assert!(err.to_string().contains("decompresses past 1 MiB"), "{err}");
    }
}

#[test]
fn worker_process_gives_the_same_result_as_in_process() {
    let Some(path) = shared_file("corpus/files/epub3-samples/wasteland-otf.epub") else {
        return;
    };
    let sandbox = sandbox(Duration::from_secs(60), 1 << 30);
    let limits = Limits::default();
    let contained = sandbox
        .extract(
            Source::Path(&path),
            FileKind::Epub,
            "wasteland-otf.epub",
            &limits,
        )
        .expect("worker");
    assert_eq!(contained, extract_file(&path).expect("in process"));
    // The same (pooled) worker serves the next file, sent as bytes.
    let again = sandbox
        .extract(
            Source::Bytes(EML.as_bytes()),
            FileKind::Email,
            "a.eml",
            &limits,
        )
        .expect("second file");
    assert_eq!(again.title.as_deref(), Some("Invoice March"));
}
