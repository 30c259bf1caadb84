//! Is a PDF page's text layer garbage? A font without a Unicode map (no
//! `ToUnicode`, an `Identity-H` encoding, a Type 3 font with made-up glyph
//! names) leaves the reader nothing but glyph numbers, which come out as
//! control characters, U+FFFD or private-use code points: a snippet that read
//! "9$7&RGH" was `\x13\x14…9$7\x03&RGH` underneath, the `\x03` a space.
//!
//! The rule: a page is garbled when at least [`UNMAPPED_SHARE`] of its
//! visible characters are such code points. Measured with pdftotext over the
//! 3,116 pages with text of the shared corpus and the Debian manuals
//! (docs/BENCHMARKS.md, "OCR"), it picks out exactly the four garbled ones
//! and none of the rest, code listings and right-to-left pages included; a
//! word-likeness rule (share of characters in letter-only tokens) flagged
//! hundreds of pages of LaTeX source and line numbers, which have good text.

/// Share of a page's visible characters that must be unmapped glyphs.
pub const UNMAPPED_SHARE: f32 = 0.1;
/// Pages with fewer visible characters are left alone.
const MIN_CHARS: usize = 4;

/// True when `text` (one page's text layer) is mostly glyphs without a
/// Unicode mapping.
pub fn is_garbled(text: &str) -> bool {
    let (mut visible, mut unmapped) = (0usize, 0usize);
    for c in text
        .chars()
        .filter(|c| !c.is_whitespace() && !invisible(*c))
    {
        visible += 1;
        if is_unmapped(c) {
            unmapped += 1;
        }
    }
    visible >= MIN_CHARS && unmapped as f32 >= UNMAPPED_SHARE * visible as f32
}

/// What a glyph without a Unicode value turns into: a control character (the
/// glyph's code itself), the replacement character, or a private-use code
/// point.
fn is_unmapped(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
        || matches!(c, '\u{fffd}' | '\u{fffe}')
        || ('\u{e000}'..='\u{f8ff}').contains(&c)
}

/// Format characters that right-to-left and shaped text carry legitimately.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{ad}')
}

#[cfg(test)]
mod tests {
    use super::is_garbled;

    #[test]
    fn glyph_numbers_are_garbage_and_code_or_right_to_left_text_is_not() {
        // pdftotext's reading of issue11242_reduced.pdf ("VATCode").
        assert!(is_garbled(
            "\u{13}\u{14}\u{13}\u{19}\u{15}\u{14}\u{14}\n9$7\u{3}&RGH"
        ));
        assert!(is_garbled("\u{fffd}\u{fffd}\u{fffd}\u{fffd}"));
        assert!(!is_garbled(
            "\\def\\MT@temp*{\\ifMT@x 1\\fi}% 2953 2954 \\cs_set_protected:Npn #1"
        ));
        assert!(!is_garbled("\u{202b}מחלקה\u{202c} \u{202a}01001\u{202c}"));
        assert!(!is_garbled("Invoice\tTotal\u{c}"));
        // Too little to judge.
        assert!(!is_garbled("\u{3}\u{3}"));
    }
}
