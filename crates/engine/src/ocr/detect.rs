//! Text detection with PP-OCR's DB (differentiable binarisation) model: the
//! page is scaled so both sides are multiples of 32, normalised to `[-1, 1]`,
//! and the network answers a per-pixel text probability. Regions of the map
//! above [`DetectOptions::threshold`] become boxes, scored, expanded back
//! ("unclipped") and mapped to the original image.
//!
//! Defaults follow `rapidocr-onnxruntime`'s config.yaml for the same weights
//! (thresh 0.3, box_thresh 0.5, unclip 1.6, dilation on).

use super::geometry::{regions, TextBox};
use super::{run_model, OcrError};
use image::imageops::FilterType;
use image::RgbImage;
use ort::session::Session;

/// Detector settings.
#[derive(Debug, Clone, Copy)]
pub struct DetectOptions {
    /// Pixels whose probability exceeds this are text.
    pub threshold: f32,
    /// Boxes whose mean probability is lower are dropped.
    pub box_threshold: f32,
    /// DB unclip ratio.
    pub unclip_ratio: f32,
    /// The shorter side is scaled up to at least this (small images).
    /// Applied after `max_side`, as rapidocr does.
    pub min_side: u32,
    /// The longer side is scaled down to at most this. rapidocr uses 2000;
    /// 1600 keeps a letter page at 200 dpi inside the extraction worker's
    /// 1 GiB address space (peak RSS 577 MB against 725 MB at 2000, with ONNX
    /// Runtime's arena holding the detector's peak), and text a few
    /// millimetres high is still 20 px or more for the detector.
    pub max_side: u32,
    /// Most boxes kept per image.
    pub max_boxes: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            threshold: 0.3,
            box_threshold: 0.5,
            unclip_ratio: 1.6,
            min_side: 736,
            max_side: 1600,
            max_boxes: 1000,
        }
    }
}

/// The size the detector sees: `max_side` bounds the longer side, `min_side`
/// lifts the shorter one, both rounded to multiples of 32.
pub fn input_size(width: u32, height: u32, opts: &DetectOptions) -> (u32, u32) {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let mut scale = 1.0f32;
    if w.max(h) > opts.max_side as f32 {
        scale = opts.max_side as f32 / w.max(h);
    }
    // Small images are enlarged (the detector was trained on text a few
    // dozen pixels high), but a long thin strip not past twice `max_side`.
    if w.min(h) * scale < opts.min_side as f32 {
        scale = (opts.min_side as f32 / w.min(h)).min(2.0 * opts.max_side as f32 / w.max(h));
    }
    let round32 = |v: f32| (((v * scale) / 32.0).round() as u32).max(1) * 32;
    (round32(w), round32(h))
}

/// Finds text boxes in `image`, in its own pixel coordinates.
pub fn detect(
    session: &mut Session,
    image: &RgbImage,
    opts: &DetectOptions,
) -> Result<Vec<TextBox>, OcrError> {
    let (w, h) = input_size(image.width(), image.height(), opts);
    let resized = image::imageops::resize(image, w, h, FilterType::Triangle);
    let (wu, hu) = (w as usize, h as usize);
    let plane = wu * hu;
    let mut input = vec![0f32; 3 * plane];
    // PaddleOCR reads images with OpenCV: channels in BGR order.
    for (i, p) in resized.pixels().enumerate() {
        for c in 0..3 {
            input[c * plane + i] = f32::from(p.0[2 - c]) / 127.5 - 1.0;
        }
    }
    let (shape, prob) = run_model(session, [1, 3, hu, wu], input)?;
    let (mh, mw) = match shape.as_slice() {
        [_, _, mh, mw] => (*mh, *mw),
        other => return Err(OcrError::Model(format!("detector output shape {other:?}"))),
    };
    if prob.len() < mh * mw {
        return Err(OcrError::Model("detector output too short".into()));
    }
    let sx = image.width() as f32 / mw as f32;
    let sy = image.height() as f32 / mh as f32;
    Ok(boxes_from_map(&prob[..mh * mw], mw, mh, opts)
        .into_iter()
        .map(|b| b.scale_clip(sx, sy, image.width() as f32, image.height() as f32))
        .filter(|b| b.width() >= 2.0 && b.height() >= 2.0)
        .collect())
}

/// DB post-processing on a `width` × `height` probability map.
pub fn boxes_from_map(
    prob: &[f32],
    width: usize,
    height: usize,
    opts: &DetectOptions,
) -> Vec<TextBox> {
    let bin: Vec<bool> = prob.iter().map(|&p| p > opts.threshold).collect();
    // A 2×2 dilation, as PaddleOCR's use_dilation: joins characters whose
    // cores the network left one pixel apart.
    let mut mask = bin.clone();
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            if !mask[i] {
                mask[i] = (x > 0 && bin[i - 1])
                    || (y > 0 && bin[i - width])
                    || (x > 0 && y > 0 && bin[i - width - 1]);
            }
        }
    }
    let found = regions(&mask, width, height);
    let mut heights: Vec<usize> = found.iter().map(|r| r.3 - r.1).collect();
    heights.sort_unstable();
    let usual = heights.get(heights.len() / 2).copied().unwrap_or(0);
    let mut out = Vec::new();
    for (x0, y0, x1, y1) in found
        .into_iter()
        .flat_map(|r| split_lines(&mask, width, r, usual))
    {
        if out.len() >= opts.max_boxes {
            break;
        }
        if (x1 - x0).min(y1 - y0) < 3 {
            continue;
        }
        let mut sum = 0f32;
        for y in y0..y1 {
            sum += prob[y * width + x0..y * width + x1].iter().sum::<f32>();
        }
        let score = sum / ((x1 - x0) * (y1 - y0)) as f32;
        if score < opts.box_threshold {
            continue;
        }
        let b = TextBox {
            x0: x0 as f32,
            y0: y0 as f32,
            x1: x1 as f32,
            y1: y1 as f32,
            score,
        }
        .unclip(opts.unclip_ratio);
        if b.width().min(b.height()) < 5.0 {
            continue;
        }
        out.push(b);
    }
    out
}

/// A region much taller than the page's usual one is often two or more lines
/// joined by a descender touching the ascender below (at 150 dpi, or after
/// the dilation), and the recogniser reads one line per box, so the others
/// were lost. Such a region is cut at the rows where its mask thins to a
/// valley (under a sixth of its fullest row), each part keeping the columns
/// its own rows cover.
fn split_lines(
    mask: &[bool],
    width: usize,
    region: (usize, usize, usize, usize),
    usual: usize,
) -> Vec<(usize, usize, usize, usize)> {
    let (x0, y0, x1, y1) = region;
    if usual == 0 || (y1 - y0) * 5 < usual * 8 {
        return vec![region];
    }
    let rows: Vec<usize> = (y0..y1)
        .map(|y| {
            mask[y * width + x0..y * width + x1]
                .iter()
                .filter(|&&m| m)
                .count()
        })
        .collect();
    let fullest = rows.iter().copied().max().unwrap_or(0);
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &count) in rows.iter().chain(std::iter::once(&0)).enumerate() {
        let valley = count * 6 < fullest;
        match (start, valley) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                let (ys, ye) = (y0 + s, y0 + i);
                let cols = (x0..x1).filter(|&x| (ys..ye).any(|y| mask[y * width + x]));
                let (cx0, cx1) = cols.fold((x1, x0), |(a, b), x| (a.min(x), b.max(x + 1)));
                if cx1 > cx0 {
                    parts.push((cx0, ys, cx1, ye));
                }
                start = None;
            }
            _ => {}
        }
    }
    if parts.len() > 1 {
        parts
    } else {
        vec![region]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_sides_are_multiples_of_32_within_the_bounds() {
        let o = DetectOptions::default();
        // A 300 dpi letter page is scaled down so its long side is 1600.
        assert_eq!(input_size(2550, 3300, &o), (1248, 1600));
        // A small image is scaled up so its short side reaches 736…
        assert_eq!(input_size(400, 100, &o), (2944, 736));
        // …but a long strip no further than twice the long-side bound.
        assert_eq!(input_size(4000, 50, &o), (3200, 32));
    }

    #[test]
    fn two_lines_joined_by_a_descender_become_two_boxes() {
        let (w, h) = (60, 40);
        let mut prob = vec![0f32; w * h];
        // Three single lines set the usual height (4 rows)…
        for (y0, x0) in [(0, 40), (8, 40), (16, 40)] {
            for y in y0..y0 + 4 {
                for x in x0..x0 + 15 {
                    prob[y * w + x] = 0.9;
                }
            }
        }
        // …and two lines (rows 2..6 and 10..14) joined by a one-pixel
        // descender at x 10 make one region.
        for y in (2..6).chain(10..14) {
            for x in 2..30 {
                prob[y * w + x] = 0.9;
            }
        }
        for y in 6..10 {
            prob[y * w + 10] = 0.9;
        }
        let opts = DetectOptions {
            box_threshold: 0.3,
            ..DetectOptions::default()
        };
        let mut left: Vec<TextBox> = boxes_from_map(&prob, w, h, &opts)
            .into_iter()
            .filter(|b| b.x0 < 35.0)
            .collect();
        left.sort_by(|a, b| a.y0.total_cmp(&b.y0));
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(
            left[0].y1 < left[1].y1 && left[0].y0 < 4.0 && left[1].y0 > 4.0,
            "{left:?}"
        );
    }

    #[test]
    fn a_confident_region_becomes_one_unclipped_box_and_a_faint_one_none() {
        let (w, h) = (40, 20);
        let mut prob = vec![0f32; w * h];
        for y in 5..10 {
            for x in 5..30 {
                prob[y * w + x] = 0.9;
            }
        }
        // A faint blob: above the pixel threshold, below the box score.
        for y in 14..18 {
            for x in 32..38 {
                prob[y * w + x] = 0.35;
            }
        }
        let boxes = boxes_from_map(&prob, w, h, &DetectOptions::default());
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        assert!(
            b.x0 < 5.0 && b.x1 > 31.0 && b.y0 < 5.0 && b.y1 > 11.0,
            "{b:?}"
        );
    }
}
