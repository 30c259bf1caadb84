//! Scoring every row of a row-major matrix against one query.
//!
//! The loops are written in independent lanes so LLVM vectorises them; on
//! x86-64 the same code is also compiled with AVX2 and picked at run time,
//! since release builds target the baseline CPU (SSE2), where widening int8
//! arithmetic is slow. Integer sums use wrapping ops: products of int8 codes
//! cannot overflow i32 at these dimensions, and overflow checks in debug
//! builds would stop vectorisation.

/// `rows · query` for each row of `data` (`data.len() / dim` rows).
pub(crate) fn scan_f32(data: &[f32], dim: usize, query: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { scan_f32_avx2(data, dim, query) };
    }
    scan_f32_portable(data, dim, query)
}

/// Integer dot products of int8 rows with an int8 query, as f32.
pub(crate) fn scan_i8(codes: &[i8], dim: usize, query: &[i8]) -> Vec<f32> {
    if dim == 0 {
        return Vec::new();
    }
    scan_i8_each(codes.chunks_exact(dim), codes.len() / dim, query)
}

/// [`scan_i8`] over the given rows only (a selective filter's passages):
/// the query is widened once for all of them, not once per row.
pub(crate) fn scan_i8_rows(codes: &[i8], dim: usize, query: &[i8], rows: &[usize]) -> Vec<f32> {
    let each = rows.iter().map(|&r| &codes[r * dim..(r + 1) * dim]);
    scan_i8_each(each, rows.len(), query)
}

fn scan_i8_each<'a>(rows: impl Iterator<Item = &'a [i8]>, n: usize, query: &[i8]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { scan_i8_avx2(rows, n, query) };
    }
    rows.map(|row| dot_i8(row, query) as f32).collect()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_f32_avx2(data: &[f32], dim: usize, query: &[f32]) -> Vec<f32> {
    scan_f32_portable(data, dim, query)
}

/// Written with intrinsics: LLVM widens the portable loop to i32 and
/// multiplies with `vpmulld`, which made int8 no faster than f32 (140 ms
/// per million rows either way). Widening to i16 once and multiplying pairs
/// with `vpmaddwd` does 16 products per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_i8_avx2<'a>(
    rows: impl Iterator<Item = &'a [i8]>,
    n: usize,
    query: &[i8],
) -> Vec<f32> {
    use std::arch::x86_64::*;
    let dim = query.len();
    let chunks = dim / 16;
    // SAFETY (all loads below): `c * 16 + 16 <= dim`, and `query` and every
    // row hold `dim` values; unaligned loads are used throughout.
    let q16: Vec<__m256i> = (0..chunks)
        .map(|c| _mm256_cvtepi8_epi16(_mm_loadu_si128(query.as_ptr().add(c * 16).cast())))
        .collect();
    let mut out = Vec::with_capacity(n);
    for row in rows {
        let mut acc = _mm256_setzero_si256();
        for (c, q) in q16.iter().enumerate() {
            let r = _mm256_cvtepi8_epi16(_mm_loadu_si128(row.as_ptr().add(c * 16).cast()));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(r, *q));
        }
        let s = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256(acc, 1),
        );
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        let mut total = _mm_cvtsi128_si32(s);
        for i in chunks * 16..dim {
            total = total.wrapping_add(i32::from(row[i]) * i32::from(query[i]));
        }
        out.push(total as f32);
    }
    out
}

#[inline(always)]
fn scan_f32_portable(data: &[f32], dim: usize, query: &[f32]) -> Vec<f32> {
    if dim == 0 {
        return Vec::new();
    }
    data.chunks_exact(dim)
        .map(|row| dot_f32(row, query))
        .collect()
}

/// Dot product in sixteen independent lanes.
#[inline(always)]
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] = acc[i].wrapping_add(i32::from(x[i]).wrapping_mul(i32::from(y[i])));
        }
    }
    let tail = ra.iter().zip(rb).fold(0i32, |s, (x, y)| {
        s.wrapping_add(i32::from(*x).wrapping_mul(i32::from(*y)))
    });
    acc.iter().fold(tail, |s, v| s.wrapping_add(*v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_match_naive_sums_including_tails() {
        for dim in [21, 384] {
            check_dim(dim);
        }
    }

    fn check_dim(dim: usize) {
        let data: Vec<f32> = (0..dim * 3).map(|i| (i as f32 * 0.37).sin()).collect();
        let q: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.11).cos()).collect();
        let got = scan_f32(&data, dim, &q);
        for (r, g) in got.iter().enumerate() {
            let naive: f32 = data[r * dim..(r + 1) * dim]
                .iter()
                .zip(&q)
                .map(|(a, b)| a * b)
                .sum();
            assert!((g - naive).abs() < 1e-4 * (1.0 + naive.abs()));
        }
        let codes: Vec<i8> = (0..dim * 2)
            .map(|i| (i as i32 * 37 % 255 - 127) as i8)
            .collect();
        let qi: Vec<i8> = (0..dim)
            .map(|i| (i as i32 * 11 % 255 - 127) as i8)
            .collect();
        let got = scan_i8(&codes, dim, &qi);
        // The portable loop (CPUs without AVX2) gives the same numbers.
        let portable: Vec<f32> = codes
            .chunks_exact(dim)
            .map(|r| dot_i8(r, &qi) as f32)
            .collect();
        assert_eq!(got, portable);
        assert_eq!(got, scan_i8_rows(&codes, dim, &qi, &[0, 1]));
        assert_eq!(scan_i8_rows(&codes, dim, &qi, &[1]), vec![got[1]]);
        for (r, g) in got.iter().enumerate() {
            let naive: i32 = codes[r * dim..(r + 1) * dim]
                .iter()
                .zip(&qi)
                .map(|(a, b)| i32::from(*a) * i32::from(*b))
                .sum();
            assert_eq!(*g, naive as f32);
        }
    }
}
