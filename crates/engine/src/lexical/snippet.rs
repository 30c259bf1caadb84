//! Snippets: a passage cut around the query's matches, with byte ranges to
//! highlight (never HTML).

use super::{name_entry_file, Snippet};
use crate::catalog::StoredPassage;
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::OnceLock as OnceCell;
use tantivy::snippet::collapse_overlapped_ranges;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// Finds the best fragment of a text for a query's terms: tantivy's
/// `SnippetGenerator::snippet` (0.27), the same fragments and the same
/// choice, on an analyser that empties the words that cannot match
/// ([`super::analysis::text_analyzer_towards`]): those cost no lookup and no
/// lowercased copy, which tantivy made of every word.
pub(super) struct Highlighter {
    /// Analysed term → weight (1 / (1 + document frequency)).
    terms: FxHashMap<String, f32>,
    analyzer: TextAnalyzer,
    max_chars: usize,
}

/// A run of text of at most `max_chars` bytes and the matches in it.
struct Fragment {
    score: f32,
    range: Range<usize>,
    highlighted: Vec<Range<usize>>,
}

impl Fragment {
    fn at(start: usize) -> Fragment {
        Fragment {
            score: 0.0,
            range: start..start,
            highlighted: Vec::new(),
        }
    }
}

impl Highlighter {
    pub(super) fn new(
        terms: FxHashMap<String, f32>,
        analyzer: TextAnalyzer,
        max_chars: usize,
    ) -> Highlighter {
        Highlighter {
            terms,
            analyzer,
            max_chars,
        }
    }

    /// The best-scoring fragment (the first of equals), with its matches
    /// relative to the text; None when no term occurs.
    fn best(&self, text: &str) -> Option<Fragment> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut best: Option<Fragment> = None;
        let mut keep = |f: Fragment| {
            if f.score > 0.0 && best.as_ref().is_none_or(|b| f.score > b.score) {
                best = Some(f);
            }
        };
        let mut fragment = Fragment::at(0);
        while let Some(token) = stream.next() {
            if token.offset_to - fragment.range.start > self.max_chars {
                keep(std::mem::replace(
                    &mut fragment,
                    Fragment::at(token.offset_from),
                ));
            }
            fragment.range.end = token.offset_to;
            if token.text.is_empty() {
                continue;
            }
            if let Some(&w) = self.terms.get(token.text.as_str()) {
                fragment.score += w;
                fragment
                    .highlighted
                    .push(token.offset_from..token.offset_to);
            }
        }
        keep(fragment);
        best
    }
}

/// Makes snippets of passages around the terms of one query.
pub struct Snippets {
    /// Highlights terms of the text field (None when the query has no words).
    pub(super) text: Option<Highlighter>,
    /// Highlights terms of the name field, for name entries (a prefix or
    /// fuzzy expansion may exist in names only); made on first use.
    pub(super) name: OnceCell<Option<Highlighter>>,
    /// What the name generator is made from.
    pub(super) make_name: Box<dyn Fn() -> Option<Highlighter> + Send + Sync>,
    pub(super) max_chars: usize,
}

impl Snippets {
    /// A snippet of a passage (or of a name entry's stand-in passage).
    pub fn of(&self, passage: &StoredPassage) -> Snippet {
        let generator = if name_entry_file(passage.id).is_some() {
            self.name.get_or_init(&self.make_name).as_ref()
        } else {
            self.text.as_ref()
        };
        self.make(generator, &passage.text)
    }

    /// A snippet of `text`, at most `max_chars` long, leading with the first match.
    pub fn snippet(&self, text: &str) -> Snippet {
        self.make(self.text.as_ref(), text)
    }

    fn make(&self, highlighter: Option<&Highlighter>, text: &str) -> Snippet {
        let Some(f) = highlighter.and_then(|h| h.best(text)) else {
            return Snippet {
                text: head(text, self.max_chars),
                highlights: Vec::new(),
                first_match: None,
            };
        };
        let start = f.range.start;
        let relative: Vec<Range<usize>> = f
            .highlighted
            .iter()
            .map(|r| r.start - start..r.end - start)
            .collect();
        let mut snippet = Snippet {
            text: text[f.range.clone()].to_string(),
            // CJK bigrams overlap (`東京` `京大`): one range per run of matches.
            highlights: collapse_overlapped_ranges(&relative)
                .iter()
                .map(|r| (r.start, r.end))
                .collect(),
            first_match: f.highlighted.first().map(|r| r.start),
        };
        lead_with_match(&mut snippet);
        snippet
    }
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
