//! From a [`ParsedQuery`] to tantivy queries.
//!
//! Each free word matches any field (text, title, name, path, with the
//! field boosts of [`Fields::weighted`]), as tantivy's own query parser
//! would build it; a word that analyses to several terms (`covid-19`, a CJK
//! run) is a phrase of them. Two kinds of alternatives join a word, each
//! inside a disjunction-max with the exact match and scaled below it, so a
//! document holding the word itself always wins:
//!
//! - **prefix**, on the last word while it is being typed: the most
//!   frequent terms of the term dictionary that start with it;
//! - **fuzzy**, on a word the index does not know: the most frequent terms
//!   within one edit (five letters or more) or two (eight or more).
//!
//! Expanded terms share one IDF, that of the most frequent expansion (as
//! Lucene's blended rewrite does): otherwise the rarest completion, usually
//! the least likely one, would score highest.
//!
//! Quoted phrases are required; exclusions remove whole files; filters are
//! required clauses.

use super::analysis::{analyse, is_cjk, Analysed};
use super::schema::Fields;
use super::{Lexical, LexicalQuery, WordEvidence};
use crate::search::{Filters, ParsedQuery};
use crate::Result;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use tantivy::collector::DocSetCollector;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DfaWrapper, DisjunctionMaxQuery, EmptyQuery,
    FuzzyTermQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

/// Shortest typed word that is also matched as a prefix (`spr` is the
/// first that narrows usefully; `sp` matches half the dictionary).
pub const PREFIX_MIN_CHARS: usize = 3;
/// Most completions of a prefix, by document frequency: the cost of a
/// keystroke is bounded by this many posting lists per field. (10, 30 and
/// 50 score the same on SciFact train, whose cut words keep 5+ letters; a
/// three-letter prefix has more plausible completions.)
const PREFIX_EXPANSIONS: usize = 30;
/// Terms read from the dictionary for one prefix before giving up on the
/// rest (a three-letter prefix of a huge index).
const PREFIX_SCAN: usize = 20_000;
/// A prefix match's score relative to an exact match of the same word.
/// SciFact train, queries cut inside their longest word: 0.5 finds a
/// relevant abstract for 74.0% of those the full query finds, 0.7 75.3%,
/// 0.85 76.5%, 1.0 77.3%; below 1 so the word itself still ranks first.
const PREFIX_WEIGHT: f32 = 0.85;
/// A word finds "little" when its term is in fewer than this many passages
/// and names; only then are near spellings tried. (2 and 3 score no better
/// on SciFact train, and cost an automaton walk for more words.)
const FUZZY_DF_BELOW: u64 = 1;
/// Most near spellings tried for one word.
const FUZZY_EXPANSIONS: usize = 10;
/// A near spelling's score relative to an exact match. SciFact train BM25
/// NDCG@10: no fuzzy 0.6866; weight 0.3 0.6885, 0.5 0.6888, 0.8 0.6893.
const FUZZY_WEIGHT: f32 = 0.8;

type Clause = Box<dyn Query>;

/// Builds the queries for one search on one searcher snapshot.
pub(super) struct Compiler<'a> {
    pub lexical: &'a Lexical,
    pub searcher: &'a Searcher,
    pub text: TextAnalyzer,
    pub plain: TextAnalyzer,
    pub keyword: TextAnalyzer,
}

impl Compiler<'_> {
    fn fields(&self) -> Fields {
        self.lexical.fields
    }

    pub fn compile(mut self, parsed: &ParsedQuery, filters: &Filters) -> Result<LexicalQuery> {
        let mut evidence = Vec::new();
        let mut words: Vec<(Occur, Clause)> = Vec::new();
        let last = parsed.words.len().saturating_sub(1);
        for (i, w) in parsed.words.iter().enumerate() {
            let partial = i == last && parsed.last_word_partial;
            if let Some(c) = self.word(w, partial, &mut evidence)? {
                words.push((Occur::Should, c));
            }
        }
        let mut positive: Vec<(Occur, Clause)> = Vec::new();
        let mut constraints: Vec<(Occur, Clause)> = Vec::new();
        for p in &parsed.phrases {
            if let Some(c) = self.phrase(&p.text, p.open, &mut evidence)? {
                positive.push((Occur::Must, c.box_clone()));
                constraints.push((Occur::Must, c));
            }
        }
        // Words are required as a group (at least one must match), unless a
        // phrase is: then the phrase is what every hit must hold, and the
        // words only rank.
        if !words.is_empty() {
            let occur = if positive.is_empty() {
                Occur::Must
            } else {
                Occur::Should
            };
            positive.push((occur, one_of(words)));
        }
        for f in self.filters(parsed, filters) {
            constraints.push((Occur::Must, f));
        }
        if let Some(ex) = self.excluded_files(parsed)? {
            constraints.push((Occur::MustNot, ex));
        }
        let scored = !positive.is_empty();
        let highlight =
            scored.then(|| all_of(positive.iter().map(|(o, q)| (*o, q.box_clone())).collect()));
        let mut clauses = positive;
        clauses.extend(constraints.iter().map(|(o, q)| (*o, q.box_clone())));
        let query = if clauses.is_empty() {
            // Text that analyses to nothing (`-`, `the `) matches nothing;
            // no text and no operators cannot get here.
            if parsed.has_text() {
                Box::new(EmptyQuery) as Clause
            } else {
                Box::new(AllQuery) as Clause
            }
        } else {
            if !scored && clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            all_of(clauses)
        };
        let constraints = (!constraints.is_empty()).then(|| {
            if constraints.iter().all(|(o, _)| *o == Occur::MustNot) {
                constraints.push((Occur::Must, Box::new(AllQuery)));
            }
            all_of(constraints)
        });
        Ok(LexicalQuery {
            searcher: self.searcher.clone(),
            query,
            highlight,
            constraints,
            scored,
            words: evidence,
        })
    }

    /// One free word: exact, plus prefix or fuzzy alternatives.
    fn word(
        &mut self,
        word: &str,
        partial: bool,
        evidence: &mut Vec<WordEvidence>,
    ) -> Result<Option<Clause>> {
        let tokens = analyse(&mut self.text, word);
        let plain = analyse(&mut self.plain, word);
        let mut ev = WordEvidence {
            tokens: tokens.iter().map(|t| t.text.clone()).collect(),
            alternatives: Vec::new(),
            idf: 0.0,
        };
        let mut alternatives: Vec<Clause> = Vec::new();
        if let Some(exact) = self.any_field(|f| Some(term_or_phrase(f, &tokens))) {
            alternatives.push(exact);
        }
        let single = plain.len() == 1;
        let typed = plain.first().map_or(0, |t| t.text.chars().count());
        let lone_cjk = single && typed == 1 && plain[0].text.chars().all(is_cjk);
        if partial && single && (typed >= PREFIX_MIN_CHARS || lone_cjk) {
            let base = prefix_base(&plain[0].text, tokens.first().map(|t| t.text.as_str()));
            let exact = tokens.first().map(|t| t.text.as_str());
            let mut found = Vec::new();
            let q = self.any_field(|f| {
                let ex = self.prefix_expansions(f, &base, exact).ok()?;
                found.extend(ex.iter().map(|(t, _)| t.clone()));
                blended(f, &ex, self.searcher.num_docs())
            });
            if let Some(q) = q {
                alternatives.push(Box::new(BoostQuery::new(q, PREFIX_WEIGHT)));
                ev.alternatives = found;
            }
        } else if !partial && tokens.len() == 1 && single && typed >= 5 {
            let t = &tokens[0].text;
            let df: u64 =
                self.doc_freq(self.fields().text, t)? + self.doc_freq(self.fields().name, t)?;
            if df < FUZZY_DF_BELOW {
                let distance = if typed >= 8 { 2 } else { 1 };
                let mut forms = vec![t.as_str(), plain[0].text.as_str()];
                forms.dedup();
                // One automaton per form, walked over each field's dictionary.
                let text = self.fields().text;
                let automata = forms
                    .iter()
                    .map(|form| {
                        FuzzyTermQuery::new(Term::from_field_text(text, form), distance, true)
                            .automaton()
                    })
                    .collect::<tantivy::Result<Vec<_>>>()?;
                let name = self.fields().name;
                let mut found = Vec::new();
                let q = self.any_field(|f| {
                    // Text and names: where a misspelt word is looked for.
                    if f != text && f != name {
                        return None;
                    }
                    let ex = self.fuzzy_expansions(f, &automata, t).ok()?;
                    found.extend(ex.iter().map(|(t, _)| t.clone()));
                    blended(f, &ex, self.searcher.num_docs())
                });
                if let Some(q) = q {
                    alternatives.push(Box::new(BoostQuery::new(q, FUZZY_WEIGHT)));
                    ev.alternatives = found;
                }
            }
        }
        ev.idf = self.word_idf(&ev.tokens)?;
        if !ev.tokens.is_empty() || !ev.alternatives.is_empty() {
            evidence.push(ev);
        }
        Ok(match alternatives.len() {
            0 => None,
            1 => alternatives.pop(),
            _ => Some(Box::new(DisjunctionMaxQuery::new(alternatives))),
        })
    }

    /// A quoted phrase, in any field; while its last word is typed, that
    /// word is a prefix (tantivy's `PhrasePrefixQuery`).
    fn phrase(
        &mut self,
        text: &str,
        open: bool,
        evidence: &mut Vec<WordEvidence>,
    ) -> Result<Option<Clause>> {
        let tokens = analyse(&mut self.text, text);
        let plain = analyse(&mut self.plain, text);
        let last_plain = plain.last().map(|t| t.text.clone()).unwrap_or_default();
        let open = open && last_plain.chars().count() >= PREFIX_MIN_CHARS;
        if tokens.is_empty() && !open {
            return Ok(None);
        }
        evidence.push(WordEvidence {
            idf: self.word_idf(&tokens.iter().map(|t| t.text.clone()).collect::<Vec<_>>())?,
            tokens: tokens.iter().map(|t| t.text.clone()).collect(),
            alternatives: Vec::new(),
        });
        if !open {
            return Ok(self.any_field(|f| Some(term_or_phrase(f, &tokens))));
        }
        // The typed end of the phrase: its last plain token. Earlier tokens
        // are exact; stop words among them leave gaps, as in the index.
        let last_pos = plain.last().map_or(0, |t| t.position);
        let stemmed_last = tokens.last().filter(|t| t.position == last_pos);
        let base = prefix_base(&last_plain, stemmed_last.map(|t| t.text.as_str()));
        let head: Vec<&Analysed> = tokens.iter().filter(|t| t.position != last_pos).collect();
        if head.is_empty() {
            let mut found = Vec::new();
            let q = self.any_field(|f| {
                let ex = self.prefix_expansions(f, &base, None).ok()?;
                found.extend(ex.iter().map(|(t, _)| t.clone()));
                blended(f, &ex, self.searcher.num_docs())
            });
            if let Some(ev) = evidence.last_mut() {
                ev.alternatives = found;
            }
            return Ok(q);
        }
        Ok(self.any_field(|f| {
            let mut terms: Vec<(usize, Term)> = head
                .iter()
                .map(|t| (t.position, Term::from_field_text(f, &t.text)))
                .collect();
            terms.push((last_pos, Term::from_field_text(f, &base)));
            Some(Box::new(PhrasePrefixQuery::new_with_offset(terms)) as Clause)
        }))
    }

    /// Joins per-field clauses of one word: a sum over fields, each with
    /// its boost, as tantivy's query parser joins default fields.
    fn any_field(&self, mut build: impl FnMut(Field) -> Option<Clause>) -> Option<Clause> {
        let mut per_field: Vec<(Occur, Clause)> = Vec::new();
        for (f, boost) in self.fields().weighted() {
            if let Some(q) = build(f) {
                let q: Clause = if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                };
                per_field.push((Occur::Should, q));
            }
        }
        match per_field.len() {
            0 => None,
            1 => per_field.pop().map(|(_, q)| q),
            _ => Some(Box::new(BooleanQuery::new(per_field))),
        }
    }

    /// Terms of `field` starting with `prefix`, most frequent first, the
    /// exact term left out (it is matched already).
    fn prefix_expansions(
        &self,
        field: Field,
        prefix: &str,
        exact: Option<&str>,
    ) -> Result<Vec<(String, u64)>> {
        let mut dfs: HashMap<Vec<u8>, u64> = HashMap::new();
        for seg in self.searcher.segment_readers() {
            let inverted = seg.inverted_index(field)?;
            let mut range = inverted.terms().range().ge(prefix.as_bytes());
            if let Some(end) = prefix_end(prefix.as_bytes()) {
                range = range.lt(end);
            }
            let mut stream = range.into_stream().map_err(tantivy::TantivyError::from)?;
            let mut scanned = 0;
            while scanned < PREFIX_SCAN && stream.advance() {
                *dfs.entry(stream.key().to_vec()).or_default() +=
                    u64::from(stream.value().doc_freq);
                scanned += 1;
            }
        }
        Ok(top_terms(dfs, exact, PREFIX_EXPANSIONS))
    }

    /// Terms of `field` matched by any of the automata (the stemmed and the
    /// typed form of a word within its edit distance; a transposition is one
    /// edit), most frequent first. Index terms are stems, and a typo can stop
    /// the stemmer from cutting an ending, so both forms are tried.
    fn fuzzy_expansions(
        &self,
        field: Field,
        automata: &[DfaWrapper],
        skip: &str,
    ) -> Result<Vec<(String, u64)>> {
        let mut dfs: HashMap<Vec<u8>, u64> = HashMap::new();
        for seg in self.searcher.segment_readers() {
            let inverted = seg.inverted_index(field)?;
            // A term matching both forms counts once per segment.
            let mut in_segment: HashMap<Vec<u8>, u64> = HashMap::new();
            for automaton in automata {
                let mut stream = inverted
                    .terms()
                    .search(automaton)
                    .into_stream()
                    .map_err(tantivy::TantivyError::from)?;
                while stream.advance() {
                    in_segment.insert(stream.key().to_vec(), u64::from(stream.value().doc_freq));
                }
            }
            for (k, df) in in_segment {
                *dfs.entry(k).or_default() += df;
            }
        }
        Ok(top_terms(dfs, Some(skip), FUZZY_EXPANSIONS))
    }

    fn doc_freq(&self, field: Field, text: &str) -> Result<u64> {
        Ok(self
            .searcher
            .doc_freq(&Term::from_field_text(field, text))?)
    }

    /// A word's weight in coverage: the IDF of its rarest term in the text.
    fn word_idf(&self, tokens: &[String]) -> Result<f32> {
        let n = self.searcher.num_docs();
        let mut best: f32 = 0.0;
        for t in tokens {
            best = best.max(idf(self.doc_freq(self.fields().text, t)?, n));
        }
        Ok(best)
    }

    /// Kind, extension, folder and date restrictions, from the request's
    /// filters and the query's operators; each is required.
    fn filters(&mut self, parsed: &ParsedQuery, filters: &Filters) -> Vec<Clause> {
        let f = self.fields();
        let mut out: Vec<Clause> = Vec::new();
        let term = |field: Field, v: &str| -> Clause {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        if !filters.kinds.is_empty() {
            out.push(one_of(
                filters
                    .kinds
                    .iter()
                    .map(|k| (Occur::Should, term(f.kind, k.as_str())))
                    .collect(),
            ));
        }
        if !parsed.kinds.is_empty() || !parsed.extensions.is_empty() {
            let kinds = parsed.kinds.iter().map(|k| term(f.kind, k.as_str()));
            let exts = parsed.extensions.iter().map(|e| term(f.ext, e));
            out.push(one_of(
                kinds.chain(exts).map(|q| (Occur::Should, q)).collect(),
            ));
        }
        if let Some(folder) = &filters.folder {
            out.push(facet_query(f.dir, Path::new(folder)));
        }
        for folder in &parsed.folders {
            if let Some(path) = absolute_folder(folder) {
                out.push(facet_query(f.dir, &path));
                continue;
            }
            // A relative `in:a/b` needs a folder named a and one named b above the file.
            for name in folder.split(['/', '\\']).filter(|s| !s.is_empty()) {
                let key = analyse(&mut self.keyword, name);
                if let Some(k) = key.first() {
                    out.push(term(f.folders, &k.text));
                }
            }
        }
        let after = max_opt(filters.modified_after, parsed.modified_after);
        let before = min_opt(filters.modified_before, parsed.modified_before);
        if after.is_some() || before.is_some() {
            let lo = after.map_or(Bound::Unbounded, |v| {
                Bound::Included(Term::from_field_i64(f.modified, v))
            });
            let hi = before.map_or(Bound::Unbounded, |v| {
                Bound::Excluded(Term::from_field_i64(f.modified, v))
            });
            out.push(Box::new(RangeQuery::new(lo, hi)));
        }
        out
    }

    /// Files holding any excluded word or phrase, as a clause to forbid.
    /// Exclusion is per file: a file that mentions the word anywhere is out,
    /// not just its passages that do.
    fn excluded_files(&mut self, parsed: &ParsedQuery) -> Result<Option<Clause>> {
        let mut any: Vec<(Occur, Clause)> = Vec::new();
        for text in &parsed.excluded {
            let tokens = analyse(&mut self.text, text);
            if let Some(q) = self.any_field(|f| Some(term_or_phrase(f, &tokens))) {
                any.push((Occur::Should, q));
            }
        }
        if any.is_empty() {
            return Ok(None);
        }
        let docs = self.searcher.search(&one_of(any), &DocSetCollector)?;
        let mut files = Vec::new();
        for addr in docs {
            let col = self
                .searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("file_id")?;
            if let Some(id) = col.first(addr.doc_id) {
                files.push(Term::from_field_u64(self.fields().file_id, id));
            }
        }
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(TermSetQuery::new(files))))
    }
}

/// A term, or the phrase of several terms (positions kept, so stop words
/// leave their gap).
fn term_or_phrase(field: Field, tokens: &[Analysed]) -> Clause {
    match tokens {
        [] => Box::new(EmptyQuery),
        [t] => Box::new(TermQuery::new(
            Term::from_field_text(field, &t.text),
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(
            tokens
                .iter()
                .map(|t| (t.position, Term::from_field_text(field, &t.text)))
                .collect(),
        )),
    }
}

/// The expansions of one word in one field, as a disjunction-max of term
/// queries sharing the IDF of the most frequent one.
fn blended(field: Field, expansions: &[(String, u64)], num_docs: u64) -> Option<Clause> {
    let max_df = expansions.iter().map(|e| e.1).max()?;
    let shared = idf(max_df, num_docs);
    let terms: Vec<Clause> = expansions
        .iter()
        .map(|(text, df)| {
            let q = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            Box::new(BoostQuery::new(Box::new(q), shared / idf(*df, num_docs))) as Clause
        })
        .collect();
    Some(Box::new(DisjunctionMaxQuery::new(terms)))
}

/// BM25's IDF, as tantivy computes it.
fn idf(df: u64, n: u64) -> f32 {
    let (df, n) = (df as f32, n.max(1) as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The most frequent `limit` terms, `skip` left out, ties broken by text so
/// the choice is deterministic.
fn top_terms(dfs: HashMap<Vec<u8>, u64>, skip: Option<&str>, limit: usize) -> Vec<(String, u64)> {
    let mut terms: Vec<(String, u64)> = dfs
        .into_iter()
        .filter_map(|(k, df)| String::from_utf8(k).ok().map(|t| (t, df)))
        .filter(|(t, _)| Some(t.as_str()) != skip)
        .collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(limit);
    terms
}

/// What a typed word is a prefix of in the index: its terms are stems, and
/// the stem of a half-typed word may end differently (`happy` → `happi`),
/// so the prefix is what the typed form and its stem share.
fn prefix_base(plain: &str, stemmed: Option<&str>) -> String {
    let Some(stem) = stemmed else {
        return plain.to_string();
    };
    let common: String = plain
        .chars()
        .zip(stem.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    if common.chars().count() >= PREFIX_MIN_CHARS.min(plain.chars().count()) {
        common
    } else {
        plain.to_string()
    }
}

/// The first byte string after every string that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn one_of(clauses: Vec<(Occur, Clause)>) -> Clause {
    if clauses.len() == 1 {
        if let Some((_, q)) = clauses.into_iter().next() {
            return q;
        }
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(clauses))
}

fn all_of(mut clauses: Vec<(Occur, Clause)>) -> Clause {
    if clauses.len() == 1 && clauses[0].0 == Occur::Must {
        if let Some((_, q)) = clauses.pop() {
            return q;
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

fn facet_query(field: Field, dir: &Path) -> Clause {
    Box::new(TermQuery::new(
        Term::from_facet(field, &super::folder_facet(dir)),
        IndexRecordOption::Basic,
    ))
}

/// `in:` values naming an absolute folder (or one under the home folder,
/// `~/work`), resolved as the index stores paths: canonical.
fn absolute_folder(value: &str) -> Option<PathBuf> {
    let path = if let Some(rest) = value.strip_prefix("~/") {
        directories::BaseDirs::new()?.home_dir().join(rest)
    } else {
        let p = PathBuf::from(value);
        if !p.is_absolute() {
            return None;
        }
        p
    };
    Some(path.canonicalize().unwrap_or(path))
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).max()
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_base_is_what_typed_form_and_stem_share() {
        assert_eq!(prefix_base("biomate", Some("biomat")), "biomat");
        assert_eq!(prefix_base("happy", Some("happi")), "happ");
        assert_eq!(prefix_base("spreadsh", Some("spreadsh")), "spreadsh");
        assert_eq!(prefix_base("the", None), "the");
    }

    #[test]
    fn prefix_end_is_the_next_string() {
        assert_eq!(prefix_end(b"abc").as_deref(), Some(&b"abd"[..]));
        assert_eq!(prefix_end(b"a\xff").as_deref(), Some(&b"b"[..]));
        assert_eq!(prefix_end(b"\xff"), None);
    }

    #[test]
    fn expansions_share_the_idf_of_the_most_frequent() {
        let terms = top_terms(
            HashMap::from([
                (b"cell".to_vec(), 5),
                (b"cellular".to_vec(), 50),
                (b"cello".to_vec(), 1),
            ]),
            Some("cell"),
            2,
        );
        assert_eq!(
            terms,
            [("cellular".to_string(), 50), ("cello".to_string(), 1)]
        );
        assert!(idf(1, 1000) > idf(50, 1000));
    }
}
