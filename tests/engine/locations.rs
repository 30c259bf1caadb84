//! A location for every format of the shared corpus: for a file of each type,
//! a phrase from the middle of its text (four words in a row) is searched for, and the hit's
//! location must be present and point where the phrase is: its page, its
//! slide, sheet and cells, its chapter, its message or attachment, and the
//! line from which the passage holding the phrase starts.

use crate::common::{engine, index};
use crate::extract::extract_file;
use crate::extract_support::{require_pdfium, shared};
use crumb_engine::chunk::chunk;
use crumb_engine::extract::{ExtractedDoc, Location};
use crumb_engine::{ChunkOptions, Mode, SearchRequest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The corpus's type names (MANIFEST.tsv) that each must have a located hit.
const TYPES: &[&str] = &[
    "pdf",
    "docx",
    "doc",
    "xlsx",
    "xls",
    "ods",
    "pptx",
    "ppt",
    "odp",
    "odt",
    "epub",
    "html",
    "markdown",
    "text",
    "code",
    "email",
    "email-mbox",
    "email-msg",
    "rtf",
];

/// Short words a phrase avoids, so that stop-word handling cannot decide
/// the test.
const COMMON: &[&str] = &[
    "the", "and", "with", "that", "this", "from", "have", "were", "been", "will", "which", "their",
    "there", "they", "them", "then", "than", "into", "your", "also", "such", "what", "when",
    "where", "some", "more", "most", "other", "only", "over", "very", "just", "about", "would",
    "could", "should", "these", "those", "each", "both", "does", "being", "after", "before",
    "because", "while", "under", "upon", "for", "are", "not", "but", "was", "you", "all", "can",
    "his", "her", "she", "him", "its", "our", "out", "who", "has", "had", "any", "may",
];

/// The words of `text` as the index sees them, near enough: runs of letters
/// and digits, lowercased.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Four plain words in a row from the middle of `text`, if it has them.
fn phrase_in(text: &str) -> Option<String> {
    let words = words_of(text);
    let plain = |w: &String| {
        w.len() >= 3
            && w.len() <= 20
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && !COMMON.contains(&w.as_str())
    };
    let mid = words.len() / 2;
    // Search outwards from the middle for a window of plain words.
    (0..words.len()).find_map(|d| {
        [mid.checked_sub(d), mid.checked_add(d)]
            .into_iter()
            .flatten()
            .filter(|&i| i + 4 <= words.len())
            .find(|&i| words[i..i + 4].iter().all(plain))
            .map(|i| words[i..i + 4].join(" "))
    })
}

/// Text as its words joined by single spaces (see [`words_of`]).
fn squash(text: &str) -> String {
    words_of(text).join(" ")
}

/// The byte offset where line `n` (counted from `first`) starts in `text`.
fn line_offset(text: &str, first: u32, n: u32) -> Option<usize> {
    let skip = n.checked_sub(first)? as usize;
    if skip == 0 {
        return Some(0);
    }
    text.match_indices('\n').nth(skip - 1).map(|(i, _)| i + 1)
}

/// Whether `loc` points at `phrase` in `doc`: a block with the same page and
/// label holds it, after the line named (within a passage's reach of it).
fn points_at(doc: &ExtractedDoc, loc: &Location, phrase: &str) -> bool {
    doc.blocks
        .iter()
        .filter(|b| b.location.page == loc.page && b.location.label == loc.label)
        .any(|b| match (loc.line, b.location.line) {
            (Some(line), Some(first)) => {
                let Some(start) = line_offset(&b.text, first, line) else {
                    return false;
                };
                // A passage is at most a few thousand bytes.
                let mut end = (start + 6000).min(b.text.len());
                while !b.text.is_char_boundary(end) {
                    end -= 1;
                }
                squash(&b.text[start..end]).contains(phrase)
            }
            (None, _) => squash(&b.text).contains(phrase),
            (Some(_), None) => false,
        })
}

/// Files of the corpus by type, in manifest order.
fn corpus_by_type(corpus: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(kind)) = (cols.next(), cols.next()) else {
            continue;
        };
        out.entry(kind.to_string())
            .or_default()
            .push(corpus.join("files").join(path));
    }
    out
}

#[test]
fn every_format_in_the_corpus_gives_a_location_that_points_at_the_text() {
    require_pdfium();
    let Some(shared) = shared() else {
        return;
    };
    let by_type = corpus_by_type(&shared.join("corpus"));
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    // One file of each type with a usable phrase in the middle of its text.
    let mut picked: Vec<(String, PathBuf, String, ExtractedDoc)> = Vec::new();
    for kind in TYPES {
        let files = by_type
            .get(*kind)
            .unwrap_or_else(|| panic!("the corpus has no {kind} file"));
        let found = files.iter().take(60).find_map(|src| {
            let doc = extract_file(src).ok()?;
            let passages = chunk(&doc, &ChunkOptions::default());
            // The middle passage first, then outwards.
            let mid = passages.len() / 2;
            let mut order: Vec<usize> = (0..passages.len()).collect();
            order.sort_by_key(|&i| i.abs_diff(mid));
            let phrase = order.iter().find_map(|&i| phrase_in(&passages[i].text))?;
            Some((src.clone(), phrase, doc))
        });
        let (src, phrase, doc) =
            found.unwrap_or_else(|| panic!("no {kind} file of the corpus has a phrase to search"));
        let name = format!("{kind}-{}", src.file_name().unwrap().to_string_lossy());
        let dest = docs.join(&name);
        std::fs::copy(&src, &dest).unwrap();
        picked.push((kind.to_string(), dest, phrase, doc));
    }
    let data = tmp.path().join("data");
    let e = engine(&data);
    index(&e, &docs);
    let mut wrong = Vec::new();
    for (kind, path, phrase, doc) in &picked {
        let req = SearchRequest::new(format!("\"{phrase}\""))
            .with_mode(Mode::Bm25)
            .with_rerank(false)
            .with_limit(50);
        let hits = e.search(&req).unwrap();
        let Some(hit) = hits.iter().find(|h| Path::new(&h.path) == path) else {
            wrong.push(format!("{kind}: no hit for \"{phrase}\""));
            continue;
        };
        let loc = &hit.location;
        if loc.page.is_none() && loc.line.is_none() && loc.label.is_none() {
            wrong.push(format!("{kind}: no location for \"{phrase}\""));
        } else if !points_at(doc, loc, phrase) {
            wrong.push(format!(
                "{kind}: \"{phrase}\" is not at {:?} ({})",
                loc.display(),
                path.display()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn line_offsets_count_from_the_blocks_first_line() {
    let text = "one\ntwo\nthree\n";
    assert_eq!(line_offset(text, 1, 1), Some(0));
    assert_eq!(line_offset(text, 1, 3), Some(8));
    assert_eq!(line_offset(text, 1, 9), None);
    assert_eq!(phrase_in("a b c"), None);
    assert_eq!(
        phrase_in("x Lighthouse keeper, logged squall y").as_deref(),
        Some("lighthouse keeper logged squall")
    );
}
