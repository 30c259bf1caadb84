//! Regression tests for each category of `../shared/adversarial`: every file
//! ends up indexed or failed with a reason, through the same worker-process
//! containment the indexer uses; none crashes, hangs or exhausts memory.

use crate::extract_support::{sandbox, shared, shared_file};
use crumb_engine::extract::{ExtractError, ExtractedDoc, Limits, Sandbox, Source};
use crumb_engine::FileKind;
use std::path::Path;
use std::time::{Duration, Instant};

fn contained() -> Sandbox {
    sandbox(Duration::from_secs(30), 1 << 30)
}

fn run(sb: &Sandbox, path: &Path) -> Result<ExtractedDoc, ExtractError> {
    let kind = FileKind::from_path(path);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    sb.extract(Source::Path(path), kind, name, &Limits::default())
}

fn file(rel: &str) -> Option<std::path::PathBuf> {
    shared_file(&format!("adversarial/{rel}"))
}

#[test]
fn every_adversarial_file_is_indexed_or_failed_with_a_reason() {
    let Some(root) = shared().map(|s| s.join("adversarial")) else {
        return;
    };
    let sb = contained();
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if !matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("MANIFEST.tsv" | "README.md" | "make-huge-line.sh")
            ) {
                files.push(p);
            }
        }
    }
    assert!(
        files.len() > 150,
        "adversarial set incomplete: {}",
        files.len()
    );
    let start = Instant::now();
    let (mut ok, mut failed) = (0, 0);
    for path in &files {
        let t = Instant::now();
        match run(&sb, path) {
            Ok(doc) => {
                assert!(!doc.is_empty(), "{}: indexed but empty", path.display());
                ok += 1;
            }
            Err(e) => {
                assert!(
                    e.to_string().len() > 10,
                    "{}: reason too thin: {e}",
                    path.display()
                );
                failed += 1;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(35),
            "{} took {:?}",
            path.display(),
            t.elapsed()
        );
    }
    eprintln!(
        "adversarial: {ok} indexed, {failed} failed with a reason, in {:?}",
        start.elapsed()
    );
}

#[test]
fn zip_bomb_docx_fails_with_a_limit_without_inflating() {
    let Some(p) = file("generated/zipbomb_1GiB_text.docx") else {
        return;
    };
    let t = Instant::now();
    let err = run(&contained(), &p).unwrap_err();
    assert!(matches!(err, ExtractError::Limit(_)), "{err}");
    assert!(err.to_string().contains("zip bomb"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn billion_laughs_entities_are_never_expanded() {
    let Some(p) = file("generated/billion_laughs.odt") else {
        return;
    };
    let err = run(&contained(), &p).unwrap_err();
    assert!(matches!(err, ExtractError::NoText(_)), "{err}");
    for bomb in [
        "poi/spreadsheet/poc-xmlbomb.xlsx",
        "poi/spreadsheet/poc-xmlbomb-empty.xlsx",
    ] {
        let Some(p) = file(bomb) else { return };
        assert!(run(&contained(), &p).is_err());
    }
}

#[test]
fn html_nested_100k_deep_fails_fast_and_unclosed_tags_still_index() {
    let Some(deep) = file("generated/deep_nested_100k.html") else {
        return;
    };
    let t = Instant::now();
    assert!(matches!(
        run(&contained(), &deep),
        Err(ExtractError::Limit(_))
    ));
    assert!(t.elapsed() < Duration::from_secs(5));
    let Some(unclosed) = file("generated/unclosed_tags_50k.html") else {
        return;
    };
    assert!(
        run(&contained(), &unclosed)
            .expect("unclosed tags")
            .text_len()
            > 10_000
    );
}

#[test]
fn encrypted_documents_are_reported_as_password_protected() {
    let sb = contained();
    for rel in [
        "poi/poifs/protected_agile.docx",
        "poi/poifs/protected_sha512.xlsx",
        "poi/spreadsheet/password.xls",
        "tika/testWORD_protected_passtika.docx",
        "tika/casing/protected_normal_case.docx",
        "tika/testUnicodePassword.pdf",
    ] {
        let Some(p) = file(rel) else { return };
        crate::extract_support::require_pdfium();
        let err = run(&sb, &p).unwrap_err();
        assert!(matches!(err, ExtractError::Encrypted(_)), "{rel}: {err}");
        assert!(err.to_string().contains("password-protected"));
    }
}

#[test]
fn zero_byte_files_fail_as_empty() {
    let Some(p) = file("generated/empty.docx") else {
        return;
    };
    assert_eq!(
        run(&contained(), &p).unwrap_err().to_string(),
        "no text layer: empty file"
    );
}

#[test]
fn truncated_files_are_partly_indexed_or_failed() {
    let sb = contained();
    // The zip's central directory is lost, but the slides before the cut are read.
    let Some(pptx) = file("truncated/poi__integration__stress013.pptx") else {
        return;
    };
    assert!(run(&sb, &pptx).expect("salvaged slides").text_len() > 1000);
    let Some(docx) = file("truncated/tika__2exe.docx") else {
        return;
    };
    assert!(run(&sb, &docx).is_err(), "document.xml lies past the cut");
    let Some(html) = file("truncated/gutenberg__pg10900__10900-h__book01.htm") else {
        return;
    };
    assert!(
        run(&sb, &html).is_ok(),
        "a truncated page still has its first part"
    );
}

#[test]
fn fuzzer_reproducers_that_exhaust_memory_hit_the_worker_limit() {
    let Some(p) =
        file("poi/spreadsheet/clusterfuzz-testcase-minimized-POIHSSFFuzzer-5786329142919168.xls")
    else {
        return;
    };
    let sb = contained();
    let err = run(&sb, &p).unwrap_err();
    assert!(matches!(err, ExtractError::Limit(_)), "{err}");
    assert!(err.to_string().contains("memory"), "{err}");
    // The pool replaces the dead worker: the next file extracts normally.
    let Some(next) = file("generated/utf16le_bom.txt") else {
        return;
    };
    assert!(run(&sb, &next).is_ok());
}

#[test]
fn damaged_and_looping_pdfs_give_text_or_a_reason() {
    crate::extract_support::require_pdfium();
    let sb = contained();
    for rel in [
        "qpdf/pages-loop.pdf",
        "qpdf/append-xref-loop.pdf",
        "qpdf/bad10.pdf",
    ] {
        let Some(p) = file(rel) else { return };
        assert!(run(&sb, &p).is_ok(), "{rel}");
    }
    let Some(p) = file("truncated/tika__testAnnotations.pdf") else {
        return;
    };
    assert!(matches!(run(&sb, &p), Err(ExtractError::Corrupt { .. })));
}

#[test]
fn broken_mime_messages_are_indexed_or_failed() {
    let sb = contained();
    let Some(p) = file("flanker/torture.eml") else {
        return;
    };
    assert!(run(&sb, &p).expect("torture.eml").text_len() > 1000);
    // Padding before the headers and a broken enclosed body: the outer
    // message and what survives of the enclosed one are still indexed.
    let Some(p) = file("flanker/enclosed-broken-body.eml") else {
        return;
    };
    let doc = run(&sb, &p).expect("enclosed-broken-body.eml");
    assert_eq!(doc.title.as_deref(), Some("Wow"));
    // A multipart message whose last boundary never comes: what was read is kept.
    let Some(p) = file("flanker/missing-final-boundary.eml") else {
        return;
    };
    let doc = run(&sb, &p).expect("missing final boundary");
    assert!(doc.text_len() > 0, "its parts are still read");
}

#[test]
fn legacy_encodings_and_bad_bytes_decode_or_are_refused_as_binary() {
    let sb = contained();
    let Some(p) = file("debian/libpython3.11-testsuite/cjkencodings/shift_jis.txt") else {
        return;
    };
    let text = run(&sb, &p).expect("shift_jis").blocks[0].text.clone();
    assert!(
        text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "kana expected"
    );
    let Some(p) = file("generated/nul_bytes.md") else {
        return;
    };
    assert!(run(&sb, &p).expect("nul bytes").blocks[0]
        .text
        .contains("text after NULs"));
    let Some(p) = file("generated/random_bytes_1MiB.txt") else {
        return;
    };
    assert!(matches!(run(&sb, &p), Err(ExtractError::NoText(_))));
    let Some(p) = file("generated/invalid_utf8_mixed.txt") else {
        return;
    };
    assert!(run(&sb, &p).is_ok());
}

#[test]
fn deep_folders_and_255_byte_names_are_read() {
    let Some(root) = shared().map(|s| s.join("adversarial/generated")) else {
        return;
    };
    let mut deep = root.join("d00");
    for i in 1..60 {
        deep = deep.join(format!("d{i:02}"));
    }
    assert!(run(&contained(), &deep.join("deep.txt")).is_ok());
    let long = std::fs::read_dir(&root)
        .expect("generated")
        .flatten()
        .map(|e| e.path())
        .max_by_key(|p| p.file_name().map_or(0, |n| n.len()));
    assert!(run(&contained(), &long.expect("long name file")).is_ok());
}

#[test]
fn huge_single_line_file_is_cut_to_the_text_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge-line.txt");
    let words = "index search passage rerank model token query vector ";
    std::fs::write(&path, words.repeat((32 << 20) / words.len() + 1)).expect("write");
    let doc = run(&contained(), &path).expect("huge line");
    assert_eq!(doc.text_len(), Limits::default().max_text_chars);
}

#[test]
fn a_hanging_extraction_is_killed_at_the_timeout_and_the_pool_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.txt");
    std::fs::write(&path, "word ".repeat(4 << 20)).expect("write");
    let sb = sandbox(Duration::from_millis(1), 1 << 30);
    let err = run(&sb, &path).unwrap_err();
    assert!(
        matches!(err, ExtractError::Limit(_)) && err.to_string().contains("longer than"),
        "{err}"
    );
    let patient = sandbox(Duration::from_secs(30), 1 << 30);
    assert!(run(&patient, &path).is_ok());
}

#[test]
fn a_program_that_is_not_a_worker_falls_back_to_in_process_extraction() {
    // `true` exits 0 at once without answering: not a worker.
    let sb = Sandbox::new("true", Vec::new());
    let Some(p) = file("generated/utf16le_bom.txt") else {
        return;
    };
    assert!(run(&sb, &p).expect("in-process fallback").text_len() > 10);
}

#[test]
fn a_pdf_that_crashes_pdfium_while_flattening_is_retried_without_it() {
    // Found by `scripts/fuzz.sh` (pdf target): a mutated pdf.js test file on
    // which FPDFPage_Flatten dereferences null. The worker dies with SIGSEGV;
    // the retry skips flattening and still gets the page text.
    crate::extract_support::require_pdfium();
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/extract/pdfium-flatten-crash.pdf");
    let doc = run(&contained(), &path).expect("text after the retry");
    assert!(doc.blocks[0].text.contains("Trace-based Just-in-Time"));
}
