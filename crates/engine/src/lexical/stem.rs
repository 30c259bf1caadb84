//! The English Snowball stemmer, remembering the words it has stemmed.
//!
//! Stemming is most of what analysing text costs: a keyword search stems
//! every word of the passages it shows (snippets) and weighs (coverage), and
//! indexing stems every word it writes. Words repeat (a few thousand make
//! up most of any text), so a memo per thread turns most stems into one hash
//! lookup. The stems are frostem's, the crate tantivy's own `Stemmer` uses,
//! unchanged: the index on disk and the queries still agree (tested below).

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered per thread; the memo starts over when full, which keeps
/// it to a few megabytes however varied the text.
const MEMO_WORDS: usize = 100_000;

thread_local! {
    static MEMO: RefCell<FxHashMap<Box<str>, Box<str>>> = RefCell::new(FxHashMap::default());
}

/// Trailing bytes in which an English Snowball stem may differ from its
/// word: two (`dying` → `die`, `possibility` → `possibl`; over the 68k
/// distinct words of SciFact and the Debian docs no stem differs in more),
/// and one more for safety.
const STEM_TAIL: usize = 3;

/// The English stemmer as a tantivy token filter.
#[derive(Clone, Default)]
pub struct EnglishStemmer {
    gate: Option<Arc<Gate>>,
}

impl EnglishStemmer {
    /// A stemmer for finding `stems` only (snippets, coverage): a word that
    /// cannot stem to one of them comes out empty, unstemmed (see [`Gate`]).
    /// What matches is what the full stemmer matches; most words skip the
    /// stemmer.
    pub fn only_towards<'a>(stems: impl IntoIterator<Item = &'a str>) -> EnglishStemmer {
        EnglishStemmer {
            gate: Gate::new(stems).map(Arc::new),
        }
    }
}

/// The words that may stem to one of a set of stems: those that start with
/// one's head, all but its last [`STEM_TAIL`] bytes and never less than its
/// first byte (Snowball English rewrites endings only, so a stem keeps its
/// word's first letter; a leading apostrophe, which it drops, lets a word
/// through). Heads are kept sorted and none a prefix of another, so the one
/// head a word can start with is the greatest not above it: a first-byte
/// table and one binary search answer, where comparing every head was a
/// tenth of a keyword search.
struct Gate {
    first: [bool; 256],
    heads: Vec<Box<[u8]>>,
}

impl Gate {
    /// None when a stem is empty: every word may match it.
    fn new<'a>(stems: impl IntoIterator<Item = &'a str>) -> Option<Gate> {
        let mut heads: Vec<Box<[u8]>> = Vec::new();
        for s in stems {
            let b = s.as_bytes();
            if b.is_empty() {
                return None;
            }
            heads.push(b[..b.len().saturating_sub(STEM_TAIL).max(1)].into());
        }
        heads.sort_unstable();
        let mut kept: Vec<Box<[u8]>> = Vec::with_capacity(heads.len());
        for h in heads {
            // Sorted, a head's shortest prefix among the heads comes just
            // before it and everything starting with it; keep that one.
            if !kept.last().is_some_and(|k| h.starts_with(k)) {
                kept.push(h);
            }
        }
        let mut first = [false; 256];
        for h in &kept {
            first[usize::from(h[0])] = true;
        }
        Some(Gate { first, heads: kept })
    }

    fn admits(&self, word: &[u8]) -> bool {
        match word.first() {
            None => false,
            Some(b'\'') => true,
            Some(&b) if !self.first[usize::from(b)] => false,
            Some(_) => {
                let i = self.heads.partition_point(|h| h.as_ref() <= word);
                i > 0 && word.starts_with(&self.heads[i - 1])
            }
        }
    }
}

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = StemFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemFilter<T> {
        StemFilter {
            inner: tokenizer,
            gate: self.gate,
        }
    }
}

/// [`EnglishStemmer`] applied to a tokenizer.
#[derive(Clone)]
pub struct StemFilter<T> {
    inner: T,
    gate: Option<Arc<Gate>>,
}

impl<T: Tokenizer> Tokenizer for StemFilter<T> {
    type TokenStream<'a> = StemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
            gate: self.gate.clone(),
        }
    }
}

/// The stemmed token stream.
pub struct StemStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    gate: Option<Arc<Gate>>,
}

impl<T: TokenStream> TokenStream for StemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let stemmer = &self.stemmer;
        let token = self.tail.token_mut();
        if let Some(gate) = &self.gate {
            if !gate.admits(token.text.as_bytes()) {
                token.text.clear();
                return true;
            }
        }
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if let Some(stem) = memo.get(token.text.as_str()) {
                token.text.clear();
                token.text.push_str(stem);
                return;
            }
            let stem: Box<str> = stemmer.stem(&token.text).into();
            if memo.len() >= MEMO_WORDS {
                memo.clear();
            }
            memo.insert(token.text.as_str().into(), stem.clone());
            token.text.clear();
            token.text.push_str(&stem);
        });
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{Language, SimpleTokenizer, Stemmer, TextAnalyzer};

    fn tokens(mut a: TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut s = a.token_stream(text);
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_are_tantivys_on_first_sight_and_from_the_memo() {
        let text = "generously happiness dying skies relational possibility running runs \
                    organization conditional ugly early news atlas lying tied agreed \
                    feed hopefully generously happiness dying skies possibility running";
        let ours = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(EnglishStemmer::default())
            .build();
        let theirs = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        let want = tokens(theirs, text);
        // Twice: the second pass reads every stem from the memo.
        assert_eq!(tokens(ours.clone(), text), want);
        assert_eq!(tokens(ours, text), want);
        assert_eq!(want[1], "happi");
    }

    #[test]
    fn a_gated_stemmer_finds_what_the_full_one_finds() {
        let text = "The dying patients were lying down; possibility, possibly, possible. \
                    Generous generosity generated general happiness happily; organisations \
                    organised the organ. Agreed agreement feed fed.";
        let full = tokens(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(tantivy::tokenizer::LowerCaser)
                .filter(EnglishStemmer::default())
                .build(),
            text,
        );
        for query in [
            vec!["die", "lie"],
            vec!["possibl"],
            vec!["generos", "general", "happi"],
            vec!["organis", "organ"],
            vec!["agre", "feed", "fed"],
        ] {
            let gated = tokens(
                TextAnalyzer::builder(SimpleTokenizer::default())
                    .filter(tantivy::tokenizer::LowerCaser)
                    .filter(EnglishStemmer::only_towards(query.iter().copied()))
                    .build(),
                text,
            );
            assert_eq!(gated.len(), full.len(), "positions are kept");
            let hits = |ts: &[String]| -> Vec<usize> {
                (0..ts.len())
                    .filter(|&i| query.contains(&ts[i].as_str()))
                    .collect()
            };
            assert!(!hits(&full).is_empty(), "{query:?} occurs");
            assert_eq!(hits(&gated), hits(&full), "{query:?}");
            // Even a stem of three bytes or fewer (`fed`) keeps most words
            // out: its first letter is still required.
            assert!(gated.iter().any(String::is_empty), "{query:?}");
        }
    }
}
