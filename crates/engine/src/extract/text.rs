//! Plain text, Markdown and source code: decode bytes in whatever encoding
//! they arrive in, keep lines intact so hits can point to a line.

use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;

/// Extractor for text, Markdown and code.
pub struct PlainTextExtractor;

impl Extractor for PlainTextExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Text, FileKind::Markdown, FileKind::Code]
    }

    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        _limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let text = decode_text(bytes)?;
        let is_markdown =
            crate::kind::FileKind::from_path(std::path::Path::new(name)) == FileKind::Markdown;
        let title = if is_markdown {
            markdown_title(&text)
        } else {
            None
        };
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

/// The first ATX heading (`# Title`) of a Markdown document.
fn markdown_title(text: &str) -> Option<String> {
    text.lines()
        .take(50)
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix('#').map(|h| {
                h.trim_start_matches('#')
                    .trim()
                    .trim_end_matches('#')
                    .trim()
            })
        })
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(200).collect())
}

/// Decodes bytes of unknown encoding: honours UTF-8/UTF-16 byte-order marks,
/// accepts valid UTF-8, otherwise guesses the legacy encoding (Shift-JIS,
/// GBK, Windows-1252…) and decodes with replacement characters. Binary data is
/// refused rather than indexed as noise.
pub fn decode_text(bytes: &[u8]) -> Result<String, ExtractError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(strip_nuls(text.into_owned()));
    }
    let sample = &bytes[..bytes.len().min(64 << 10)];
    if sample.len() >= 16 && looks_utf16(sample) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return Ok(strip_nuls(text.into_owned()));
    }
    if sample.len() >= 16 && looks_utf16(&sample[1..]) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return Ok(strip_nuls(text.into_owned()));
    }
    if looks_binary(bytes) {
        return Err(ExtractError::NoText(
            "binary data, not text in any known encoding".into(),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let mut det = chardetng::EncodingDetector::new();
            det.feed(&bytes[..bytes.len().min(1 << 20)], true);
            let enc = det.guess(None, true);
            let (text, _, _) = enc.decode(bytes);
            text.into_owned()
        }
    };
    Ok(strip_nuls(text))
}

fn strip_nuls(mut s: String) -> String {
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
    s
}

/// A sample with many control bytes that are not whitespace is binary.
/// UTF-16 without a BOM shows as alternating NULs and is decoded instead.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(64 << 10)];
    if sample.is_empty() {
        return false;
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b | 0))
        .count();
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    // Text with a stray NUL is still text; a quarter NULs is UTF-16, NUL
    // padding inside text (long runs), or binary.
    controls * 20 > sample.len() || (nuls * 4 > sample.len() && !nul_padding(sample))
}

/// True when nearly all NULs sit in long runs (padding), not scattered as
/// in binary data or UTF-16.
fn nul_padding(sample: &[u8]) -> bool {
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    let in_runs = sample
        .windows(8)
        .filter(|w| w.iter().all(|&b| b == 0))
        .count();
    in_runs * 10 >= nuls * 9
}

fn looks_utf16(sample: &[u8]) -> bool {
    // ASCII-heavy UTF-16LE puts NULs at odd offsets.
    let odd_nuls = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let even_nuls = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    // ...and real characters at even offsets (NUL padding has NULs at both).
    odd_nuls * 2 > sample.len() / 2 && even_nuls * 4 < sample.len() / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_decodes() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "héllo".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_text(&bytes).unwrap(), "héllo");
    }

    #[test]
    fn latin1_falls_back_to_a_guess() {
        let bytes = b"caf\xe9 cr\xe8me br\xfbl\xe9e and more words to guess from";
        assert!(decode_text(bytes).unwrap().starts_with("café crème"));
    }

    #[test]
    fn random_binary_is_refused() {
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(matches!(decode_text(&bytes), Err(ExtractError::NoText(_))));
    }

    #[test]
    fn markdown_title_is_the_first_heading() {
        assert_eq!(
            markdown_title("intro\n## Budget 2024 ##\ntext").as_deref(),
            Some("Budget 2024")
        );
    }
}
