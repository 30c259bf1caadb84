//! PP-OCR's text-line orientation classifier: is this crop upside down?
//! Crops are scaled to 48×192 (aspect kept, padded right), and a line the
//! model calls "180" with probability above [`THRESHOLD`] is turned around
//! before recognition (rapidocr's `cls_thresh`).

use super::{run_model, OcrError};
use image::imageops::FilterType;
use image::RgbImage;
use ort::session::Session;

const HEIGHT: u32 = 48;
const WIDTH: u32 = 192;
const BATCH: usize = 6;
/// Confidence needed to turn a line around.
pub const THRESHOLD: f32 = 0.9;

/// For each crop, whether it reads upside down.
pub fn upside_down(session: &mut Session, crops: &[RgbImage]) -> Result<Vec<bool>, OcrError> {
    let mut out = Vec::with_capacity(crops.len());
    let (h, w) = (HEIGHT as usize, WIDTH as usize);
    let plane = h * w;
    for batch in crops.chunks(BATCH) {
        let mut input = vec![0f32; batch.len() * 3 * plane];
        for (slot, crop) in batch.iter().enumerate() {
            let ratio = crop.width() as f32 / crop.height().max(1) as f32;
            let cw = ((HEIGHT as f32 * ratio).ceil() as u32).clamp(1, WIDTH);
            let line = image::imageops::resize(crop, cw, HEIGHT, FilterType::Triangle);
            for (x, y, p) in line.enumerate_pixels() {
                let at = y as usize * w + x as usize;
                for c in 0..3 {
                    input[slot * 3 * plane + c * plane + at] = f32::from(p.0[2 - c]) / 127.5 - 1.0;
                }
            }
        }
        let (shape, probs) = run_model(session, [batch.len(), 3, h, w], input)?;
        if shape.as_slice() != [batch.len(), 2] {
            return Err(OcrError::Model(format!(
                "classifier output shape {shape:?}"
            )));
        }
        out.extend(
            probs
                .chunks_exact(2)
                .map(|p| p[1] > p[0] && p[1] > THRESHOLD),
        );
    }
    Ok(out)
}
