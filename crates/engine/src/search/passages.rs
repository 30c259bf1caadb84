//! The passages one search reads. Every candidate's file is known up front
//! (the lexical index stores it beside each document; meaning candidates
//! look theirs up without reading text), and text is loaded only for the
//! passages the search shows, reranks or weighs: a keyword search shows 10
//! files out of 100 candidates, and reading all 100 texts was a sixth of its
//! time.

use super::Candidate;
use crate::catalog::StoredPassage;
use crate::engine::Engine;
use crate::lexical::{name_entry_file, LexicalHit};
use crate::Result;
use std::collections::{HashMap, HashSet};

/// The candidates of one search: their files, and the passages loaded so far.
#[derive(Default)]
pub(crate) struct SearchPassages {
    files: HashMap<i64, i64>,
    loaded: HashMap<i64, StoredPassage>,
}

impl SearchPassages {
    /// The file of a candidate passage (or name entry); None for one the
    /// catalog no longer has.
    pub fn file_of(&self, id: i64) -> Option<i64> {
        self.files.get(&id).copied()
    }

    /// A loaded passage.
    pub fn get(&self, id: &i64) -> Option<&StoredPassage> {
        self.loaded.get(id)
    }
}

impl Engine {
    /// The files of a search's candidates: the lexical ones from the index's
    /// own column, name entries from their id, meaning ones from the catalog.
    pub(crate) fn candidate_files(
        &self,
        lexical: &[LexicalHit],
        vector: &[(i64, f32)],
    ) -> Result<SearchPassages> {
        let mut files: HashMap<i64, i64> =
            lexical.iter().map(|h| (h.passage_id, h.file_id)).collect();
        let mut unknown = Vec::new();
        for &(id, _) in vector {
            if files.contains_key(&id) {
                continue;
            }
            match name_entry_file(id) {
                Some(file) => {
                    files.insert(id, file);
                }
                None => unknown.push(id),
            }
        }
        files.extend(self.reader()?.passage_files(&unknown)?);
        Ok(SearchPassages {
            files,
            loaded: HashMap::new(),
        })
    }

    /// Loads the passages of `ids` not loaded yet. A candidate whose passage
    /// the catalog no longer has (a lexical document left by a crash between
    /// commits, a name entry of a deleted file) is dropped from `fused` and
    /// forgotten; returns whether any was, so the caller picks again.
    pub(crate) fn load_passages(
        &self,
        store: &mut SearchPassages,
        ids: &[i64],
        fused: &mut Vec<Candidate>,
    ) -> Result<bool> {
        let mut todo: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !store.loaded.contains_key(id))
            .collect();
        if todo.is_empty() {
            return Ok(false);
        }
        todo.sort_unstable();
        todo.dedup();
        store.loaded.extend(self.reader()?.passages_by_id(&todo)?);
        self.add_name_entries(&todo, &mut store.loaded)?;
        let gone: HashSet<i64> = todo
            .into_iter()
            .filter(|id| !store.loaded.contains_key(id))
            .collect();
        if gone.is_empty() {
            return Ok(false);
        }
        store.files.retain(|id, _| !gone.contains(id));
        fused.retain(|c| !gone.contains(&c.passage_id));
        Ok(true)
    }
}
