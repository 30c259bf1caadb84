//! Text analysis: how passages, names and queries become index terms.
//!
//! One analyser serves every text field and the query, so both sides always
//! agree. [`WordTokenizer`] splits on anything that is not a letter, digit
//! or combining mark, and cuts runs of Chinese, Japanese and Korean
//! characters, which have no spaces between words, into overlapping
//! bigrams. Then: long-token removal, lowercase, ASCII folding (`café` →
//! `cafe`, `Straße` → `strasse`), English stop words and the English
//! Snowball stemmer. Why these choices: ARCHITECTURE.md, "Lexical analysis".

use super::stem::EnglishStemmer;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, StopWordFilter,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The analyser's name in the schema. Any change to the analysis must
/// change this name: the schema then differs from the one on disk, and the
/// index is rebuilt from the catalog on open.
pub const TEXT_ANALYZER: &str = "crumb_text_v2";

/// Lowercased, folded whole values (folder names), for exact filters.
pub const KEYWORD_ANALYZER: &str = "crumb_keyword_v1";

/// Longest token kept, in bytes. Longer runs are hashes, base64 or noise.
const MAX_TOKEN_BYTES: usize = 40;

/// The analyser of every text field: words, CJK bigrams, folded, stemmed.
pub fn text_analyzer() -> TextAnalyzer {
    with_stemmer(EnglishStemmer::default())
}

/// [`text_analyzer`] for finding `stems` in a text only (snippets): the
/// words that can be one of them come out as `text_analyzer` makes them,
/// the rest empty (see [`EnglishStemmer::only_towards`]).
pub fn text_analyzer_towards<'a>(stems: impl IntoIterator<Item = &'a str>) -> TextAnalyzer {
    with_stemmer(EnglishStemmer::only_towards(stems))
}

fn with_stemmer(stemmer: EnglishStemmer) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder.filter(stop).filter(stemmer).build(),
        None => builder.filter(stemmer).build(),
    }
}

/// The same words as [`text_analyzer`], lowercased and folded but neither
/// stemmed nor stop-worded: what a prefix is taken from while typing.
pub fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// A whole value, lowercased and folded (`in:Études` finds `études/`).
pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// One analysed token: its text and position (gaps where stop words were).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysed {
    /// The term text.
    pub text: String,
    /// Position in the token stream.
    pub position: usize,
}

/// Runs an analyser over `text`.
pub fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Analysed> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Analysed {
            text: t.text.clone(),
            position: t.position,
        });
    }
    out
}

/// Chinese, Japanese and Korean characters: scripts written without spaces
/// between words, so a run of them is cut into bigrams.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF     // Hangul Jamo
        | 0x3005..=0x3007   // 々 〆 〇
        | 0x3040..=0x309F   // Hiragana
        | 0x30A0..=0x30FF   // Katakana
        | 0x3130..=0x318F   // Hangul compatibility Jamo
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0x20000..=0x3134F // CJK extensions B–G
    )
}

/// Combining diacritics (the blocks Latin, Greek and Cyrillic use). They
/// belong to the word they sit on but are dropped from its term, so a
/// decomposed `e` + `◌́` (macOS file names) folds like a precomposed `é`.
fn is_diacritic(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Letters and digits outside CJK start or continue a word; combining
/// marks continue one (Devanagari viramas, decomposed accents).
fn continues_word(c: char) -> bool {
    (c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)) && !is_cjk(c)
}

/// Splits text into words, and runs of CJK characters into overlapping
/// bigrams (`東京大学` → `東京` `京大` `大学`; a lone character stays a
/// unigram). Bigrams are the classic CJK approach (Lucene's CJKAnalyzer):
/// no dictionary, any domain, and a query of two or more characters finds
/// the run as a phrase of bigrams.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// The token stream of [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    /// Byte offset of the next character to read.
    at: usize,
    /// Inside a CJK run: the previous character and its offset, still to be
    /// paired with the next one.
    cjk_prev: Option<(usize, char)>,
    /// Whether the current CJK run has produced a bigram yet.
    cjk_paired: bool,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            at: 0,
            cjk_prev: None,
            cjk_paired: false,
            token: &mut self.token,
        }
    }
}

impl WordTokenStream<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn emit(&mut self, from: usize, to: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.token.position.wrapping_add(1);
        self.token.position_length = 1;
    }

    /// Continues a CJK run; false when it has ended without a token.
    fn cjk_step(&mut self, prev_at: usize, prev: char) -> bool {
        match self.peek() {
            Some(c) if is_cjk(c) => {
                let end = self.at + c.len_utf8();
                self.token.text.clear();
                self.token.text.push(prev);
                self.token.text.push(c);
                self.cjk_prev = Some((self.at, c));
                self.cjk_paired = true;
                self.at = end;
                self.emit(prev_at, end);
                true
            }
            _ => {
                self.cjk_prev = None;
                if self.cjk_paired {
                    return false;
                }
                // A run of one character: the character itself.
                self.token.text.clear();
                self.token.text.push(prev);
                self.emit(prev_at, prev_at + prev.len_utf8());
                true
            }
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some((prev_at, prev)) = self.cjk_prev {
                if self.cjk_step(prev_at, prev) {
                    return true;
                }
                continue;
            }
            let Some(c) = self.peek() else {
                return false;
            };
            let start = self.at;
            self.at += c.len_utf8();
            if is_cjk(c) {
                self.cjk_prev = Some((start, c));
                self.cjk_paired = false;
                continue;
            }
            if !c.is_alphanumeric() {
                continue;
            }
            self.token.text.clear();
            self.token.text.push(c);
            while let Some(c) = self.peek().filter(|&c| continues_word(c)) {
                self.at += c.len_utf8();
                if !is_diacritic(c) {
                    self.token.text.push(c);
                }
            }
            let end = self.at;
            self.emit(start, end);
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyse(&mut text_analyzer(), text)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    fn spans(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut tok = WordTokenizer::default();
        let mut s = tok.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            let t = s.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn words_split_on_punctuation_and_stem_in_english() {
        assert_eq!(
            terms("The runners' 0-dimensional biomaterials, e.g."),
            ["runner", "0", "dimension", "biomateri", "e", "g"]
        );
    }

    #[test]
    fn accents_fold_whether_composed_or_decomposed() {
        assert_eq!(terms("café"), terms("cafe"));
        assert_eq!(terms("cafe\u{301}"), terms("cafe"));
        assert_eq!(terms("Ré\u{301}sumé"), terms("resume"));
        assert_eq!(terms("Straße"), ["strass"]);
        // Offsets still cover the original bytes, mark included.
        let s = spans("a cafe\u{301}!");
        assert_eq!(s[1], ("cafe".to_string(), 1, 2, 8));
    }

    #[test]
    fn cjk_runs_become_overlapping_bigrams_with_offsets() {
        let s = spans("東京大学 in 京都");
        let texts: Vec<&str> = s.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(texts, ["東京", "京大", "大学", "in", "京都"]);
        assert_eq!(s[0].2..s[0].3, 0..6);
        assert_eq!(s[1].2..s[1].3, 3..9);
        let positions: Vec<usize> = s.iter().map(|t| t.1).collect();
        assert_eq!(positions, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_lone_cjk_character_is_a_unigram_and_scripts_mix() {
        let texts: Vec<String> = spans("猫 iPhone用のケース")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(texts, ["猫", "iPhone", "用の", "のケ", "ケー", "ース"]);
    }

    #[test]
    fn a_long_cjk_run_no_longer_vanishes() {
        // 30 characters, 90 bytes: one token of it used to be dropped past 40 bytes.
        let run = "我们今天在图书馆里读了很多关于中国古代历史和文化的有趣书籍";
        let t = terms(run);
        assert_eq!(t.len(), run.chars().count() - 1);
        assert!(t.contains(&"图书".to_string()));
    }

    #[test]
    fn the_plain_analyser_keeps_stop_words_and_endings() {
        let t: Vec<String> = analyse(&mut plain_analyzer(), "The Cafés")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, ["the", "cafes"]);
    }
}
