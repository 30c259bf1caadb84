//! Text-line recognition with PP-OCR's CRNN model and CTC greedy decoding.
//!
//! Each line crop is scaled to height 48 keeping its aspect ratio, normalised
//! to `[-1, 1]`, and padded on the right to the widest crop of its batch.
//! Crops are batched by aspect ratio (as PaddleOCR does), so a batch's
//! padding stays small. The network answers, per horizontal step, a softmax
//! over `blank + characters + space`; CTC greedy decoding keeps each step's
//! best class, merges repeats and drops blanks.

use super::{run_model, OcrError};
use image::imageops::FilterType;
use image::RgbImage;
use ort::session::Session;

/// The recogniser's input height.
pub const HEIGHT: u32 = 48;
/// The narrowest batch width (PaddleOCR's `rec_image_shape` 3×48×320).
const MIN_WIDTH: u32 = 320;
/// Crops wider than this (at height 48) are squeezed: a line that long is a
/// ruler or a table border, not text worth an unbounded tensor.
const MAX_WIDTH: u32 = 3200;
/// Lines per batch.
const BATCH: usize = 6;
/// Most padded width (pixels at height 48) in one batch, all lines
/// together: the output is `width / 8` steps of one probability per class
/// for each line, and PP-OCRv6's 18,710 classes make six page-wide lines
/// (about 2,000 px each at 300 dpi) a 110 MB tensor, copied once more on the
/// way out, inside the extraction worker's 1 GiB address space. Wide lines
/// go two or three to a batch instead; short ones still six.
const MAX_BATCH_WIDTH: usize = 4800;

/// One recognised line: its text and the mean confidence of its characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    /// The text.
    pub text: String,
    /// Mean probability of the kept characters (0 when empty).
    pub score: f32,
}

/// The character list: index 0 is CTC's blank, then `keys` in order, then a
/// space (PaddleOCR's `use_space_char`).
pub struct Charset {
    classes: Vec<String>,
}

impl Charset {
    /// From the dictionary's lines (`keys.txt`, one character per line).
    pub fn from_keys(keys: &str) -> Charset {
        let mut classes = vec![String::new()];
        classes.extend(
            keys.split('\n')
                .map(|k| k.trim_end_matches('\r'))
                .filter(|k| !k.is_empty())
                .map(str::to_string),
        );
        classes.push(" ".to_string());
        Charset { classes }
    }

    /// Number of classes, blank included.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when there is nothing but the blank and the space.
    pub fn is_empty(&self) -> bool {
        self.classes.len() <= 2
    }

    /// CTC greedy decoding of one `[steps, classes]` row of probabilities.
    pub fn decode(&self, probs: &[f32], classes: usize) -> Recognised {
        let mut text = String::new();
        let (mut sum, mut kept) = (0f32, 0usize);
        let mut prev = usize::MAX;
        for step in probs.chunks_exact(classes.max(1)) {
            let (best, p) =
                step.iter().enumerate().fold(
                    (0, f32::MIN),
                    |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
                );
            if best != 0 && best != prev {
                if let Some(c) = self.classes.get(best) {
                    text.push_str(c);
                    sum += p;
                    kept += 1;
                }
            }
            prev = best;
        }
        Recognised {
            text,
            score: if kept == 0 { 0.0 } else { sum / kept as f32 },
        }
    }
}

/// Recognises `crops` (line images, upright) and returns one result each,
/// in the order given.
pub fn recognise(
    session: &mut Session,
    charset: &Charset,
    crops: &[RgbImage],
) -> Result<Vec<Recognised>, OcrError> {
    let ratio = |c: &RgbImage| c.width() as f32 / c.height().max(1) as f32;
    let mut order: Vec<usize> = (0..crops.len()).collect();
    order.sort_by(|&a, &b| ratio(&crops[a]).total_cmp(&ratio(&crops[b])));
    let mut out = vec![
        Recognised {
            text: String::new(),
            score: 0.0
        };
        crops.len()
    ];
    for batch in batches(&order, |i| scaled_width(&crops[i])) {
        let widths: Vec<u32> = batch.iter().map(|&i| scaled_width(&crops[i])).collect();
        let width = widths
            .iter()
            .copied()
            .max()
            .unwrap_or(MIN_WIDTH)
            .max(MIN_WIDTH) as usize;
        let (h, plane) = (HEIGHT as usize, HEIGHT as usize * width);
        // Padding is 0 in normalised space, as PaddleOCR pads.
        let mut input = vec![0f32; batch.len() * 3 * plane];
        for (slot, (&i, &w)) in batch.iter().zip(&widths).enumerate() {
            let line = image::imageops::resize(&crops[i], w, HEIGHT, FilterType::Triangle);
            let base = slot * 3 * plane;
            for (x, y, p) in line.enumerate_pixels() {
                let at = y as usize * width + x as usize;
                for c in 0..3 {
                    input[base + c * plane + at] = f32::from(p.0[2 - c]) / 127.5 - 1.0;
                }
            }
        }
        let (shape, probs) = run_model(session, [batch.len(), 3, h, width], input)?;
        let (steps, classes) = match shape.as_slice() {
            [n, t, k] if *n == batch.len() => (*t, *k),
            other => {
                return Err(OcrError::Model(format!(
                    "recogniser output shape {other:?}"
                )))
            }
        };
        if classes != charset.len() {
            return Err(OcrError::Model(format!(
                "recogniser has {classes} classes but its character list {}",
                charset.len()
            )));
        }
        for (slot, &i) in batch.iter().enumerate() {
            let row = &probs[slot * steps * classes..(slot + 1) * steps * classes];
            out[i] = charset.decode(row, classes);
        }
    }
    Ok(out)
}

/// A crop's width once scaled to the recogniser's height.
fn scaled_width(crop: &RgbImage) -> u32 {
    let ratio = crop.width() as f32 / crop.height().max(1) as f32;
    ((HEIGHT as f32 * ratio).ceil() as u32).clamp(1, MAX_WIDTH)
}

/// Splits `order` (crops sorted by aspect ratio, so widths grow) into
/// batches of at most [`BATCH`] lines whose padded width, lines times the
/// widest, stays within [`MAX_BATCH_WIDTH`] (a single line always goes).
fn batches(order: &[usize], width: impl Fn(usize) -> u32) -> Vec<&[usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        let mut widest = (width(order[start]) as usize).max(MIN_WIDTH as usize);
        while end < order.len() && end - start < BATCH {
            let w = widest.max(width(order[end]) as usize);
            if w * (end - start + 1) > MAX_BATCH_WIDTH {
                break;
            }
            widest = w;
            end += 1;
        }
        out.push(&order[start..end]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(classes: usize, seq: &[usize]) -> Vec<f32> {
        let mut v = vec![0.01f32; classes * seq.len()];
        for (t, &c) in seq.iter().enumerate() {
            v[t * classes + c] = 0.9;
        }
        v
    }

    #[test]
    fn wide_lines_share_a_batch_with_fewer_others() {
        let widths = [100u32, 300, 320, 700, 900, 2000, 2100, 2400, 3200];
        let order: Vec<usize> = (0..widths.len()).collect();
        let got = batches(&order, |i| widths[i]);
        let lens: Vec<usize> = got.iter().map(|b| b.len()).collect();
        assert_eq!(lens, vec![5, 2, 1, 1], "{got:?}");
        for b in &got {
            let widest = b
                .iter()
                .map(|&i| widths[i].max(MIN_WIDTH))
                .max()
                .unwrap_or(0);
            assert!(b.len() == 1 || widest as usize * b.len() <= MAX_BATCH_WIDTH);
        }
        let short = vec![0usize; 14];
        let lens: Vec<usize> = batches(&short, |_| 50).iter().map(|b| b.len()).collect();
        assert_eq!(lens, vec![6, 6, 2]);
    }

    #[test]
    fn ctc_merges_repeats_drops_blanks_and_maps_the_last_class_to_space() {
        let cs = Charset::from_keys("a\nb\nl\n");
        assert_eq!(cs.len(), 5); // blank, a, b, l, space
                                 // "b a l l" needs a blank between the two l's to keep both.
        let seq = [2, 2, 0, 1, 3, 0, 3, 3, 4, 1];
        let r = cs.decode(&one_hot(5, &seq), 5);
        assert_eq!(r.text, "ball a");
        assert!((r.score - 0.9).abs() < 1e-6);
        assert_eq!(cs.decode(&one_hot(5, &[0, 0]), 5).text, "");
    }
}
