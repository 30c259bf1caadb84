//! Query-focused windows: the part of a passage the reranker reads.
//!
//! A cross-encoder's cost grows faster than linearly with length (DeBERTa's
//! disentangled attention), and most of a 300–400 token passage is context
//! around the few sentences that match. So the reranker reads a window of the
//! passage, sized in the model tokenizer's own tokens, placed where the query's
//! terms cluster. The trade-off is recorded in ARCHITECTURE.md.

/// Default tokens of one (query, window) pair on a CPU. 192 keeps the top 10
/// files within a few hundred milliseconds on two cores
/// (docs/BENCHMARKS.md, "`crumb search`: hybrid + rerank").
pub const CPU_WINDOW_TOKENS: usize = 192;

/// Chooses the byte range of `text` that the reranker reads.
///
/// - `spans`: byte ranges of the model's tokens in `text`, in order;
/// - `matches`: byte ranges of query-term matches with the term's index;
/// - `budget`: tokens available for the passage.
///
/// The window holds `budget` tokens (or all of them, if fewer) and is placed
/// to cover the most distinct query terms, then the most matches, then to put
/// them nearest its middle. Without matches it is the passage's start.
pub fn focus_window(
    text: &str,
    spans: &[(usize, usize)],
    matches: &[(usize, usize, usize)],
    budget: usize,
) -> (usize, usize) {
    let n = spans.len();
    if n <= budget || budget == 0 {
        return (0, text.len());
    }
    // The token index each match starts in.
    let token_of = |byte: usize| spans.partition_point(|&(_, end)| end <= byte).min(n - 1);
    let hits: Vec<(usize, usize)> = matches.iter().map(|&(s, _, k)| (token_of(s), k)).collect();
    let mut best = (0usize, (0usize, 0usize, i64::MIN));
    if !hits.is_empty() {
        let terms = hits.iter().map(|h| h.1).max().unwrap_or(0) + 1;
        for start in 0..=(n - budget) {
            let end = start + budget;
            let inside: Vec<&(usize, usize)> = hits
                .iter()
                .filter(|(t, _)| *t >= start && *t < end)
                .collect();
            let mut seen = vec![false; terms];
            inside.iter().for_each(|(_, k)| seen[*k] = true);
            let distinct = seen.iter().filter(|&&b| b).count();
            // Closeness of the matches' centre to the window's centre.
            let centre = if inside.is_empty() {
                i64::MIN
            } else {
                let mean = inside.iter().map(|(t, _)| *t as i64).sum::<i64>() / inside.len() as i64;
                -(mean - (start + budget / 2) as i64).abs()
            };
            let key = (distinct, inside.len(), centre);
            if key > best.1 {
                best = (start, key);
            }
        }
    }
    let start = best.0;
    let end = start + budget;
    let from = if start == 0 { 0 } else { spans[start].0 };
    let to = if end >= n {
        text.len()
    } else {
        spans[end - 1].1
    };
    (from, to.max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whitespace "tokens" with their byte ranges.
    fn spans(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    out.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push((s, text.len()));
        }
        out
    }

    fn matches(text: &str, terms: &[&str]) -> Vec<(usize, usize, usize)> {
        spans(text)
            .into_iter()
            .filter_map(|(s, e)| {
                terms
                    .iter()
                    .position(|t| *t == &text[s..e])
                    .map(|k| (s, e, k))
            })
            .collect()
    }

    #[test]
    fn a_short_passage_is_read_whole() {
        let text = "one two three";
        assert_eq!(focus_window(text, &spans(text), &[], 10), (0, text.len()));
    }

    #[test]
    fn the_window_covers_the_cluster_of_query_terms() {
        let filler = "lorem ".repeat(100);
        let text = format!("{filler}the sourdough starter needs flour and water {filler}");
        let sp = spans(&text);
        let m = matches(&text, &["sourdough", "starter", "flour"]);
        let (a, b) = focus_window(&text, &sp, &m, 20);
        let window = &text[a..b];
        assert!(window.contains("sourdough starter needs flour"), "{window}");
        assert_eq!(spans(window).len(), 20, "exactly the budget: {window}");
        // The matches sit near the middle, with context on both sides.
        assert!(
            window.starts_with("lorem") && window.ends_with("lorem"),
            "{window}"
        );
    }

    #[test]
    fn more_distinct_terms_beat_more_repeats_of_one() {
        let filler = "x ".repeat(50);
        let text = format!("apple apple apple apple {filler} apple banana {filler}");
        let sp = spans(&text);
        let m = matches(&text, &["apple", "banana"]);
        let (a, b) = focus_window(&text, &sp, &m, 10);
        assert!(text[a..b].contains("apple banana"), "{}", &text[a..b]);
    }

    #[test]
    fn without_matches_the_window_is_the_start() {
        let text = "w ".repeat(300);
        let sp = spans(&text);
        let (a, b) = focus_window(&text, &sp, &[], 50);
        assert_eq!(a, 0);
        assert_eq!(spans(&text[a..b]).len(), 50);
    }
}
