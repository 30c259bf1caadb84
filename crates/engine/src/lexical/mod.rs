//! The tantivy BM25 index: one document per passage (text, title, file name
//! and folder path), and one name entry per file without passages, so every
//! crawled file can be found by its name. Documents are keyed by passage id
//! and deleted by file id.
//!
//! - `analysis`: how text becomes terms (words, CJK bigrams, folding, stems);
//! - `schema`: the fields;
//! - `compile`: a parsed query to tantivy queries (prefix, fuzzy, phrases,
//!   exclusions, filters);
//! - `snippet`: highlighted excerpts.

mod analysis;
mod compile;
mod count;
mod schema;
mod snippet;
mod stem;

pub use analysis::{is_cjk, text_analyzer, WordTokenizer};
pub use snippet::Snippets;

use crate::catalog::StoredPassage;
use crate::kind::FileKind;
use crate::search::{Filters, ParsedQuery};
use crate::{Error, Result};
use analysis::{analyse, KEYWORD_ANALYZER, TEXT_ANALYZER};
use schema::{schema, Fields};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

const WRITER_MEMORY: usize = 64 << 20;

/// Segments below this many documents always count as small (see
/// [`Lexical::merge_small_segments`]).
const SMALL_SEGMENT_DOCS: u32 = 20_000;

/// What the lexical index needs to know about a passage's file.
#[derive(Debug, Clone)]
pub struct FileFields<'a> {
    /// Catalog file id.
    pub file_id: i64,
    /// Absolute path.
    pub path: &'a str,
    /// Document title.
    pub title: Option<&'a str>,
    /// Kind.
    pub kind: FileKind,
    /// Modification time, seconds since the epoch.
    pub modified_s: i64,
}

/// One lexical match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexicalHit {
    /// Passage id, or a [`name_entry_id`] when a file's name entry matched.
    pub passage_id: i64,
    /// BM25 score (0 when the query has no words, only filters).
    pub score: f32,
    /// The passage's file, from the index's own column: a search groups its
    /// candidates into files without reading the catalog.
    pub file_id: i64,
}

/// The id under which a file's name entry (no passage) appears in results:
/// the negated file id, which no passage id can be.
pub fn name_entry_id(file_id: i64) -> i64 {
    -file_id
}

/// The file whose name entry `id` is, if it is one.
pub fn name_entry_file(id: i64) -> Option<i64> {
    (id < 0).then_some(-id)
}

/// A highlighted excerpt: `text` with byte `highlights` into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snippet {
    /// The excerpt.
    pub text: String,
    /// Byte ranges of matched terms within `text`, sorted, not overlapping.
    pub highlights: Vec<(usize, usize)>,
    /// Byte offset of the first match within the whole passage, if any matched.
    #[serde(skip)]
    pub first_match: Option<usize>,
}

/// A query compiled for one searcher snapshot: built once per search, then
/// used for the BM25 list, for admitting vector candidates, for snippets
/// and for the confidence evidence.
pub struct LexicalQuery {
    searcher: Searcher,
    /// Everything: words, phrases, filters, exclusions.
    query: Box<dyn Query>,
    /// The words and phrases alone (what snippets highlight).
    highlight: Option<Box<dyn Query>>,
    /// Phrases, filters and exclusions alone; None when nothing restricts.
    constraints: Option<Box<dyn Query>>,
    /// Whether there are words or phrases to score by (else: newest first).
    scored: bool,
    words: Vec<WordEvidence>,
}

/// One query word as evidence of a match: its terms, the prefix or fuzzy
/// terms standing in for it, and its weight.
#[derive(Debug, Clone)]
pub(crate) struct WordEvidence {
    tokens: Vec<String>,
    alternatives: Vec<String>,
    idf: f32,
}

/// How much of a query a passage covers; see [`Lexical::coverage`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    /// IDF-weighted share of the query's words present, 0 to 1.
    pub share: f32,
    /// Sum of the IDF of the words present.
    pub idf: f32,
    /// That sum in units of the rarest possible word's IDF (one that a
    /// single document holds), so that thresholds hold across index sizes.
    pub rare_words: f32,
    /// Words in the query.
    pub words: usize,
}

impl LexicalQuery {
    /// True when phrases, filters or exclusions restrict what may match.
    pub fn has_constraints(&self) -> bool {
        self.constraints.is_some()
    }

    /// True when there are words or phrases to score by.
    pub fn has_text(&self) -> bool {
        self.scored
    }
}

/// The lexical index.
pub struct Lexical {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: Option<Mutex<IndexWriter>>,
    dir: PathBuf,
    /// The index on disk was written with another schema (an older Crumb).
    outdated: bool,
    /// `meta.json` as of the last [`Lexical::refresh`].
    seen_meta: Mutex<Option<MetaStamp>>,
}

/// What changes when a commit replaces `meta.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MetaStamp {
    len: u64,
    modified: std::time::SystemTime,
    #[cfg(unix)]
    inode: u64,
}

impl MetaStamp {
    fn of(dir: &Path) -> Option<MetaStamp> {
        let m = std::fs::metadata(dir.join("meta.json")).ok()?;
        Some(MetaStamp {
            len: m.len(),
            modified: m.modified().ok()?,
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&m),
        })
    }
}

impl Lexical {
    /// Opens or creates the index in `dir`. With `writable`, takes the single
    /// writer lock; a second writer gets [`Error::Busy`].
    ///
    /// An index written with another schema (an older Crumb) opens as
    /// [`Lexical::is_outdated`]: a writer must then [`Lexical::rebuild`] it
    /// (after marking every catalog file unsynced, so the catalog refills it);
    /// a reader gets an error saying how to upgrade.
    pub fn open(dir: &Path, writable: bool) -> Result<Lexical> {
        let (schema, fields) = schema();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir)?
        } else if writable {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
            Index::create_in_dir(dir, schema.clone())?
        } else {
            return Err(Error::Input(format!(
                "no index in {}; run `crumb index FOLDER` first",
                dir.display()
            )));
        };
        let outdated = index.schema() != schema;
        if outdated && !writable {
            return Err(Error::Input(format!(
                "the keyword index in {} was built by an older Crumb; run `crumb index` (or open the app) once to rebuild it",
                dir.display()
            )));
        }
        Self::with_index(index, dir, fields, writable, outdated)
    }

    fn with_index(
        index: Index,
        dir: &Path,
        fields: Fields,
        writable: bool,
        outdated: bool,
    ) -> Result<Lexical> {
        register_analyzers(&index);
        let writer = if writable {
            match index.writer(WRITER_MEMORY) {
                Ok(w) => Some(Mutex::new(w)),
                Err(tantivy::TantivyError::LockFailure(..)) => {
                    return Err(Error::Busy(dir.to_path_buf()))
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Lexical {
            index,
            reader,
            fields,
            writer,
            dir: dir.to_path_buf(),
            outdated,
            seen_meta: Mutex::new(None),
        })
    }

    /// True when the index on disk has an older schema and must be rebuilt.
    pub fn is_outdated(&self) -> bool {
        self.outdated
    }

    /// Replaces an outdated index with an empty one of the current schema.
    /// The caller refills it from the catalog, the source of truth.
    pub fn rebuild(self) -> Result<Lexical> {
        tracing::info!(target: "lexical", dir = %self.dir.display(), "rebuilding the keyword index with the current schema");
        // Let go of the old index, its writer and its lock before removing its files.
        let dir = self.dir.clone();
        drop(self);
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Error::io(format!("remove {}", dir.display()), e))?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(&dir, schema)?;
        Self::with_index(index, &dir, fields, true, false)
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        if self.outdated {
            return Err(Error::Bug("write to an outdated lexical index".into()));
        }
        self.writer
            .as_ref()
            .ok_or_else(|| Error::Bug("lexical index opened read-only".into()))?
            .lock()
            .map_err(|_| Error::Bug("lexical writer poisoned".into()))
    }

    /// Replaces every document of a file with its passages; a file without
    /// passages (no text, failed, skipped) gets a name entry instead.
    pub fn put_file(&self, file: &FileFields<'_>, passages: &[StoredPassage]) -> Result<()> {
        let f = self.fields;
        let w = self.writer()?;
        w.delete_term(Term::from_field_u64(f.file_id, file.file_id as u64));
        let p = Path::new(file.path);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let parent = p.parent().map(|d| d.to_string_lossy()).unwrap_or_default();
        let facet = p.parent().map(folder_facet).unwrap_or_else(Facet::root);
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let folders: Vec<String> = p
            .parent()
            .into_iter()
            .flat_map(|d| d.components())
            .filter_map(|c| match c {
                std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let file_doc = |passage_id: u64| {
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.passage_id, passage_id);
            doc.add_u64(f.file_id, file.file_id as u64);
            // Name, path and title are per file; adding them to the first passage
            // only would bias length normalisation, so every passage carries them.
            if let Some(t) = file.title {
                doc.add_text(f.title, t);
            }
            doc.add_text(f.name, &name);
            doc.add_text(f.path, &parent);
            doc.add_text(f.kind, file.kind.as_str());
            if !ext.is_empty() {
                doc.add_text(f.ext, &ext);
            }
            for folder in &folders {
                doc.add_text(f.folders, folder);
            }
            doc.add_i64(f.modified, file.modified_s);
            doc.add_facet(f.dir, facet.clone());
            doc
        };
        if passages.is_empty() {
            w.add_document(file_doc(0))?;
        }
        for passage in passages {
            let mut doc = file_doc(passage.id as u64);
            doc.add_text(f.text, &passage.text);
            w.add_document(doc)?;
        }
        Ok(())
    }

    /// Deletes every document of a file.
    pub fn delete_file(&self, file_id: i64) -> Result<()> {
        self.writer()?
            .delete_term(Term::from_field_u64(self.fields.file_id, file_id as u64));
        Ok(())
    }

    /// Makes pending changes durable and visible.
    pub fn commit(&self) -> Result<()> {
        self.writer()?.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges the small segments a bulk run leaves behind into one. Each
    /// commit writes a segment, and tantivy's background merges die with a
    /// short-lived process (`crumb index`), so a run could leave a dozen: a
    /// search walks every segment's term dictionaries and postings, and at
    /// SciFact size most of a keyword query's time went to the ten small
    /// ones. Segments past an eighth of the largest are left alone:
    /// rewriting them costs more than it saves.
    pub fn merge_small_segments(&self) -> Result<()> {
        let metas = self.index.searchable_segment_metas()?;
        let largest = metas.iter().map(|m| m.max_doc()).max().unwrap_or(0);
        let limit = (largest / 8).max(SMALL_SEGMENT_DOCS);
        let small: Vec<tantivy::index::SegmentId> = metas
            .iter()
            .filter(|m| m.max_doc() < limit)
            .map(|m| m.id())
            .collect();
        if small.len() < 2 {
            return Ok(());
        }
        let merged = self.writer()?.merge(&small).wait();
        match merged {
            Ok(_) => self.reader.reload()?,
            // A background merge already holds some of them: it will leave
            // fewer segments too.
            Err(e) => tracing::debug!(target: "lexical", error = %e, "small segments not merged"),
        }
        Ok(())
    }

    /// Picks up commits made by another process. A commit replaces
    /// `meta.json`, so while its stamp is the one last seen there is nothing
    /// to pick up: one `stat`, where a reload reads and parses the file and
    /// reopens every segment (a twentieth of a keyword search).
    pub fn refresh(&self) -> Result<()> {
        let stamp = MetaStamp::of(&self.dir);
        let mut seen = self
            .seen_meta
            .lock()
            .map_err(|_| Error::Bug("lexical meta stamp poisoned".into()))?;
        if stamp.is_some() && *seen == stamp {
            return Ok(());
        }
        self.reader.reload()?;
        *seen = stamp;
        Ok(())
    }

    fn analyzer(&self, name: &str) -> Result<TextAnalyzer> {
        self.index
            .tokenizers()
            .get(name)
            .ok_or_else(|| Error::Bug(format!("analyser {name} not registered")))
    }

    /// Compiles a parsed query, with the request's filters, against the
    /// current snapshot.
    pub fn query(&self, parsed: &ParsedQuery, filters: &Filters) -> Result<LexicalQuery> {
        let searcher = self.reader.searcher();
        compile::Compiler {
            lexical: self,
            searcher: &searcher,
            text: self.analyzer(TEXT_ANALYZER)?,
            plain: analysis::plain_analyzer(),
            keyword: self.analyzer(KEYWORD_ANALYZER)?,
        }
        .compile(parsed, filters)
    }

    /// The top `limit` passages (and name entries) for a query: by BM25, or
    /// newest first when the query has only filters.
    pub fn search(&self, q: &LexicalQuery, limit: usize) -> Result<Vec<LexicalHit>> {
        let searcher = &q.searcher;
        let top: Vec<(f32, DocAddress)> = if q.scored {
            searcher.search(
                &q.query,
                &TopDocs::with_limit(limit.max(1)).order_by_score(),
            )?
        } else {
            searcher
                .search(
                    &q.query,
                    &TopDocs::with_limit(limit.max(1))
                        .order_by_fast_field::<i64>("modified", Order::Desc),
                )?
                .into_iter()
                .map(|(_, addr)| (0.0, addr))
                .collect()
        };
        let mut out = Vec::with_capacity(top.len());
        let mut ids = ResultIds::new(searcher);
        for (score, addr) in top {
            if let Some((id, file_id)) = ids.get_with_file(addr)? {
                out.push(LexicalHit {
                    passage_id: id,
                    score,
                    file_id,
                });
            }
        }
        // Equal scores come back in segment order, which depends on how the
        // writer's threads split the documents; break ties by id so the same
        // index always ranks the same way.
        if q.scored {
            out.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(a.passage_id.cmp(&b.passage_id))
            });
        }
        Ok(out)
    }

    /// How many files the query matches by their words or names, filters
    /// applied (not by meaning: every file is near a query in some measure).
    pub fn count_files(&self, q: &LexicalQuery) -> Result<u64> {
        Ok(q.searcher
            .search(q.query.as_ref(), &count::DistinctFiles)?
            .len() as u64)
    }

    /// Every passage the query's phrases, filters and exclusions admit,
    /// sorted, when there are at most `limit` of them (`None` otherwise, or
    /// without constraints): a selective filter, one folder or one type, lets
    /// meaning search score just these instead of over-fetching from the
    /// whole index and starving the filter.
    pub fn admitted_passages(&self, q: &LexicalQuery, limit: usize) -> Result<Option<Vec<i64>>> {
        let Some(constraints) = &q.constraints else {
            return Ok(None);
        };
        if q.searcher.search(constraints.as_ref(), &Count)? > limit {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut ids = ResultIds::new(&q.searcher);
        for addr in q.searcher.search(constraints.as_ref(), &DocSetCollector)? {
            if let Some(id) = ids.get(addr)?.filter(|&id| id > 0) {
                out.push(id);
            }
        }
        out.sort_unstable();
        Ok(Some(out))
    }

    /// Which of `passages` satisfy the query's phrases, filters and
    /// exclusions: how results found by meaning obey the same operators.
    pub fn admit(&self, q: &LexicalQuery, passages: &[i64]) -> Result<HashSet<i64>> {
        let Some(constraints) = &q.constraints else {
            return Ok(passages.iter().copied().collect());
        };
        let ids = passages
            .iter()
            .filter(|&&p| p > 0)
            .map(|&p| Term::from_field_u64(self.fields.passage_id, p as u64));
        let query = BooleanQuery::new(vec![
            (Occur::Must, constraints.box_clone()),
            (Occur::Must, Box::new(TermSetQuery::new(ids))),
        ]);
        let mut out = HashSet::new();
        let mut ids = ResultIds::new(&q.searcher);
        for addr in q.searcher.search(&query, &DocSetCollector)? {
            if let Some(id) = ids.get(addr)? {
                out.insert(id);
            }
        }
        Ok(out)
    }

    /// How much of the query `texts` (a passage, a file name) cover: the
    /// IDF-weighted share of query words found in them (prefix and fuzzy
    /// stand-ins included), and the IDF those found words carry. A share of
    /// 1 means every word is there; the IDF tells rare words from common
    /// ones (`show the result` is covered by any abstract, with little IDF).
    pub fn coverage(&self, q: &LexicalQuery, texts: &[&str]) -> Result<Coverage> {
        // Only the query's words and their stand-ins are looked for, so the
        // rest of the text need not be stemmed.
        let mut analyzer = analysis::text_analyzer_towards(
            q.words
                .iter()
                .flat_map(|w| w.tokens.iter().chain(&w.alternatives))
                .map(String::as_str),
        );
        let mut present: HashSet<String> = HashSet::new();
        for t in texts {
            present.extend(analyse(&mut analyzer, t).into_iter().map(|a| a.text));
        }
        let (mut found, mut total) = (0.0f32, 0.0f32);
        for w in &q.words {
            total += w.idf;
            let exact = !w.tokens.is_empty() && w.tokens.iter().all(|t| present.contains(t));
            if exact || w.alternatives.iter().any(|t| present.contains(t)) {
                found += w.idf;
            }
        }
        let n = q.searcher.num_docs().max(1) as f32;
        // BM25's IDF of a term in one document: the most a word can weigh.
        let rarest = (1.0 + (n - 0.5) / 1.5).ln();
        Ok(Coverage {
            share: if total > 0.0 { found / total } else { 0.0 },
            idf: found,
            rare_words: found / rarest,
            words: q.words.len(),
        })
    }

    /// Number of passages the current reader sees (name entries are not
    /// counted, so this equals the catalog's passage count when in step).
    pub fn num_docs(&self) -> u64 {
        let searcher = self.reader.searcher();
        let entries = TermQuery::new(
            Term::from_field_u64(self.fields.passage_id, 0),
            IndexRecordOption::Basic,
        );
        let names = searcher.search(&entries, &Count).unwrap_or(0) as u64;
        searcher.num_docs().saturating_sub(names)
    }

    /// A snippet maker for a query, built once per search: looking up its
    /// terms' frequencies is the costly part.
    pub fn snippets(&self, q: &LexicalQuery, max_chars: usize) -> Result<Snippets> {
        let make = {
            let searcher = q.searcher.clone();
            let highlight = q.highlight.as_ref().map(|h| h.box_clone());
            move |field| -> Result<Option<snippet::Highlighter>> {
                let Some(h) = &highlight else {
                    return Ok(None);
                };
                Ok(Some(snippet_generator(
                    &searcher,
                    h.as_ref(),
                    field,
                    max_chars,
                )?))
            }
        };
        let name_field = self.fields.name;
        Ok(Snippets {
            text: make(self.fields.text)?,
            name: Default::default(),
            // Failing to highlight a name is not worth failing the search.
            make_name: Box::new(move || make(name_field).ok().flatten()),
            max_chars,
        })
    }

    /// The analysed terms of `query` (folded, stemmed, stop words dropped),
    /// as BM25 matches them, without repeats: what the reranker's windows are
    /// placed around.
    pub fn query_terms(&self, query: &str) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for t in self.terms(query).unwrap_or_default() {
            if !terms.contains(&t) {
                terms.push(t);
            }
        }
        terms
    }

    /// Where `terms` (from [`Lexical::query_terms`]) occur in `text`: byte
    /// ranges with the index of the term matched, in text order.
    pub fn term_matches(&self, text: &str, terms: &[String]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        if terms.is_empty() {
            return out;
        }
        if let Ok(mut a) = self.analyzer(TEXT_ANALYZER) {
            let mut stream = a.token_stream(text);
            while stream.advance() {
                let t = stream.token();
                if let Some(k) = terms.iter().position(|q| *q == t.text) {
                    out.push((t.offset_from, t.offset_to, k));
                }
            }
        }
        out
    }

    /// Terms the text analyser makes of `text` (for tests and tools).
    pub fn terms(&self, text: &str) -> Result<Vec<String>> {
        let mut a = self.analyzer(TEXT_ANALYZER)?;
        Ok(analyse(&mut a, text).into_iter().map(|t| t.text).collect())
    }
}

/// tantivy's `SnippetGenerator::create`, with an analyser that stems only
/// the words that can match: stemming every word of every passage shown
/// was a fifth of a keyword search. Terms weigh 1 / (1 + document
/// frequency), as there.
fn snippet_generator(
    searcher: &Searcher,
    query: &dyn Query,
    field: tantivy::schema::Field,
    max_chars: usize,
) -> Result<snippet::Highlighter> {
    let mut terms: std::collections::BTreeSet<&Term> = Default::default();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term);
        }
    });
    let mut weights: rustc_hash::FxHashMap<String, f32> = Default::default();
    for term in terms {
        let value = term.value();
        let Some(text) = value.as_str() else {
            continue;
        };
        let df = searcher.doc_freq(term)?;
        if df > 0 {
            weights.insert(text.to_string(), 1.0 / (1.0 + df as f32));
        }
    }
    let analyzer = analysis::text_analyzer_towards(weights.keys().map(String::as_str));
    Ok(snippet::Highlighter::new(weights, analyzer, max_chars))
}

/// Reads documents' result ids (passage id, or a file's name entry id),
/// opening each segment's id columns once: looking a column up by name for
/// every document was a twentieth of a keyword search.
struct ResultIds<'s> {
    searcher: &'s Searcher,
    columns: Vec<Option<(Column<u64>, Column<u64>)>>,
}

impl<'s> ResultIds<'s> {
    fn new(searcher: &'s Searcher) -> ResultIds<'s> {
        ResultIds {
            searcher,
            columns: vec![None; searcher.segment_readers().len()],
        }
    }

    fn get(&mut self, addr: DocAddress) -> Result<Option<i64>> {
        Ok(self.get_with_file(addr)?.map(|(id, _)| id))
    }

    /// The result id and the file id of a document.
    fn get_with_file(&mut self, addr: DocAddress) -> Result<Option<(i64, i64)>> {
        let slot = self
            .columns
            .get_mut(addr.segment_ord as usize)
            .ok_or_else(|| Error::Bug("document of an unknown segment".into()))?;
        if slot.is_none() {
            let fast = self.searcher.segment_reader(addr.segment_ord).fast_fields();
            *slot = Some((fast.u64("passage_id")?, fast.u64("file_id")?));
        }
        let Some((passage, file)) = slot.as_ref() else {
            return Ok(None);
        };
        let (Some(p), Some(f)) = (passage.first(addr.doc_id), file.first(addr.doc_id)) else {
            return Ok(None);
        };
        let f = f as i64;
        Ok(Some((if p == 0 { name_entry_id(f) } else { p as i64 }, f)))
    }
}

fn register_analyzers(index: &Index) {
    index
        .tokenizers()
        .register(TEXT_ANALYZER, analysis::text_analyzer());
    index
        .tokenizers()
        .register(KEYWORD_ANALYZER, analysis::keyword_analyzer());
}

/// The facet of a folder: one level per path component.
fn folder_facet(dir: &Path) -> Facet {
    Facet::from_path(dir.components().filter_map(|c| match c {
        std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
        _ => None,
    }))
}
