//! Legacy Word (`.doc`, Word 97–2003): the text through the document's piece
//! table, read with the `cfb` compound-file crate. No maintained crate reads
//! `.doc`, and the piece table is the small, stable part of the format
//! ([MS-DOC] 2.4.1 "Retrieving Text"); formatting is ignored. Word 6 and 95
//! files, whose FIB is laid out differently, go to `word95.rs`.

use super::archive::is_encrypted_package;
use super::{Block, ExtractError, ExtractedDoc, Limits, Location};
use std::io::{Cursor, Read};

pub(super) fn corrupt(detail: impl std::fmt::Display) -> ExtractError {
    ExtractError::corrupt("DOC", detail)
}

pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Extracts the text of a Word 97–2003 document.
pub(crate) fn extract_doc(bytes: &[u8], limits: &Limits) -> Result<ExtractedDoc, ExtractError> {
    if is_encrypted_package(bytes) {
        return Err(ExtractError::Encrypted("DOC".into()));
    }
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("damaged compound file ({e})")))?;
    let word = read_stream(&mut file, "/WordDocument", limits)?
        .ok_or_else(|| corrupt("no WordDocument stream"))?;
    let n_fib = u16_at(&word, 2).unwrap_or(0);
    match u16_at(&word, 0) {
        // Word 6 and 95 (nFib 101–105, wIdent 0xA5DC), and Word 97 betas
        // that kept the old FIB.
        Some(0xA5DC) => return super::word95::extract(&word, limits),
        Some(0xA5EC) if (101..=105).contains(&n_fib) => {
            return super::word95::extract(&word, limits)
        }
        Some(0xA5EC) if n_fib > 105 => {}
        Some(0xA5EC) => {
            return Err(ExtractError::Unsupported(format!(
                "Word 2 or older document (.doc with nFib {n_fib})"
            )))
        }
        _ => return Err(corrupt("not a Word document (unknown FIB identifier)")),
    }
    let flags = u16_at(&word, 0x0A).unwrap_or(0);
    if flags & 0x0100 != 0 {
        return Err(ExtractError::Encrypted("DOC".into()));
    }
    let table_name = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let table =
        read_stream(&mut file, table_name, limits)?.ok_or_else(|| corrupt("no table stream"))?;
    let fc_clx = u32_at(&word, 0x01A2).ok_or_else(|| corrupt("short FIB"))? as usize;
    let lcb_clx = u32_at(&word, 0x01A6).ok_or_else(|| corrupt("short FIB"))? as usize;
    let clx = table
        .get(fc_clx..fc_clx.saturating_add(lcb_clx))
        .ok_or_else(|| corrupt("piece table out of range"))?;
    let raw = pieces_text(&word, clx, None, limits)?;
    one_block(&raw)
}

/// The document as one block of cleaned text, or why it has none.
pub(super) fn one_block(raw: &str) -> Result<ExtractedDoc, ExtractError> {
    let text = clean(raw);
    if text.trim().is_empty() {
        return Err(ExtractError::NoText("DOC holds no text".into()));
    }
    Ok(ExtractedDoc {
        title: None,
        blocks: vec![Block {
            text,
            location: Location::line(1),
        }],
        ..Default::default()
    })
}

fn read_stream(
    file: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    path: &str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    if !file.is_stream(path) {
        return Ok(None);
    }
    let mut s = file.open_stream(path).map_err(corrupt)?;
    let mut out = Vec::new();
    s.by_ref()
        .take(limits.max_decompressed_bytes)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    Ok(Some(out))
}

/// Concatenates the pieces of the piece table (`Pcdt` inside the `Clx`).
/// Word 97 marks each piece as 8-bit (Windows-1252) or UTF-16; Word 6/95
/// pieces are all 8-bit, in the code page given as `eight_bit`.
pub(super) fn pieces_text(
    word: &[u8],
    clx: &[u8],
    eight_bit: Option<&'static encoding_rs::Encoding>,
    limits: &Limits,
) -> Result<String, ExtractError> {
    let mut i = 0;
    // Skip the Prc entries (formatting) that precede the Pcdt.
    while clx.get(i) == Some(&0x01) {
        let cb = u16_at(clx, i + 1).ok_or_else(|| corrupt("bad Clx"))? as usize;
        i += 3 + cb;
    }
    if clx.get(i) != Some(&0x02) {
        return Err(corrupt("no piece table"));
    }
    let lcb = u32_at(clx, i + 1).ok_or_else(|| corrupt("bad Pcdt"))? as usize;
    let plc = clx
        .get(i + 5..i + 5 + lcb)
        .ok_or_else(|| corrupt("piece table truncated"))?;
    let n = lcb.saturating_sub(4) / 12;
    let mut out = String::new();
    for k in 0..n {
        let (Some(cp0), Some(cp1)) = (u32_at(plc, k * 4), u32_at(plc, k * 4 + 4)) else {
            break;
        };
        let Some(fc) = u32_at(plc, (n + 1) * 4 + k * 8 + 2) else {
            break;
        };
        let chars = cp1.saturating_sub(cp0) as usize;
        if let Some(encoding) = eight_bit {
            let start = fc as usize;
            let Some(b) = word.get(start..start.saturating_add(chars)) else {
                continue;
            };
            out.push_str(&encoding.decode_without_bom_handling(b).0);
        } else if fc & 0x4000_0000 != 0 {
            // Compressed: one byte per character, Windows-1252.
            let start = ((fc & !0x4000_0000) / 2) as usize;
            let Some(b) = word.get(start..start.saturating_add(chars)) else {
                continue;
            };
            out.push_str(&encoding_rs::WINDOWS_1252.decode_without_bom_handling(b).0);
        } else {
            let start = fc as usize;
            let Some(b) = word.get(start..start.saturating_add(chars * 2)) else {
                continue;
            };
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            out.push_str(&String::from_utf16_lossy(&units));
        }
        if out.len() > limits.max_text_chars {
            break;
        }
    }
    Ok(out)
}

/// Turns Word's control characters into plain text: paragraph and cell
/// marks become newlines and tabs, field codes are dropped (their results
/// kept), embedded-object anchors vanish.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut field_code_depth = 0usize;
    for c in raw.chars() {
        match c {
            '\u{13}' => field_code_depth += 1,
            '\u{14}' => field_code_depth = field_code_depth.saturating_sub(1),
            '\u{15}' => {}
            _ if field_code_depth > 0 => {}
            '\r' | '\u{0B}' | '\u{0C}' => out.push('\n'),
            '\u{07}' => out.push('\t'),
            '\u{01}' | '\u{08}' | '\u{02}' | '\u{05}' => {}
            c if c < ' ' && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_codes_are_dropped_and_results_kept() {
        assert_eq!(
            super::clean("See \u{13}HYPERLINK x\u{14}the site\u{15}.\rNext\u{07}cell"),
            "See the site.\nNext\tcell"
        );
    }
}
