//! Splits extracted text into passages sized for the reranker's 512-token
//! window, at paragraph or sentence boundaries, with a small overlap. Each
//! passage keeps its byte range and its page or line.

use crate::extract::{ExtractedDoc, Location};
use crate::options::ChunkOptions;
use unicode_segmentation::UnicodeSegmentation;

/// A passage: the unit that is indexed, embedded and reranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The passage text.
    pub text: String,
    /// Byte offset of the start within the document text (blocks joined by "\n\n").
    pub byte_start: usize,
    /// Byte offset of the end.
    pub byte_end: usize,
    /// Page, line or label of the passage's first character.
    pub location: Location,
}

/// Estimated model tokens in `text`. WordPiece and SentencePiece vocabularies
/// keep common English words whole and split long or rare ones; scripts they
/// saw less of (Cyrillic, Greek, Arabic, Indic, Hangul, CJK) come out at
/// roughly a token per character, and symbols outside ASCII (emoji) fall back
/// to a token per UTF-8 byte. The estimate errs high on purpose, and is
/// additive over word boundaries, so sums of pieces bound the whole.
/// `tests/engine/chunking.rs` checks it against the real tokenizers of the
/// embedder and the rerankers on text heavy in numbers, URLs and non-Latin
/// scripts (a version that counted Cyrillic like English let passages reach
/// 816 real tokens).
pub fn estimate_tokens(text: &str) -> usize {
    text.split_word_bounds()
        .map(|w| {
            // ASCII words, most of most text, in one pass over the bytes:
            // the same cost as the general rule below.
            if w.is_ascii() {
                return if w.bytes().any(|b| b.is_ascii_alphanumeric()) {
                    1 + w.len().saturating_sub(8) / 3
                } else {
                    usize::from(!w.trim().is_empty())
                };
            }
            if w.chars().any(char::is_alphanumeric) {
                // Latin letters with diacritics cost about one extra piece
                // each; other scripts about one token per character.
                let (latin, other) = w.chars().fold((0usize, 0usize), |(l, o), c| {
                    if (c as u32) < 0x250 {
                        (l + 1, o)
                    } else {
                        (l, o + 1)
                    }
                });
                let accents = w
                    .chars()
                    .filter(|c| !c.is_ascii() && (*c as u32) < 0x250)
                    .count();
                let latin_cost = if latin > 0 {
                    1 + latin.saturating_sub(8) / 3 + accents
                } else {
                    0
                };
                latin_cost + (other * 5).div_ceil(4)
            } else {
                w.len()
            }
        })
        .sum()
}

/// Splits a document into passages.
pub fn chunk(doc: &ExtractedDoc, opts: &ChunkOptions) -> Vec<Passage> {
    let mut out = Vec::new();
    let mut doc_offset = 0usize;
    for block in &doc.blocks {
        chunk_block(&block.text, doc_offset, &block.location, opts, &mut out);
        doc_offset += block.text.len() + 2;
    }
    out
}

fn chunk_block(
    text: &str,
    doc_offset: usize,
    loc: &Location,
    opts: &ChunkOptions,
    out: &mut Vec<Passage>,
) {
    let (segs, costs): (Vec<_>, Vec<_>) = segments(text, opts.max_tokens)
        .into_iter()
        .map(|(s, e, para_end, cost)| ((s, e, para_end), cost))
        .unzip();
    if segs.is_empty() {
        return;
    }
    let mut line_counter = LineCounter::new(text, loc.line);
    let mut i = 0;
    while i < segs.len() {
        let mut j = i;
        let mut total = costs[i];
        while j + 1 < segs.len() && total + costs[j + 1] <= opts.target_tokens {
            j += 1;
            total += costs[j];
        }
        // Prefer to end at a paragraph when that keeps the passage reasonably full.
        if j + 1 < segs.len() && !segs[j].2 {
            let mut acc = total;
            let mut k = j;
            while k > i {
                acc -= costs[k];
                k -= 1;
                if segs[k].2 && acc * 10 >= opts.target_tokens * 6 {
                    j = k;
                    break;
                }
            }
        }
        let (start, end) = (segs[i].0, segs[j].1);
        let raw = &text[start..end];
        let lead = raw.len() - raw.trim_start().len();
        let passage_text = raw.trim();
        if !passage_text.is_empty() {
            let mut location = loc.clone();
            location.line = line_counter.line_at(start + lead);
            out.push(Passage {
                text: passage_text.to_string(),
                byte_start: doc_offset + start + lead,
                byte_end: doc_offset + start + lead + passage_text.len(),
                location,
            });
        }
        if j + 1 >= segs.len() {
            break;
        }
        // Step back over trailing segments that fit in the overlap, but always advance.
        let mut next = j + 1;
        let mut overlap = 0;
        while next > i + 1 && overlap + costs[next - 1] <= opts.overlap_tokens {
            next -= 1;
            overlap += costs[next];
        }
        i = next;
    }
}

/// Byte ranges of sentences (word windows where a sentence alone exceeds
/// `max_tokens`), each flagged when it ends a paragraph, with its estimated
/// tokens. The estimate is taken once here: word segmentation is the
/// chunker's main cost on a folder of small text files.
fn segments(text: &str, max_tokens: usize) -> Vec<(usize, usize, bool, usize)> {
    let mut out = Vec::new();
    for (p_start, para) in paragraphs(text) {
        let mut pieces = Vec::new();
        for (s_off, sentence) in para.split_sentence_bound_indices() {
            let s_start = p_start + s_off;
            let cost = estimate_tokens(sentence);
            if cost <= max_tokens {
                pieces.push((s_start, s_start + sentence.len(), cost));
            } else {
                word_windows(sentence, s_start, max_tokens, &mut pieces);
            }
        }
        pieces.retain(|&(s, e, _)| !text[s..e].trim().is_empty());
        let last = pieces.len().saturating_sub(1);
        out.extend(
            pieces
                .into_iter()
                .enumerate()
                .map(|(i, (s, e, cost))| (s, e, i == last, cost)),
        );
    }
    out
}

fn paragraphs(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let mut k = i + 1;
            while k < bytes.len() && matches!(bytes[k], b' ' | b'\t' | b'\r') {
                k += 1;
            }
            if k < bytes.len() && bytes[k] == b'\n' {
                out.push((start, &text[start..i]));
                start = k + 1;
                i = k + 1;
                continue;
            }
        }
        i += 1;
    }
    if start < text.len() {
        out.push((start, &text[start..]));
    }
    out
}

/// Cuts an over-long sentence into windows of at most `max_tokens`, each
/// with its cost (the estimate is additive over word boundaries).
fn word_windows(s: &str, base: usize, max_tokens: usize, out: &mut Vec<(usize, usize, usize)>) {
    let mut win_start: Option<usize> = None;
    let mut cost = 0;
    let mut last_end = 0;
    for (off, w) in s.split_word_bound_indices() {
        let c = estimate_tokens(w);
        if let Some(ws) = win_start {
            if cost + c > max_tokens {
                out.push((base + ws, base + last_end, cost));
                win_start = Some(off);
                cost = 0;
            }
        } else {
            win_start = Some(off);
        }
        cost += c;
        last_end = off + w.len();
    }
    if let Some(ws) = win_start {
        out.push((base + ws, base + last_end, cost));
    }
}

/// Counts newlines incrementally so line lookups stay linear.
struct LineCounter<'a> {
    text: &'a str,
    first_line: Option<u32>,
    pos: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str, first_line: Option<u32>) -> Self {
        LineCounter {
            text,
            first_line,
            pos: 0,
            line: first_line.unwrap_or(1),
        }
    }

    fn line_at(&mut self, offset: usize) -> Option<u32> {
        self.first_line?;
        if offset < self.pos {
            self.pos = 0;
            self.line = self.first_line.unwrap_or(1);
        }
        let added = self.text.as_bytes()[self.pos..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += added as u32;
        self.pos = offset;
        Some(self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Block;

    fn doc(text: &str) -> ExtractedDoc {
        ExtractedDoc {
            title: None,
            blocks: vec![Block {
                text: text.into(),
                location: Location::line(1),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn short_text_is_one_passage_with_its_range() {
        let d = doc("\n\nHello world.\n");
        let ps = chunk(&d, &ChunkOptions::default());
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].text, "Hello world.");
        assert_eq!(
            &d.blocks[0].text[ps[0].byte_start..ps[0].byte_end],
            "Hello world."
        );
        assert_eq!(ps[0].location.line, Some(3));
    }

    #[test]
    fn long_text_splits_at_paragraphs_within_the_ceiling_and_overlaps() {
        let para = "The quick brown fox jumps over the lazy dog. ".repeat(8);
        let text = (0..30)
            .map(|_| para.clone())
            .collect::<Vec<_>>()
            .join("\n\n");
        let opts = ChunkOptions::default();
        let ps = chunk(&doc(&text), &opts);
        assert!(ps.len() > 5);
        for p in &ps {
            assert!(estimate_tokens(&p.text) <= opts.max_tokens);
        }
        // Consecutive passages overlap: the next starts before the previous ends.
        assert!(ps.windows(2).all(|w| w[1].byte_start < w[0].byte_end));
        assert!(ps
            .windows(2)
            .all(|w| w[1].location.line > w[0].location.line));
    }

    #[test]
    fn one_huge_line_is_cut_into_bounded_windows() {
        let text = "word ".repeat(50_000);
        let opts = ChunkOptions::default();
        let ps = chunk(&doc(&text), &opts);
        assert!(ps.len() > 100);
        assert!(ps
            .iter()
            .all(|p| estimate_tokens(&p.text) <= opts.max_tokens));
    }
}
