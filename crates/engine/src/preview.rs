//! A hit's section as plain text, for a preview beside the result list: the
//! page, slide, sheet or chapter the hit's passage sits in (or, for
//! line-oriented text, the passages around it), with every match of the
//! query's terms as byte ranges to highlight.
//!
//! The text comes from the catalog's passages, never from the file: a
//! preview costs one indexed query and no extraction, so it can follow the
//! selection as fast as a person moves it. It is never HTML; the window
//! builds text nodes from it.

use crate::catalog::{FileStatus, StoredPassage};
use crate::engine::Engine;
use crate::extract::Location;
use crate::kind::FileKind;
use crate::lexical::name_entry_file;
use crate::search::ParsedQuery;
use crate::{Error, Result};
use serde::Serialize;

/// The most bytes of text one preview holds: a long page or sheet is cut
/// around the hit rather than sent whole.
pub const MAX_PREVIEW_BYTES: usize = 48 * 1024;
/// Passages on either side of the hit shown for text without pages, slides
/// or other sections (plain text, code, Markdown).
const LINE_NEIGHBOURS: i64 = 3;

/// A hit's section, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// Catalog file id.
    pub file_id: i64,
    /// Absolute path (for display; the preview never reads it).
    pub path: String,
    /// Kind of file.
    pub kind: FileKind,
    /// What is shown, in words: "page 3", "Slide 2", "Sheet Budget", or
    /// "from line 40" for text read around the hit.
    pub section: String,
    /// Where the hit's passage is.
    pub location: Location,
    /// The section's text: its passages joined without their overlap.
    pub text: String,
    /// Byte ranges into `text` of every match of the query's terms, in order.
    pub highlights: Vec<(usize, usize)>,
    /// Byte offset in `text` where the hit's passage starts: the first
    /// highlight at or after it is the hit itself.
    pub hit_start: usize,
    /// The section goes on before `text` (cut at the size limit, or text
    /// without sections read around the hit).
    pub more_before: bool,
    /// The section goes on after `text`.
    pub more_after: bool,
}

/// What makes passages one section: the same page, or the same label (a
/// slide, a sheet, a chapter, an e-mail's message or attachment).
fn section_key(loc: &Location) -> Option<(Option<u32>, Option<&str>)> {
    (loc.page.is_some() || loc.label.is_some()).then_some((loc.page, loc.label.as_deref()))
}

impl Engine {
    /// The section of `file_id` that holds `passage_id`, with `query`'s
    /// matches marked. A negative `passage_id` (a file found by its name)
    /// previews the start of the file. Reads the catalog only.
    pub fn preview(&self, file_id: i64, passage_id: i64, query: &str) -> Result<Preview> {
        let gone = || Error::Input("this result is no longer indexed; search again".into());
        let cat = self.reader()?;
        let file = cat.file_by_id(file_id)?.ok_or_else(gone)?;
        let all = if file.status == FileStatus::Indexed {
            cat.passages_of(file_id)?
        } else {
            Vec::new()
        };
        drop(cat);
        let anchor = match name_entry_file(passage_id) {
            Some(f) if f == file_id => 0,
            Some(_) => return Err(gone()),
            None => all
                .iter()
                .position(|p| p.id == passage_id)
                .ok_or_else(gone)?,
        };
        let (lo, hi) = if all.is_empty() {
            (0, 0)
        } else {
            section_around(&all, anchor)
        };
        let picked = &all[lo..hi];
        let (text, starts) = stitch(picked);
        let hit_start = anchor
            .checked_sub(lo)
            .and_then(|i| starts.get(i).copied())
            .unwrap_or(0);
        let location = all
            .get(anchor)
            .map(|p| p.location.clone())
            .unwrap_or_default();
        let section = match (section_key(&location), picked.first()) {
            (Some(_), _) => location.display(),
            (None, Some(first)) => match first.location.line {
                Some(line) => format!("from line {line}"),
                None => String::new(),
            },
            (None, None) => String::new(),
        };
        let parsed = ParsedQuery::parse(query);
        let terms = self.lexical.query_terms(parsed.semantic_text());
        let highlights = self
            .lexical
            .term_matches(&text, &terms)
            .into_iter()
            .map(|(s, e, _)| (s, e))
            .collect();
        Ok(Preview {
            file_id,
            path: file.path,
            kind: file.kind,
            section,
            location,
            text,
            highlights,
            hit_start,
            more_before: lo > 0
                && section_key(&all[lo - 1].location) == section_key(&all[lo].location),
            more_after: hi < all.len()
                && section_key(&all[hi].location) == section_key(&all[hi - 1].location),
        })
    }
}

/// The passages `[lo, hi)` to show around `anchor`: its whole section when
/// the file has sections, its neighbours when not; grown outwards from the
/// hit, one passage each side in turn, while the text fits the size limit.
fn section_around(all: &[StoredPassage], anchor: usize) -> (usize, usize) {
    let key = section_key(&all[anchor].location);
    let in_section = |i: usize| match key {
        Some(k) => section_key(&all[i].location) == Some(k),
        None => (i as i64 - anchor as i64).abs() <= LINE_NEIGHBOURS,
    };
    let size = |i: usize| all[i].text.len();
    let (mut lo, mut hi) = (anchor, anchor + 1);
    let mut bytes = size(anchor);
    loop {
        let mut grew = false;
        if hi < all.len() && in_section(hi) && bytes + size(hi) <= MAX_PREVIEW_BYTES {
            bytes += size(hi);
            hi += 1;
            grew = true;
        }
        if lo > 0 && in_section(lo - 1) && bytes + size(lo - 1) <= MAX_PREVIEW_BYTES {
            bytes += size(lo - 1);
            lo -= 1;
            grew = true;
        }
        if !grew {
            return (lo, hi);
        }
    }
}

/// See [`crate::passage::stitch_passages`].
fn stitch(passages: &[StoredPassage]) -> (String, Vec<usize>) {
    crate::passage::stitch_passages(passages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(ord: i64, text: &str, start: i64, loc: Location) -> StoredPassage {
        StoredPassage {
            id: ord + 1,
            file_id: 1,
            ord,
            text: text.into(),
            byte_start: start,
            byte_end: start + text.len() as i64,
            location: loc,
        }
    }

    #[test]
    fn a_page_is_previewed_whole_and_nothing_of_the_next_page() {
        let all = vec![
            passage(0, "page one text", 0, Location::page(1)),
            passage(1, "page two starts", 14, Location::page(2)),
            passage(2, "page two ends", 30, Location::page(2)),
            passage(3, "page three", 44, Location::page(3)),
        ];
        assert_eq!(section_around(&all, 2), (1, 3));
        assert_eq!(section_around(&all, 0), (0, 1));
    }

    #[test]
    fn text_without_sections_shows_the_hits_neighbours() {
        let all: Vec<_> = (0..20)
            .map(|i| passage(i, "words", i * 6, Location::line(i as u32 + 1)))
            .collect();
        assert_eq!(section_around(&all, 10), (7, 14));
        assert_eq!(section_around(&all, 1), (0, 5));
    }

    #[test]
    fn overlapping_passages_are_joined_once_and_the_hit_start_points_into_its_own_text() {
        let doc = "alpha beta gamma delta epsilon";
        let a = passage(0, &doc[..16], 0, Location::default()); // "alpha beta gamma"
        let b = passage(1, &doc[11..], 11, Location::default()); // "gamma delta epsilon"
        let (text, starts) = stitch(&[a, b]);
        assert_eq!(text, doc);
        assert_eq!(&text[starts[1]..], "gamma delta epsilon");
    }
}
