//! Boxes on the detector's probability map: connected regions of the
//! binarised map, their DB "unclip" expansion, and reading order.
//!
//! Boxes are axis-aligned. PaddleOCR fits a minimum-area rotated rectangle to
//! each region's contour; documents (scans, rendered pages, photos of paper
//! held straight) are overwhelmingly horizontal, and an axis-aligned box of a
//! slightly tilted line still holds the whole line, so the recogniser reads it.
//! What this gives up is strongly rotated text (a label at 45°).

/// An axis-aligned box in pixels, `x0..x1` × `y0..y1` (exclusive ends).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge (exclusive).
    pub x1: f32,
    /// Bottom edge (exclusive).
    pub y1: f32,
    /// Mean detector probability inside the region's bounding box.
    pub score: f32,
}

impl TextBox {
    /// Width in pixels.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }
    /// Height in pixels.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }
    fn center_y(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }

    /// DB's unclip: the region the network predicts is the text's shrunk
    /// core; it is grown back by `distance = area × ratio / perimeter` on
    /// every side (the Vatti offset PaddleOCR applies, for a rectangle).
    pub fn unclip(self, ratio: f32) -> TextBox {
        let (w, h) = (self.width(), self.height());
        let perimeter = 2.0 * (w + h);
        if perimeter <= 0.0 {
            return self;
        }
        let d = w * h * ratio / perimeter;
        TextBox {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
            ..self
        }
    }

    /// Scales by `sx`, `sy` and clips to `0..width` × `0..height`.
    pub fn scale_clip(self, sx: f32, sy: f32, width: f32, height: f32) -> TextBox {
        TextBox {
            x0: (self.x0 * sx).clamp(0.0, width),
            y0: (self.y0 * sy).clamp(0.0, height),
            x1: (self.x1 * sx).clamp(0.0, width),
            y1: (self.y1 * sy).clamp(0.0, height),
            ..self
        }
    }
}

/// The bounding boxes of the 8-connected regions of `mask` (`width` ×
/// `height`, row-major), each as `(x0, y0, x1, y1)` with exclusive ends.
/// An explicit stack rather than recursion, so a page-sized region cannot
/// overflow the thread's stack.
pub fn regions(mask: &[bool], width: usize, height: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len().min(width * height) {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
                        continue;
                    }
                    let j = ny as usize * width + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push((x0, y0, x1, y1));
    }
    out
}

/// Orders boxes as a person reads a page, by recursive XY-cut: a region is
/// split where a horizontal band of white space crosses it (a gap between
/// paragraphs or sections), else where a vertical gutter runs through it (a
/// gap between columns), and each part is read in turn; a region that cannot
/// be split is read as lines, top to bottom, left to right. Without the
/// column step, a two-column page read straight across both columns cost
/// more than half of the character error rate measured against pdftotext
/// (docs/BENCHMARKS.md, "OCR"). Returns the boxes grouped by line.
pub fn reading_order(boxes: Vec<TextBox>) -> Vec<Vec<TextBox>> {
    let mut heights: Vec<f32> = boxes.iter().map(TextBox::height).collect();
    heights.sort_by(f32::total_cmp);
    let unit = heights
        .get(heights.len() / 2)
        .copied()
        .unwrap_or(1.0)
        .max(1.0);
    let mut out = Vec::new();
    xy_cut(boxes, unit, 0, &mut out);
    out
}

/// Bounds the recursion; a page needs a handful of levels.
const MAX_DEPTH: usize = 24;

fn xy_cut(boxes: Vec<TextBox>, unit: f32, depth: usize, out: &mut Vec<Vec<TextBox>>) {
    if boxes.len() > 1 && depth < MAX_DEPTH {
        // Paragraph gaps: more than half a (unclipped) box height.
        let bands = split(&boxes, |b| (b.y0, b.y1), 0.5 * unit);
        if bands.len() > 1 {
            for band in bands {
                xy_cut(band, unit, depth + 1, out);
            }
            return;
        }
        // Column gutters: wider than a box is high, and only through a
        // region of several lines, so a single line stays one line.
        let columns = split(&boxes, |b| (b.x0, b.x1), unit);
        if columns.len() > 1 && columns.iter().any(|c| lines(c.clone()).len() > 1) {
            for column in columns {
                xy_cut(column, unit, depth + 1, out);
            }
            return;
        }
    }
    out.extend(lines(boxes));
}

/// Splits boxes into groups separated by gaps wider than `min_gap` along
/// the axis `span` projects them on, in order along it.
fn split(
    boxes: &[TextBox],
    span: impl Fn(&TextBox) -> (f32, f32),
    min_gap: f32,
) -> Vec<Vec<TextBox>> {
    let mut sorted = boxes.to_vec();
    sorted.sort_by(|a, b| span(a).0.total_cmp(&span(b).0));
    let mut groups: Vec<Vec<TextBox>> = Vec::new();
    let mut reach = f32::NEG_INFINITY;
    for b in sorted {
        let (start, end) = span(&b);
        match groups.last_mut() {
            Some(g) if start - reach <= min_gap => g.push(b),
            _ => groups.push(vec![b]),
        }
        reach = reach.max(end);
    }
    groups
}

/// Lines of one region: a box joins the current line when its vertical
/// centre lies within half the height of the line's first box from that
/// box's centre, so words whose tops differ by a few pixels stay together.
fn lines(mut boxes: Vec<TextBox>) -> Vec<Vec<TextBox>> {
    boxes.sort_by(|a, b| a.center_y().total_cmp(&b.center_y()));
    let mut lines: Vec<Vec<TextBox>> = Vec::new();
    for b in boxes {
        match lines.last_mut() {
            Some(line)
                if line
                    .first()
                    .is_some_and(|f| (b.center_y() - f.center_y()).abs() <= f.height() / 2.0) =>
            {
                line.push(b)
            }
            _ => lines.push(vec![b]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb(x0: f32, y0: f32, x1: f32, y1: f32) -> TextBox {
        TextBox {
            x0,
            y0,
            x1,
            y1,
            score: 1.0,
        }
    }

    #[test]
    fn regions_are_eight_connected_bounding_boxes() {
        #[rustfmt::skip]
        let m = [
            1, 1, 0, 0, 0,
            0, 0, 1, 0, 0,
            0, 0, 0, 0, 1,
            0, 0, 0, 0, 1,
        ];
        let mask: Vec<bool> = m.iter().map(|&v| v == 1).collect();
        let mut r = regions(&mask, 5, 4);
        r.sort();
        // The diagonal step joins the first two runs; the right column stands alone.
        assert_eq!(r, vec![(0, 0, 3, 2), (4, 2, 5, 4)]);
    }

    #[test]
    fn unclip_grows_each_side_by_area_times_ratio_over_perimeter() {
        let b = tb(10.0, 10.0, 110.0, 20.0).unclip(1.5);
        // 100 × 10: 1000 × 1.5 / 220 ≈ 6.82 px on every side.
        let d = 1000.0 * 1.5 / 220.0;
        assert!((b.x0 - (10.0 - d)).abs() < 1e-4 && (b.y1 - (20.0 + d)).abs() < 1e-4);
    }

    #[test]
    fn reading_order_groups_words_into_lines_left_to_right() {
        let words = vec![
            tb(200.0, 52.0, 260.0, 70.0), // line 2, second word
            tb(120.0, 11.0, 180.0, 29.0), // line 1, second word (a little lower)
            tb(10.0, 10.0, 100.0, 28.0),  // line 1, first word
            tb(10.0, 50.0, 150.0, 68.0),  // line 2, first word
        ];
        let lines = reading_order(words);
        let xs: Vec<Vec<f32>> = lines
            .iter()
            .map(|l| l.iter().map(|b| b.x0).collect())
            .collect();
        assert_eq!(xs, vec![vec![10.0, 120.0], vec![10.0, 200.0]]);
    }

    #[test]
    fn two_columns_under_a_title_are_read_column_by_column() {
        let title = tb(10.0, 0.0, 400.0, 20.0);
        // Lines touch within a column (unclipped boxes do); a wide gutter
        // at x 190..230; a paragraph gap above the columns.
        let left = [tb(10.0, 40.0, 190.0, 60.0), tb(10.0, 60.0, 190.0, 80.0)];
        let right = [tb(230.0, 40.0, 400.0, 60.0), tb(230.0, 60.0, 400.0, 80.0)];
        let all = vec![right[1], left[0], title, right[0], left[1]];
        let order: Vec<(f32, f32)> = reading_order(all)
            .into_iter()
            .flatten()
            .map(|b| (b.x0, b.y0))
            .collect();
        assert_eq!(
            order,
            vec![
                (10.0, 0.0),
                (10.0, 40.0),
                (10.0, 60.0),
                (230.0, 40.0),
                (230.0, 60.0)
            ]
        );
    }
}
