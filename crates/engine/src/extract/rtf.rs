//! RTF: a small tokenizer rather than a crate, because what search needs is
//! only the visible text (no layout), and the RTF crates on crates.io either
//! panic on damaged input or build a full document model first.
//! Handles code pages (`\ansicpg`, `\'hh`), Unicode escapes (`\uN` with
//! `\ucN` fallbacks), `\binN` data, and drops non-text destinations (font and
//! colour tables, pictures, field instructions, `{\*\...}` groups).

use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use encoding_rs::{Encoding, WINDOWS_1252};

/// Extractor for RTF.
pub struct RtfExtractor;

impl Extractor for RtfExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Rtf]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        if !bytes[start..].starts_with(b"{\\rtf") {
            return Err(ExtractError::corrupt("RTF", "missing {\\rtf header"));
        }
        let (text, title) = rtf_to_text(&bytes[start..], limits)?;
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(ExtractError::NoText("RTF holds no text".into()));
        }
        Ok(ExtractedDoc {
            title,
            blocks: vec![Block {
                text,
                location: Location::line(1),
            }],
            ..Default::default()
        })
    }
}

const SKIP: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "pict",
    "object",
    "objdata",
    "fldinst",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "filetbl",
    "revtbl",
    "xmlnstbl",
    "nonshppict",
    "header",
    "footer",
    "headerl",
    "headerr",
    "footerl",
    "footerr",
    "bkmkstart",
    "bkmkend",
    "info",
    "operator",
    "author",
    "company",
    "keywords",
    "doccomm",
    "comment",
    "falt",
    "panose",
    "datafield",
    "mmathPr",
];

#[derive(Clone, Copy)]
struct Group {
    skip: bool,
    uc: usize,
    title: bool,
}

struct Out {
    text: String,
    title: String,
    pending: Vec<u8>,
    enc: &'static Encoding,
}

impl Out {
    fn flush(&mut self, into_title: bool) {
        if self.pending.is_empty() {
            return;
        }
        let (s, _, _) = self.enc.decode(&self.pending);
        if into_title {
            self.title.push_str(&s)
        } else {
            self.text.push_str(&s)
        }
        self.pending.clear();
    }
}

fn rtf_to_text(b: &[u8], limits: &Limits) -> Result<(String, Option<String>), ExtractError> {
    let mut out = Out {
        text: String::new(),
        title: String::new(),
        pending: Vec::new(),
        enc: WINDOWS_1252,
    };
    let mut stack: Vec<Group> = Vec::new();
    let mut cur = Group {
        skip: false,
        uc: 1,
        title: false,
    };
    let mut skip_chars = 0usize; // fallback characters still to drop after \uN
    let mut group_start = false; // the next control word is a group's first
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'{' => {
                out.flush(cur.title);
                stack.push(cur);
                if stack.len() > limits.max_depth {
                    return Err(ExtractError::Limit(format!(
                        "RTF groups nested deeper than {}",
                        limits.max_depth
                    )));
                }
                group_start = true;
                skip_chars = 0;
                i += 1;
                continue;
            }
            b'}' => {
                out.flush(cur.title);
                cur = stack.pop().unwrap_or(cur);
                i += 1;
                group_start = false;
                continue;
            }
            b'\\' => {
                let (word, param, next) = control(b, i + 1);
                i = next;
                let first = std::mem::replace(&mut group_start, false);
                match word {
                    Ctl::Symbol(b'*') => cur.skip = true,
                    Ctl::Symbol(b'\'') => {
                        let hex = b.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                        if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                            i += 2;
                            if skip_chars > 0 {
                                skip_chars -= 1;
                            } else if !cur.skip {
                                out.pending.push(v);
                            }
                        }
                    }
                    Ctl::Symbol(s) if !cur.skip => {
                        out.flush(cur.title);
                        match s {
                            b'~' => out.text.push('\u{a0}'),
                            b'_' => out.text.push('-'),
                            b'\\' | b'{' | b'}' => out.text.push(s as char),
                            b'\n' | b'\r' => out.text.push('\n'),
                            _ => {}
                        }
                    }
                    Ctl::Symbol(_) => {}
                    Ctl::Word(w) => {
                        if first && (SKIP.contains(&w) || cur.skip) && w != "title" {
                            cur.skip = true;
                        }
                        if w == "title" && first {
                            cur.title = true;
                            cur.skip = false;
                        }
                        if w == "bin" {
                            i = i
                                .saturating_add(param.unwrap_or(0).max(0) as usize)
                                .min(b.len());
                            continue;
                        }
                        if cur.skip {
                            continue;
                        }
                        if w == "ansicpg" {
                            if let Some(enc) = param
                                .and_then(|p| u16::try_from(p).ok())
                                .and_then(codepage::to_encoding)
                            {
                                out.enc = enc;
                            }
                            continue;
                        }
                        if w == "uc" {
                            cur.uc = param.unwrap_or(1).clamp(0, 16) as usize;
                            continue;
                        }
                        if w == "u" {
                            out.flush(cur.title);
                            let n = param.unwrap_or(0);
                            let n = if n < 0 { n + 65536 } else { n };
                            if let Some(ch) = u32::try_from(n).ok().and_then(char::from_u32) {
                                if cur.title {
                                    out.title.push(ch)
                                } else {
                                    out.text.push(ch)
                                }
                            }
                            skip_chars = cur.uc;
                            continue;
                        }
                        if let Some(s) = word_text(w) {
                            out.flush(cur.title);
                            out.text.push_str(s);
                        }
                    }
                }
                continue;
            }
            b'\r' | b'\n' => {}
            _ if skip_chars > 0 => skip_chars -= 1,
            _ if !cur.skip => out.pending.push(c),
            _ => {}
        }
        group_start = false;
        i += 1;
        if out.text.len() > limits.max_text_chars {
            break;
        }
    }
    out.flush(false);
    let title = out.title.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((out.text, (!title.is_empty()).then_some(title)))
}

enum Ctl<'a> {
    Word(&'a str),
    Symbol(u8),
}

/// Reads a control word or symbol starting after its backslash at `i`;
/// returns it, its numeric parameter and the index after it.
fn control(b: &[u8], i: usize) -> (Ctl<'_>, Option<i32>, usize) {
    let Some(&first) = b.get(i) else {
        return (Ctl::Symbol(b' '), None, i);
    };
    if !first.is_ascii_alphabetic() {
        return (Ctl::Symbol(first), None, i + 1);
    }
    let mut j = i;
    while j < b.len() && b[j].is_ascii_alphabetic() && j - i < 32 {
        j += 1;
    }
    let word = std::str::from_utf8(&b[i..j]).unwrap_or("");
    let num_start = j;
    if j < b.len() && b[j] == b'-' {
        j += 1;
    }
    while j < b.len() && b[j].is_ascii_digit() && j - num_start < 10 {
        j += 1;
    }
    let param = std::str::from_utf8(&b[num_start..j])
        .ok()
        .and_then(|s| s.parse::<i32>().ok());
    // One space after a control word is its delimiter, not text.
    if j < b.len() && b[j] == b' ' {
        j += 1;
    }
    (Ctl::Word(word), param, j)
}

fn word_text(w: &str) -> Option<&'static str> {
    Some(match w {
        "par" | "line" | "sect" | "page" | "row" => "\n",
        "tab" | "cell" => "\t",
        "emdash" => "—",
        "endash" => "–",
        "bullet" => "•",
        "lquote" => "‘",
        "rquote" => "’",
        "ldblquote" => "“",
        "rdblquote" => "”",
        "emspace" | "enspace" | "qmspace" => " ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rtf_with_escapes() {
        let src = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\info{\title My Doc}}\f0 Caf\'e9 na\u239?ve\par {\*\generator x;}Second line}";
        let (text, title) = rtf_to_text(src, &Limits::default()).unwrap();
        assert_eq!(text.trim(), "Café naïve\nSecond line");
        assert_eq!(title.as_deref(), Some("My Doc"));
    }
}
