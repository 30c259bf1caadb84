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
    gate: Option<Arc<[Box<[u8]>]>>,
}

impl EnglishStemmer {
    /// A stemmer for finding `stems` only (snippets): a word that cannot
    /// stem to one of them, because it does not start with one's head (all
    /// but its last [`STEM_TAIL`] bytes), comes out empty, unstemmed. What
    /// matches is what the full stemmer matches; most words skip the stemmer.
    pub fn only_towards<'a>(stems: impl IntoIterator<Item = &'a str>) -> EnglishStemmer {
        let heads: Vec<Box<[u8]>> = stems
            .into_iter()
            .map(|s| s.as_bytes()[..s.len().saturating_sub(STEM_TAIL)].into())
            .collect();
        EnglishStemmer {
            gate: Some(heads.into()),
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
    gate: Option<Arc<[Box<[u8]>]>>,
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
    gate: Option<Arc<[Box<[u8]>]>>,
}

impl<T: TokenStream> TokenStream for StemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let stemmer = &self.stemmer;
        let token = self.tail.token_mut();
        if let Some(heads) = &self.gate {
            let word = token.text.as_bytes();
            if !heads.iter().any(|h| word.starts_with(h)) {
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
            // A stem of three bytes or fewer (`fed`) lets every word through.
            let short = query.iter().any(|q| q.len() <= STEM_TAIL);
            assert_eq!(gated.iter().any(String::is_empty), !short, "{query:?}");
        }
    }
}
