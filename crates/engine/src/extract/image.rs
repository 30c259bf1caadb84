//! Image files (PNG, JPEG, TIFF, WebP, BMP): their text is recognised with
//! OCR (see [`crate::ocr`]). Decoding goes through the `image` crate under
//! explicit limits, so a file declaring enormous dimensions (a decompression
//! bomb) fails before anything is allocated for its pixels.

use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use crate::ocr;
use image::{ImageReader, RgbImage};
use std::io::Cursor;

/// Longest side accepted, in pixels: about a 45-megapixel camera's, or an
/// A4 page scanned at 1200 dpi.
pub const MAX_SIDE: u32 = 14_000;
/// Most bytes the decoder may allocate for one image.
pub const MAX_ALLOC: u64 = 384 << 20;

/// Extractor for image files.
pub struct ImageExtractor;

impl Extractor for ImageExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Image]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        _limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let settings = ocr::settings();
        if !settings.enabled {
            return Err(ExtractError::NoText(
                "image (text recognition is turned off)".into(),
            ));
        }
        // Decode up front even when the text is cached or left for later: a
        // damaged or hostile file must fail the same way every time, and in
        // the first stage, where it costs the least.
        let image = decode_image(bytes)?;
        let text = if settings.defer {
            // The first stage: what the cache holds is cheap to fill in now;
            // the rest waits for the second stage (`Engine::recognise_pending`).
            match ocr::cached_page_text(bytes) {
                Some(text) => text,
                None => {
                    return Ok(ExtractedDoc {
                        pending_ocr: vec![1],
                        ..Default::default()
                    })
                }
            }
        } else {
            ocr::page_text(bytes, || Some(image))
                // Said as what it is: the image is fine, its text could not
                // be read (models missing or failing), so the file is kept
                // as skipped with that reason rather than "unsupported".
                .map_err(|e| ExtractError::NoText(format!("image; {e}")))?
                .unwrap_or_default()
        };
        if text.trim().is_empty() {
            return Err(ExtractError::NoText(
                "no text recognised in this image".into(),
            ));
        }
        Ok(ExtractedDoc {
            title: None,
            blocks: vec![Block {
                text,
                location: Location::label(ocr::RECOGNISED_LABEL),
            }],
            ..Default::default()
        })
    }
}

/// Decodes an image (format sniffed from its bytes) to RGB under
/// [`MAX_SIDE`] and [`MAX_ALLOC`].
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, ExtractError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ExtractError::Io(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let format = reader
        .format()
        .map(|f| format!("{f:?}"))
        .unwrap_or_else(|| "image".into());
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ExtractError::Limit(format!(
            "{format} too large to decode ({l}; at most {MAX_SIDE} px a side, {} MiB)",
            MAX_ALLOC >> 20
        )),
        image::ImageError::Unsupported(u) => ExtractError::Unsupported(u.to_string()),
        other => ExtractError::corrupt(&format, other),
    })?;
    Ok(decoded.to_rgb8())
}
