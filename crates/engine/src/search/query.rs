//! The query language of the search box.
//!
//! ```text
//! budget "quarterly report" -draft type:pdf in:finance after:2024-03 before:2025
//! ```
//!
//! - words match as they do today (stemmed, any field), the last one also as
//!   a prefix while it is being typed;
//! - `"a phrase"` must appear, words adjacent and in order, in every hit;
//! - `-word` and `-"a phrase"` exclude hits that contain them;
//! - `type:pdf` keeps one kind (any name of [`FileKind`]) or, for anything
//!   else, one file extension (`type:jpg`); several `type:` widen the choice;
//! - `in:folder` keeps files under a folder of that name anywhere, or under
//!   that absolute path (`in:/home/me/work`); `in:"My Documents"` quotes;
//! - `after:DATE` keeps files modified on or after the start of DATE and
//!   `before:DATE` those modified before its start; DATE is `YYYY`,
//!   `YYYY-MM` or `YYYY-MM-DD`, in the local time zone.
//!
//! Anything else, `covid:19` or `10:30` included, is plain text. Operators
//! never reach the embedder or the reranker: they see
//! [`ParsedQuery::semantic_text`]. A malformed operator value (a date still
//! being typed) restricts nothing and is reported in
//! [`ParsedQuery::problems`] rather than failing the search.

use crate::kind::FileKind;

/// A query split into what to match and what to restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Free words, in the order typed, operators removed.
    pub words: Vec<String>,
    /// Quoted phrases every hit must contain.
    pub phrases: Vec<Phrase>,
    /// Words and phrases no hit may contain.
    pub excluded: Vec<String>,
    /// `type:` values that are kind names.
    pub kinds: Vec<FileKind>,
    /// `type:` values that are not kind names: extensions, lowercase, no dot.
    pub extensions: Vec<String>,
    /// `in:` values: folder names (matched anywhere) or absolute paths.
    pub folders: Vec<String>,
    /// `after:`, as seconds since the epoch: modified at or after.
    pub modified_after: Option<i64>,
    /// `before:`, as seconds since the epoch: modified before.
    pub modified_before: Option<i64>,
    /// Whether the query ends inside its last free word, so that word may
    /// still be growing (no space or punctuation after it yet).
    pub last_word_partial: bool,
    /// Operators that were recognised but could not be read, in words.
    pub problems: Vec<String>,
    /// The text for the embedder and the reranker.
    semantic: String,
}

/// A quoted phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The words between the quotes.
    pub text: String,
    /// The closing quote is missing: the person is still typing it, so its
    /// last word may be a prefix.
    pub open: bool,
}

impl ParsedQuery {
    /// Parses what was typed. Never fails: what cannot be read as an
    /// operator is text, and malformed operator values become
    /// [`ParsedQuery::problems`].
    pub fn parse(input: &str) -> ParsedQuery {
        let mut q = ParsedQuery::default();
        let mut lexer = Lexer::new(input);
        let mut semantic: Vec<String> = Vec::new();
        let mut last_was_word = false;
        while let Some(item) = lexer.next_item() {
            last_was_word = false;
            match item {
                Item::Word(w) => {
                    semantic.push(w.clone());
                    q.words.push(w);
                    last_was_word = true;
                }
                Item::Phrase { text, open } => {
                    if !text.trim().is_empty() {
                        semantic.push(text.clone());
                        q.phrases.push(Phrase { text, open });
                    }
                }
                Item::Exclude(text) => {
                    if !text.trim().is_empty() {
                        q.excluded.push(text);
                    }
                }
                Item::Operator { key, value } => q.apply(key, &value),
            }
        }
        let ends_in_word = input.chars().last().is_some_and(char::is_alphanumeric);
        q.last_word_partial = last_was_word && ends_in_word;
        if let Some(p) = q.phrases.last_mut() {
            p.open &= ends_in_word;
        }
        q.semantic = semantic.join(" ");
        q
    }

    fn apply(&mut self, key: Key, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        match key {
            Key::Type => {
                let v = value.trim_start_matches('.').to_lowercase();
                match FileKind::parse(&v) {
                    Some(k) => push_unique(&mut self.kinds, k),
                    None => push_unique(&mut self.extensions, v),
                }
            }
            Key::In => push_unique(&mut self.folders, value.to_string()),
            Key::After | Key::Before => match date_start(value) {
                Some(s) if key == Key::After => {
                    self.modified_after = Some(self.modified_after.map_or(s, |a| a.max(s)))
                }
                Some(s) => {
                    self.modified_before = Some(self.modified_before.map_or(s, |b| b.min(s)))
                }
                None => self.problems.push(format!(
                    "{}:{value} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD",
                    key.name()
                )),
            },
        }
    }

    /// The words and phrases to match by meaning, operators and exclusions
    /// removed: what the embedder and the reranker see.
    pub fn semantic_text(&self) -> &str {
        &self.semantic
    }

    /// True when there is something to match by text (words or phrases).
    pub fn has_text(&self) -> bool {
        !self.semantic.trim().is_empty()
    }

    /// True when operators restrict what may match (phrases included,
    /// since every hit must contain them).
    pub fn has_constraints(&self) -> bool {
        !self.phrases.is_empty()
            || !self.excluded.is_empty()
            || !self.kinds.is_empty()
            || !self.extensions.is_empty()
            || !self.folders.is_empty()
            || self.modified_after.is_some()
            || self.modified_before.is_some()
    }

    /// True when the query asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.has_text() && !self.has_constraints()
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The start of a `YYYY`, `YYYY-MM` or `YYYY-MM-DD` date in the local time
/// zone, as seconds since the epoch.
fn date_start(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let year: i16 = digits(parts.next()?, 4)?;
    let month: i8 = parts.next().map_or(Some(1), |m| digits(m, 2))?;
    let day: i8 = parts.next().map_or(Some(1), |d| digits(d, 2))?;
    if parts.next().is_some() {
        return None;
    }
    let date = jiff::civil::Date::new(year, month, day).ok()?;
    let zoned = date.to_zoned_datetime(jiff::tz::TimeZone::system()).ok()?;
    Some(zoned.timestamp().as_second())
}

/// Parses exactly `len` ASCII digits (1 or 2 for months and days).
fn digits<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    let ok =
        s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == len || (len == 2 && s.len() == 1));
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    In,
    After,
    Before,
}

impl Key {
    fn parse(s: &str) -> Option<Key> {
        match s.to_ascii_lowercase().as_str() {
            "type" => Some(Key::Type),
            "in" => Some(Key::In),
            "after" => Some(Key::After),
            "before" => Some(Key::Before),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Key::Type => "type",
            Key::In => "in",
            Key::After => "after",
            Key::Before => "before",
        }
    }
}

#[derive(Debug, PartialEq)]
enum Item {
    Word(String),
    Phrase { text: String, open: bool },
    Exclude(String),
    Operator { key: Key, value: String },
}

/// Splits the input into items. Whitespace separates items; a quote starts
/// a phrase even inside a word.
struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer { rest: input }
    }

    fn next_item(&mut self) -> Option<Item> {
        self.rest = self.rest.trim_start();
        let c = self.rest.chars().next()?;
        if c == '"' {
            let (text, open) = self.quoted();
            return Some(Item::Phrase { text, open });
        }
        // `-` excludes only before a letter or a quote: `-2` and `- 4` are text.
        if c == '-' {
            let after = self.rest[1..].chars().next();
            if after == Some('"') {
                self.rest = &self.rest[1..];
                return Some(Item::Exclude(self.quoted().0));
            }
            if after.is_some_and(char::is_alphabetic) {
                self.rest = &self.rest[1..];
                return Some(Item::Exclude(self.word().to_string()));
            }
        }
        let word = self.word();
        if let Some((k, v)) = word.split_once(':') {
            if let Some(key) = Key::parse(k) {
                let value = if v.is_empty() && self.rest.starts_with('"') {
                    self.quoted().0
                } else {
                    v.to_string()
                };
                return Some(Item::Operator { key, value });
            }
        }
        Some(Item::Word(word.to_string()))
    }

    /// A word: up to whitespace or a quote.
    fn word(&mut self) -> &'a str {
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(self.rest.len());
        let (w, rest) = self.rest.split_at(end);
        self.rest = rest;
        w
    }

    /// The text between a quote (first char of `rest`) and the next one, or
    /// the end of the input (then `open` is true).
    fn quoted(&mut self) -> (String, bool) {
        let body = &self.rest[1..];
        match body.find('"') {
            Some(end) => {
                self.rest = &body[end + 1..];
                (body[..end].trim().to_string(), false)
            }
            None => {
                self.rest = "";
                (body.trim().to_string(), true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_pass_through() {
        let q = ParsedQuery::parse("heart attack risk");
        assert_eq!(q.words, ["heart", "attack", "risk"]);
        assert_eq!(q.semantic_text(), "heart attack risk");
        assert!(!q.has_constraints());
        assert!(q.last_word_partial, "no space after the last word");
    }

    #[test]
    fn a_trailing_space_or_full_stop_ends_the_last_word() {
        assert!(!ParsedQuery::parse("heart attack ").last_word_partial);
        assert!(!ParsedQuery::parse("heart attack.").last_word_partial);
        assert!(!ParsedQuery::parse("heart type:pdf").last_word_partial);
    }

    #[test]
    fn phrases_are_kept_for_meaning_and_enforced() {
        let q = ParsedQuery::parse(r#"risk "heart attack" in men"#);
        assert_eq!(q.words, ["risk", "in", "men"]);
        assert_eq!(
            q.phrases,
            [Phrase {
                text: "heart attack".into(),
                open: false
            }]
        );
        assert_eq!(q.semantic_text(), "risk heart attack in men");
        assert!(q.has_constraints());
    }

    #[test]
    fn an_unclosed_phrase_is_open_while_typing() {
        let q = ParsedQuery::parse(r#"risk "heart att"#);
        assert_eq!(q.phrases[0].text, "heart att");
        assert!(q.phrases[0].open);
        assert!(!q.last_word_partial, "the partial word is the phrase's");
        let q = ParsedQuery::parse(r#""heart att "#);
        assert!(!q.phrases[0].open, "a space ends the word");
    }

    #[test]
    fn exclusions_leave_the_semantic_text() {
        let q = ParsedQuery::parse(r#"jaguar -car -"top speed" speed"#);
        assert_eq!(q.words, ["jaguar", "speed"]);
        assert_eq!(q.excluded, ["car", "top speed"]);
        assert_eq!(q.semantic_text(), "jaguar speed");
    }

    #[test]
    fn a_dash_before_a_digit_or_space_is_text() {
        let q = ParsedQuery::parse("E2f-1, -2, -3 TKO cells CTLA - 4");
        assert!(q.excluded.is_empty());
        assert_eq!(
            q.words,
            ["E2f-1,", "-2,", "-3", "TKO", "cells", "CTLA", "-", "4"]
        );
    }

    #[test]
    fn type_takes_kinds_or_extensions() {
        let q = ParsedQuery::parse("invoice type:pdf TYPE:Markdown type:.JPG type:pdf");
        assert_eq!(q.kinds, [FileKind::Pdf, FileKind::Markdown]);
        assert_eq!(q.extensions, ["jpg"]);
        assert_eq!(q.semantic_text(), "invoice");
    }

    #[test]
    fn in_takes_names_paths_and_quoted_values() {
        let q = ParsedQuery::parse(r#"in:finance in:/home/me/work in:"My Documents" tax"#);
        assert_eq!(q.folders, ["finance", "/home/me/work", "My Documents"]);
        assert_eq!(q.words, ["tax"]);
    }

    #[test]
    fn dates_accept_year_month_and_day() {
        let day = |s| date_start(s).unwrap();
        let y = ParsedQuery::parse("after:2024");
        assert_eq!(y.modified_after, Some(day("2024-01-01")));
        let m = ParsedQuery::parse("before:2024-03");
        assert_eq!(m.modified_before, Some(day("2024-03-01")));
        assert_eq!(day("2024-03-02") - day("2024-03-01"), 86_400);
        assert!(day("2025") > day("2024-12-31"));
        // Two bounds narrow, never widen.
        let q = ParsedQuery::parse("after:2020 after:2022 before:2024 before:2023-06");
        assert_eq!(q.modified_after, Some(day("2022")));
        assert_eq!(q.modified_before, Some(day("2023-06")));
    }

    #[test]
    fn a_bad_date_restricts_nothing_and_says_why() {
        for bad in [
            "after:2024-13",
            "after:24",
            "before:2024-02-30",
            "after:2024-0",
        ] {
            let q = ParsedQuery::parse(bad);
            assert_eq!(q.modified_after, None, "{bad}");
            assert_eq!(q.modified_before, None, "{bad}");
            assert_eq!(q.problems.len(), 1, "{bad}");
            assert!(q.words.is_empty(), "{bad} is an operator, not text");
        }
    }

    #[test]
    fn unknown_keys_and_colons_are_text() {
        let q = ParsedQuery::parse("covid:19 at 10:30 http://x");
        assert_eq!(q.words, ["covid:19", "at", "10:30", "http://x"]);
        assert!(!q.has_constraints());
    }

    #[test]
    fn only_operators_means_no_text() {
        let q = ParsedQuery::parse("type:pdf after:2024");
        assert!(!q.has_text());
        assert!(!q.is_empty());
        assert!(ParsedQuery::parse("   ").is_empty());
        assert!(ParsedQuery::parse(r#""""#).is_empty());
    }
}
