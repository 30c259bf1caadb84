//! Passage ids that other programs can hold, and reading a passage (or a
//! bounded run of a file's passages) back by id.
//!
//! The local API (`crumb serve`, `crumb mcp`) hands these ids out with every
//! hit and takes them back in `get`. Two rules make that safe:
//! - an id names its index: `<index tag>-p<passage id>` (or `-f<file id>` for
//!   a file found only by its name), and an id minted by another index is
//!   refused rather than resolved to whatever passage has that number here;
//! - text comes from the catalog, never from the file system, and only for
//!   files that are still indexed under one of the index's folders. No path
//!   from the caller is ever opened.

use crate::catalog::{Catalog, FileStatus, StoredPassage};
use crate::engine::Engine;
use crate::extract::Location;
use crate::kind::FileKind;
use crate::lexical::name_entry_file;
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// The catalog setting that names this index in passage ids.
const INDEX_ID_SETTING: &str = "index_id";
/// Hex digits of the index tag in a passage id: enough that two indexes of
/// one person never share one by chance.
const TAG_LEN: usize = 12;
/// The most passages on either side of the asked one that [`Engine::read_passage`] joins.
pub const MAX_NEIGHBOURS: usize = 16;
/// The most bytes of text one read returns.
pub const MAX_READ_BYTES: usize = 64 * 1024;

/// What to read around a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRange {
    /// Passages of the same file before the one named.
    pub before: usize,
    /// Passages after it.
    pub after: usize,
    /// The most bytes of text to return (cut at a character boundary).
    pub max_bytes: usize,
}

impl Default for ReadRange {
    fn default() -> Self {
        ReadRange {
            before: 0,
            after: 0,
            max_bytes: 16 * 1024,
        }
    }
}

impl ReadRange {
    /// Passages before and after the named one (each capped at [`MAX_NEIGHBOURS`]).
    pub fn with_neighbours(mut self, before: usize, after: usize) -> Self {
        self.before = before.min(MAX_NEIGHBOURS);
        self.after = after.min(MAX_NEIGHBOURS);
        self
    }
    /// The most bytes to return (capped at [`MAX_READ_BYTES`]).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes.clamp(1, MAX_READ_BYTES);
        self
    }
}

/// Text read back by id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassageText {
    /// The id asked for.
    pub id: String,
    /// Catalog file id.
    pub file_id: i64,
    /// Absolute path of the file (for display; it is never read).
    pub path: String,
    /// Document title.
    pub title: Option<String>,
    /// Kind of file.
    pub kind: FileKind,
    /// Where the text starts (page, line or label).
    pub location: Location,
    /// The text: the passage, or the passages around it joined without
    /// their overlap. Empty for a file indexed by name only.
    pub text: String,
    /// True when `text` was cut at the byte limit.
    pub truncated: bool,
    /// Position of the first and last passage read within the file (0-based).
    pub passages: Option<(i64, i64)>,
    /// Passages the file has in all.
    pub passages_in_file: usize,
}

/// A parsed passage id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Passage(i64),
    File(i64),
}

fn parse(id: &str) -> Result<(&str, Target)> {
    let bad = || {
        Error::Input(format!(
            "malformed passage id {:?}",
            truncate_for_message(id)
        ))
    };
    let (tag, item) = id.split_once('-').ok_or_else(bad)?;
    if tag.len() != TAG_LEN || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let number = |s: &str| {
        s.parse::<i64>()
            .ok()
            .filter(|n| *n > 0 && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(bad)
    };
    let target = if let Some(n) = item.strip_prefix('p') {
        Target::Passage(number(n)?)
    } else if let Some(n) = item.strip_prefix('f') {
        Target::File(number(n)?)
    } else {
        return Err(bad());
    };
    Ok((tag, target))
}

/// Ids come from callers; error messages echo a bounded part of them.
fn truncate_for_message(id: &str) -> &str {
    let mut end = id.len().min(40);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

fn tag_of(seed: &str) -> String {
    blake3::hash(seed.as_bytes()).to_hex()[..TAG_LEN].to_string()
}

/// The tag an index without a stored one is known by: derived from where it
/// lives, so that a read-only open of an index written before tags existed
/// hands out the same ids that a later writable open stores.
fn fallback_tag(data_dir: &Path) -> String {
    let dir = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    tag_of(&format!("crumb-index:{}", dir.display()))
}

/// Gives a writable catalog its index tag, once. A new (empty) catalog gets a
/// fresh one, so an index deleted and rebuilt in the same folder (whose
/// passage numbers start again at 1) never honours the old index's ids.
pub(crate) fn ensure_index_id(cat: &Catalog, data_dir: &Path) -> Result<()> {
    if cat.meta(INDEX_ID_SETTING)?.is_some() {
        return Ok(());
    }
    let tag = if cat.passage_count()? == 0 && cat.roots()?.is_empty() {
        tag_of(&format!(
            "crumb-index:{}:{}:{}",
            data_dir.display(),
            crate::time::now_ns(),
            std::process::id()
        ))
    } else {
        fallback_tag(data_dir)
    };
    cat.set_meta(INDEX_ID_SETTING, &tag)
}

impl Engine {
    /// This index's tag, the prefix of every passage id it hands out.
    pub fn index_tag(&self) -> Result<String> {
        Ok(self
            .reader()?
            .meta(INDEX_ID_SETTING)?
            .filter(|t| t.len() == TAG_LEN)
            .unwrap_or_else(|| fallback_tag(&self.opts.data_dir)))
    }

    /// The stable id of a hit's passage ([`crate::Hit::passage_id`]): valid
    /// for as long as the file is unchanged (passage numbers are never reused).
    pub fn passage_ref(&self, passage_id: i64) -> Result<String> {
        Ok(passage_ref_with(&self.index_tag()?, passage_id))
    }

    /// Reads a passage back by the id [`Engine::passage_ref`] gave, with
    /// `range` neighbours of the same file. Refuses ids of another index,
    /// ids of files no longer indexed, and files outside the index's folders.
    /// Reads the catalog only, never the file.
    pub fn read_passage(&self, id: &str, range: ReadRange) -> Result<PassageText> {
        let (tag, target) = parse(id)?;
        if tag != self.index_tag()? {
            return Err(Error::Input(
                "this id belongs to another Crumb index; search this one again".into(),
            ));
        }
        let gone = || Error::Input(format!("no indexed passage {id}; search again"));
        let cat = self.reader()?;
        let (file_id, anchor) = match target {
            Target::Passage(p) => {
                let passage = cat.passages_by_id(&[p])?.remove(&p).ok_or_else(gone)?;
                (passage.file_id, Some(passage.ord))
            }
            Target::File(f) => (f, None),
        };
        let file = cat.file_by_id(file_id)?.ok_or_else(gone)?;
        let roots = cat.roots()?;
        let inside = roots
            .iter()
            .any(|r| Path::new(&file.path).starts_with(Path::new(r)));
        if !inside {
            return Err(Error::Input(format!(
                "passage {id} is not under an indexed folder"
            )));
        }
        let all = if file.status == FileStatus::Indexed {
            cat.passages_of(file_id)?
        } else {
            Vec::new()
        };
        if anchor.is_some() && all.is_empty() {
            return Err(gone());
        }
        drop(cat);
        let (text, truncated, span, location) = match anchor {
            Some(ord) => {
                let lo = ord.saturating_sub(range.before as i64);
                let hi = ord.saturating_add(range.after as i64);
                let picked: Vec<&StoredPassage> =
                    all.iter().filter(|p| p.ord >= lo && p.ord <= hi).collect();
                let (text, truncated) = stitch(&picked, range.max_bytes);
                let span = picked
                    .first()
                    .zip(picked.last())
                    .map(|(a, b)| (a.ord, b.ord));
                let location = picked
                    .first()
                    .map(|p| p.location.clone())
                    .unwrap_or_default();
                (text, truncated, span, location)
            }
            None => (String::new(), false, None, Location::default()),
        };
        Ok(PassageText {
            id: id.to_string(),
            file_id,
            path: file.path,
            title: file.title,
            kind: file.kind,
            location,
            text,
            truncated,
            passages: span,
            passages_in_file: all.len(),
        })
    }
}

/// An id from a tag and a hit's passage id (negative: a file's name entry).
pub fn passage_ref_with(tag: &str, passage_id: i64) -> String {
    match name_entry_file(passage_id) {
        Some(file) => format!("{tag}-f{file}"),
        None => format!("{tag}-p{passage_id}"),
    }
}

/// Joins consecutive passages of one file: they overlap by a few sentences,
/// and their byte ranges into the document text say by how much. Cut at
/// `max_bytes` (on a character boundary); says whether it was cut.
fn stitch(passages: &[&StoredPassage], max_bytes: usize) -> (String, bool) {
    let (mut out, _) = stitch_passages(passages.iter().copied());
    if out.len() <= max_bytes {
        return (out, false);
    }
    let mut cut = max_bytes;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    (out, true)
}

/// Joins consecutive passages without their overlap (their byte ranges in
/// the document say by how much) and says where each one starts in the
/// result: the one rule for the API's `get` and the window's preview.
pub(crate) fn stitch_passages<'a>(
    passages: impl IntoIterator<Item = &'a StoredPassage>,
) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut starts = Vec::new();
    let mut end: Option<i64> = None;
    for p in passages {
        let skip = end
            .and_then(|e| usize::try_from(e.saturating_sub(p.byte_start)).ok())
            .unwrap_or(0);
        // Passages are trimmed slices of the document text, so the overlap
        // is a byte offset into this one; should it not land on a character
        // boundary, the whole passage is kept.
        let rest = if skip == 0 {
            p.text.as_str()
        } else {
            p.text.get(skip.min(p.text.len())..).unwrap_or(&p.text)
        };
        // An overlapping passage starts inside text already joined: its
        // start is where its new text goes, less the overlap.
        let overlap = p.text.len() - rest.len();
        if overlap > 0 {
            starts.push(out.len().saturating_sub(overlap));
        }
        if !out.is_empty() && !rest.trim().is_empty() {
            out.push(if skip == 0 { '\n' } else { ' ' });
        }
        if overlap == 0 {
            starts.push(out.len());
        }
        out.push_str(rest.trim_start());
        end = Some(end.map_or(p.byte_end, |e| e.max(p.byte_end)));
    }
    (out, starts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexical::name_entry_id;

    fn passage(ord: i64, text: &str, byte_start: i64) -> StoredPassage {
        StoredPassage {
            id: ord + 1,
            file_id: 1,
            ord,
            text: text.into(),
            byte_start,
            byte_end: byte_start + text.len() as i64,
            location: Location::default(),
        }
    }

    #[test]
    fn ids_round_trip_and_name_entries_get_file_ids() {
        let tag = "0123456789ab";
        assert_eq!(passage_ref_with(tag, 42), "0123456789ab-p42");
        assert_eq!(passage_ref_with(tag, name_entry_id(7)), "0123456789ab-f7");
        assert_eq!(
            parse("0123456789ab-p42").unwrap(),
            (tag, Target::Passage(42))
        );
        assert_eq!(parse("0123456789ab-f7").unwrap(), (tag, Target::File(7)));
    }

    #[test]
    fn malformed_ids_and_paths_are_refused() {
        for bad in [
            "",
            "../../etc/passwd",
            "/etc/passwd",
            "0123456789ab-p-1",
            "0123456789ab-p+1",
            "0123456789ab-p0",
            "0123456789ab-x1",
            "0123456789ab-p1/../2",
            "0123456789zz-p1",
            "0123456789a-p1",
            "0123456789ab-p99999999999999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn neighbours_join_without_their_overlap() {
        // "one two three four" with passages "one two three" and "three four".
        let a = passage(0, "one two three", 0);
        let b = passage(1, "three four", 8);
        assert_eq!(
            stitch(&[&a, &b], 1000),
            ("one two three four".into(), false)
        );
        let (cut, truncated) = stitch(&[&a, &b], 7);
        assert_eq!((cut.as_str(), truncated), ("one two", true));
    }
}
