//! Word 6 and Word 95 documents (`.doc`, FIB nFib 101–105). Same compound
//! file and piece table as Word 97 (`doc.rs`), but an older FIB: no table
//! stream (the piece table sits in the WordDocument stream itself), and text
//! always 8-bit, in the ANSI code page of the document's language (or Mac
//! Roman when the FIB says the text came from a Mac).

use super::doc::{corrupt, one_block, pieces_text, u16_at, u32_at};
use super::{ExtractError, ExtractedDoc, Limits};
use encoding_rs::Encoding;

/// Word 6 FIB fields (offsets in the WordDocument stream).
const FLAGS: usize = 0x0A;
const LID: usize = 0x06;
const CHSE: usize = 0x14;
const FC_MIN: usize = 0x18;
const FC_MAC: usize = 0x1C;
/// ccpText, ccpFtn, ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx, ccpHdrTxbx.
const CCP: usize = 0x34;
const FC_CLX: usize = 0x160;
const LCB_CLX: usize = 0x164;
const F_COMPLEX: u16 = 0x0004;
const F_ENCRYPTED: u16 = 0x0100;
/// `chse` value for text written by Word for the Macintosh.
const CHSE_MAC: u16 = 256;

/// Extracts the text of a Word 6/95 document from its WordDocument stream.
pub(crate) fn extract(word: &[u8], limits: &Limits) -> Result<ExtractedDoc, ExtractError> {
    let flags = u16_at(word, FLAGS).ok_or_else(|| corrupt("short FIB"))?;
    if flags & F_ENCRYPTED != 0 {
        return Err(ExtractError::Encrypted("DOC (Word 6/95)".into()));
    }
    let encoding = encoding_of(word);
    let raw = if flags & F_COMPLEX != 0 {
        // Fast-saved: the text is spread over pieces listed in the Clx.
        let (Some(fc), Some(lcb)) = (u32_at(word, FC_CLX), u32_at(word, LCB_CLX)) else {
            return Err(corrupt("short FIB"));
        };
        let clx = word
            .get(fc as usize..(fc as usize).saturating_add(lcb as usize))
            .ok_or_else(|| corrupt("piece table out of range"))?;
        pieces_text(word, clx, Some(encoding), limits)?
    } else {
        // Saved in full: the text runs from fcMin, main text first, then
        // footnotes, headers, annotations, endnotes and text boxes.
        let fc_min = u32_at(word, FC_MIN).ok_or_else(|| corrupt("short FIB"))? as usize;
        let fc_mac = u32_at(word, FC_MAC).ok_or_else(|| corrupt("short FIB"))? as usize;
        let chars: usize = (0..8)
            .filter_map(|k| u32_at(word, CCP + 4 * k))
            .map(|n| n as usize)
            .fold(0, usize::saturating_add);
        let end = fc_min
            .saturating_add(chars)
            .min(fc_mac.max(fc_min))
            .min(word.len())
            .min(fc_min.saturating_add(limits.max_text_chars));
        let text = word
            .get(fc_min..end)
            .ok_or_else(|| corrupt("text range out of the stream"))?;
        encoding.decode_without_bom_handling(text).0.into_owned()
    };
    one_block(&raw)
}

/// The 8-bit encoding of the text: Mac Roman for Mac files, otherwise the
/// Windows ANSI code page of the language the FIB is stamped with. Word 6
/// took each run's code page from its font, so a document stamped with a
/// Western language can still hold, say, Cyrillic text; for those the
/// Windows code page is guessed from the text bytes (`chardetng`), keeping
/// Windows-1252 unless another Windows code page fits clearly better.
fn encoding_of(word: &[u8]) -> &'static Encoding {
    if u16_at(word, CHSE) == Some(CHSE_MAC) {
        return encoding_rs::MACINTOSH;
    }
    let code_page = ansi_code_page(u16_at(word, LID).unwrap_or(0x0409));
    if code_page != 1252 {
        return codepage::to_encoding(code_page).unwrap_or(encoding_rs::WINDOWS_1252);
    }
    let (Some(min), Some(mac)) = (u32_at(word, FC_MIN), u32_at(word, FC_MAC)) else {
        return encoding_rs::WINDOWS_1252;
    };
    let (min, mac) = (min as usize, (mac as usize).min(word.len()));
    let Some(text) = word.get(min..mac.max(min).min(min.saturating_add(1 << 20))) else {
        return encoding_rs::WINDOWS_1252;
    };
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(text, true);
    let guess = detector.guess(None, false);
    let windows = codepage::from_encoding(guess).is_some_and(|cp| (1250..=1258).contains(&cp));
    if windows {
        guess
    } else {
        encoding_rs::WINDOWS_1252
    }
}

/// The Windows ANSI code page of a language id (LCID), by its primary
/// language; everything not listed writes Windows-1252.
fn ansi_code_page(lid: u16) -> u16 {
    let (primary, sub) = (lid & 0x3FF, lid >> 10);
    match primary {
        // Russian, Ukrainian, Belarusian, Bulgarian, Macedonian, Kazakh,
        // Tatar, Mongolian; Serbian in Cyrillic (sublanguage 3).
        0x19 | 0x22 | 0x23 | 0x02 | 0x2F | 0x3F | 0x44 | 0x50 => 1251,
        0x1A if sub == 3 => 1251,
        // Czech, Polish, Hungarian, Slovak, Slovenian, Romanian, Albanian,
        // Croatian and Serbian in Latin.
        0x05 | 0x15 | 0x0E | 0x1B | 0x24 | 0x18 | 0x1C | 0x1A => 1250,
        0x08 => 1253,
        0x1F => 1254,
        0x0D => 1255,
        // Arabic, Farsi, Urdu.
        0x01 | 0x29 | 0x20 => 1256,
        // Estonian, Latvian, Lithuanian.
        0x25..=0x27 => 1257,
        0x2A => 1258,
        0x1E => 874,
        0x11 => 932,
        // Chinese: the PRC and Singapore write GBK, the rest Big5.
        0x04 if matches!(sub, 2 | 4) => 936,
        0x04 => 950,
        0x12 => 949,
        _ => 1252,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_pages_follow_the_language() {
        assert_eq!(super::ansi_code_page(0x0419), 1251); // Russian
        assert_eq!(super::ansi_code_page(0x0C1A), 1251); // Serbian, Cyrillic
        assert_eq!(super::ansi_code_page(0x041A), 1250); // Croatian
        assert_eq!(super::ansi_code_page(0x0804), 936); // Chinese, PRC
        assert_eq!(super::ansi_code_page(0x0404), 950); // Chinese, Taiwan
        assert_eq!(super::ansi_code_page(0x040C), 1252); // French
    }
}
