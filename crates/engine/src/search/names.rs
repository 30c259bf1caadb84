//! Files found by their name: a file without passages (an image, an
//! archive, a binary, a file that failed) has a name entry in the lexical
//! index; in results it stands as a passage whose text is the file name.

use super::{Candidate, Matched};
use crate::catalog::{FileRecord, StoredPassage};
use crate::engine::Engine;
use crate::extract::Location;
use crate::lexical::{name_entry_file, Snippet};
use crate::Result;
use std::collections::HashMap;

impl Engine {
    /// Adds a stand-in passage for every name entry among `ids` whose file
    /// is still in the catalog (a stale entry is left out, like a stale passage).
    pub(crate) fn add_name_entries(
        &self,
        ids: &[i64],
        passages: &mut HashMap<i64, StoredPassage>,
    ) -> Result<()> {
        let cat = self.reader()?;
        for &id in ids {
            if let Some(file_id) = name_entry_file(id) {
                if let Some(file) = cat.file_by_id(file_id)? {
                    passages.insert(id, name_passage(id, &file));
                }
            }
        }
        Ok(())
    }
}

/// The stand-in passage of a name entry: the file name, which the snippet
/// then highlights.
fn name_passage(id: i64, file: &FileRecord) -> StoredPassage {
    let name = std::path::Path::new(&file.path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.path.clone());
    StoredPassage {
        id,
        file_id: file.id,
        ord: 0,
        byte_start: 0,
        byte_end: name.len() as i64,
        text: name,
        location: Location::default(),
    }
}

/// Whether a hit matched the file's name or its content: a name entry, or a
/// keyword match with no query word in the passage text and no match by
/// meaning, matched the name (or folder, or title). A query of filters
/// alone (`type:pdf`) matches neither; it is reported as content.
pub(crate) fn matched(c: &Candidate, snippet: &Snippet, has_text: bool) -> Matched {
    let name_only = has_text
        && c.bm25_rank.is_some()
        && c.vector_rank.is_none()
        && snippet.highlights.is_empty();
    if name_entry_file(c.passage_id).is_some() || name_only {
        Matched::Name
    } else {
        Matched::Content
    }
}
