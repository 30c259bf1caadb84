//! The tantivy BM25 index over passages: text, title, file name and path, with
//! an English stemmer. Documents are keyed by passage id and deleted by file id.

use crate::catalog::StoredPassage;
use crate::kind::FileKind;
use crate::search::Filters;
use crate::{Error, Result};
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const ANALYZER: &str = "crumb_en";
const WRITER_MEMORY: usize = 64 << 20;

#[derive(Clone, Copy)]
struct Fields {
    passage_id: Field,
    file_id: Field,
    text: Field,
    title: Field,
    name: Field,
    path: Field,
    kind: Field,
    modified: Field,
    dir: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        passage_id: b.add_u64_field("passage_id", INDEXED | STORED | FAST),
        file_id: b.add_u64_field("file_id", INDEXED | FAST),
        text: b.add_text_field("text", analysed.clone()),
        title: b.add_text_field("title", analysed.clone()),
        name: b.add_text_field("name", analysed.clone()),
        path: b.add_text_field("path", analysed),
        kind: b.add_text_field("kind", STRING),
        modified: b.add_i64_field("modified", INDEXED | FAST),
        dir: b.add_facet_field("dir", FacetOptions::default()),
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

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
    /// Passage id.
    pub passage_id: i64,
    /// BM25 score.
    pub score: f32,
}

/// A highlighted excerpt: `text` with byte `highlights` into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snippet {
    /// The excerpt.
    pub text: String,
    /// Byte ranges of matched terms within `text`.
    pub highlights: Vec<(usize, usize)>,
    /// Byte offset of the first match within the whole passage, if any matched.
    #[serde(skip)]
    pub first_match: Option<usize>,
}

/// The lexical index.
pub struct Lexical {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: Option<Mutex<IndexWriter>>,
}

impl Lexical {
    /// Opens or creates the index in `dir`. With `writable`, takes the single
    /// writer lock; a second writer gets [`Error::Busy`].
    pub fn open(dir: &Path, writable: bool) -> Result<Lexical> {
        let (schema, fields) = schema();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir)?
        } else if writable {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
            Index::create_in_dir(dir, schema)?
        } else {
            return Err(Error::Input(format!(
                "no index in {}; run `crumb index FOLDER` first",
                dir.display()
            )));
        };
        index.tokenizers().register(ANALYZER, analyzer());
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
        })
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer
            .as_ref()
            .ok_or_else(|| Error::Bug("lexical index opened read-only".into()))?
            .lock()
            .map_err(|_| Error::Bug("lexical writer poisoned".into()))
    }

    /// Replaces every document of a file with its passages (none to delete it).
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
        for passage in passages {
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.passage_id, passage.id as u64);
            doc.add_u64(f.file_id, file.file_id as u64);
            doc.add_text(f.text, &passage.text);
            // Name, path and title are per file; adding them to the first passage
            // only would bias length normalisation, so every passage carries them.
            if let Some(t) = file.title {
                doc.add_text(f.title, t);
            }
            doc.add_text(f.name, &name);
            doc.add_text(f.path, &parent);
            doc.add_text(f.kind, file.kind.as_str());
            doc.add_i64(f.modified, file.modified_s);
            doc.add_facet(f.dir, facet.clone());
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

    /// Picks up commits made by another process.
    pub fn refresh(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    fn parse(&self, query: &str) -> Box<dyn Query> {
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.text, f.title, f.name, f.path]);
        parser.set_field_boost(f.title, 0.5);
        parser.set_field_boost(f.name, 0.5);
        parser.set_field_boost(f.path, 0.2);
        // Lenient: a stray quote or colon in what a person typed is not an error.
        let (q, _errors) = parser.parse_query_lenient(query);
        q
    }

    fn filtered(&self, q: Box<dyn Query>, filter: &Filters) -> Box<dyn Query> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, q)];
        if !filter.kinds.is_empty() {
            let kinds: Vec<(Occur, Box<dyn Query>)> = filter
                .kinds
                .iter()
                .map(|k| {
                    let t = Term::from_field_text(f.kind, k.as_str());
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(kinds))));
        }
        if let Some(folder) = &filter.folder {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.dir, &folder_facet(Path::new(folder))),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if filter.modified_after.is_some() || filter.modified_before.is_some() {
            let lo = filter
                .modified_after
                .map(|v| Bound::Included(Term::from_field_i64(f.modified, v)))
                .unwrap_or(Bound::Unbounded);
            let hi = filter
                .modified_before
                .map(|v| Bound::Excluded(Term::from_field_i64(f.modified, v)))
                .unwrap_or(Bound::Unbounded);
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// The top `limit` passages for `query` by BM25.
    pub fn search(&self, query: &str, filter: &Filters, limit: usize) -> Result<Vec<LexicalHit>> {
        let q = self.filtered(self.parse(query), filter);
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let col = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("passage_id")?;
            if let Some(id) = col.first(addr.doc_id) {
                out.push(LexicalHit {
                    passage_id: id as i64,
                    score,
                });
            }
        }
        // Equal scores come back in segment order, which depends on how the
        // writer's threads split the documents; break ties by passage id so
        // the same index always ranks the same way.
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.passage_id.cmp(&b.passage_id))
        });
        Ok(out)
    }

    /// The analysed terms of `query` (stemmed, folded, stop words dropped),
    /// as BM25 matches them.
    pub fn query_terms(&self, query: &str) -> Vec<String> {
        let mut terms = Vec::new();
        if let Some(mut analyzer) = self.index.tokenizers().get(ANALYZER) {
            let mut stream = analyzer.token_stream(query);
            while let Some(t) = stream.next() {
                if !terms.contains(&t.text) {
                    terms.push(t.text.clone());
                }
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
        if let Some(mut analyzer) = self.index.tokenizers().get(ANALYZER) {
            let mut stream = analyzer.token_stream(text);
            while let Some(t) = stream.next() {
                if let Some(k) = terms.iter().position(|q| *q == t.text) {
                    out.push((t.offset_from, t.offset_to, k));
                }
            }
        }
        out
    }

    /// Number of passages the current reader sees.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A snippet maker for `query`, built once per search: parsing the
    /// query and looking up its terms' frequencies is the costly part.
    pub fn snippets(&self, query: &str, max_chars: usize) -> Result<Snippets> {
        let q = self.parse(query);
        let searcher = self.reader.searcher();
        let mut generator = SnippetGenerator::create(&searcher, q.as_ref(), self.fields.text)?;
        generator.set_max_num_chars(max_chars);
        Ok(Snippets {
            generator,
            max_chars,
        })
    }
}

/// Makes snippets of passages around the terms of one query.
pub struct Snippets {
    generator: SnippetGenerator,
    max_chars: usize,
}

impl Snippets {
    /// A snippet of `text`, at most `max_chars` long, leading with the first match.
    pub fn snippet(&self, text: &str) -> Snippet {
        let s = self.generator.snippet(text);
        if s.highlighted().is_empty() {
            return Snippet {
                text: head(text, self.max_chars),
                highlights: Vec::new(),
                first_match: None,
            };
        }
        let mut snippet = Snippet {
            text: s.fragment().to_string(),
            highlights: s.highlighted().iter().map(|r| (r.start, r.end)).collect(),
            first_match: s
                .highlighted()
                .first()
                .map(|r| s.fragment_range().start + r.start),
        };
        lead_with_match(&mut snippet);
        snippet
    }
}

/// The facet of a folder: one level per path component.
fn folder_facet(dir: &Path) -> Facet {
    Facet::from_path(dir.components().filter_map(|c| match c {
        std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
        _ => None,
    }))
}

/// Context kept before the first match, in bytes. A result list shows a line
/// or two of each snippet, so the match must come early.
const LEAD_CONTEXT: usize = 48;

/// Drops the start of a snippet whose first match sits far in, at a word
/// boundary, marking the cut with an ellipsis.
fn lead_with_match(snippet: &mut Snippet) {
    let Some(&(first, _)) = snippet.highlights.first() else {
        return;
    };
    if first <= LEAD_CONTEXT + 16 {
        return;
    }
    let mut cut = first - LEAD_CONTEXT;
    while !snippet.text.is_char_boundary(cut) {
        cut += 1;
    }
    // Start at the next word (or line) so no word is cut in half.
    if let Some(ws) = snippet.text[cut..first].find(char::is_whitespace) {
        cut += ws;
        cut += snippet.text[cut..first].len() - snippet.text[cut..first].trim_start().len();
    }
    let prefix = "…";
    snippet.text = format!("{prefix}{}", &snippet.text[cut..]);
    let shift = prefix.len() as isize - cut as isize;
    for (s, e) in &mut snippet.highlights {
        *s = (*s as isize + shift) as usize;
        *e = (*e as isize + shift) as usize;
    }
}

/// The first `max_chars` bytes of `text`, cut at a word boundary.
fn head(text: &str, max_chars: usize) -> String {
    if text.len() <= max_chars {
        return text.to_string();
    }
    let mut cut = max_chars;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let slice = &text[..cut];
    let end = slice.rfind(char::is_whitespace).unwrap_or(cut);
    format!("{}…", slice[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_match_is_pulled_to_the_front_of_the_snippet() {
        let text = "Tomatoes against the south wall, beans on the trellis, lettuce in the shade of the apple tree. Water deeply twice a week.";
        let at = text.find("Water").unwrap();
        let mut s = Snippet {
            text: text.into(),
            highlights: vec![(at, at + 5)],
            first_match: Some(at),
        };
        lead_with_match(&mut s);
        assert!(s.text.starts_with('…'));
        let (a, b) = s.highlights[0];
        assert_eq!(&s.text[a..b], "Water");
        assert!(a <= LEAD_CONTEXT + "…".len());
        assert!(!s.text[3..].starts_with(char::is_whitespace));
    }
}
