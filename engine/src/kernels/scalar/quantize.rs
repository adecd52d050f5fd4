//! Per-row symmetric int8 quantization of activations: the specification of every SIMD
//! `quantize` kernel.
//!
//! ```text
//! v[c]  = x[r, c] · channel_scale[c]        (or x[r, c] without smoothing)
//! max   = max_c |v[c]|                       (f32::max: NaN ignored)
//! s[r]  = max / 127 if max ≥ 1e-30, else 1.0;  inv = 1 / s[r]
//! q[r, c] = round_half_even(v[c] · inv) as i8   (NaN → 0)
//! ```
//!
//! With `max ≥ 1e-30`, `s` is a normal float and `inv` finite, and `|v · inv| ≤ 127·(1+ε)³`,
//! which rounds to at most 127: every result lies in [-127, 127] without a clamp, so the vector
//! kernels convert with one rounding conversion (`vcvtps2dq`, `fcvtns`), whose rounding is half
//! to even. (A row whose values are all below 1e-30 quantizes to 0 with scale 1.) A max of ±∞
//! gives `inv = 0`, so finite values become 0 and infinite ones NaN, then 0.

/// `x` [rows, cols], `q` [rows, cols], `scales` [rows]; `channel_scale` [cols] if present.
pub fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    for ((row, qrow), s) in x.chunks_exact(cols).zip(q.chunks_exact_mut(cols)).zip(scales.iter_mut()) {
        match channel_scale {
            None => {
                let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                *s = quantize_row(row.iter().copied(), max, qrow);
            }
            Some(c) => {
                let max = row.iter().zip(c).fold(0.0f32, |m, (v, c)| m.max((v * c).abs()));
                *s = quantize_row(row.iter().zip(c).map(|(v, c)| v * c), max, qrow);
            }
        }
    }
}

/// The row loop of the SIMD kernels: per row of `x` [rows, cols], its maximum (`row_max`), the
/// scale and inverse from it into `scales`, then the row quantized into `q` (`quantize_row`, given
/// the inverse), each phase over a group of rows before the next. Nothing for `cols = 0`.
#[inline(always)]
pub fn for_each_row(
    x: &[f32],
    cols: usize,
    q: &mut [i8],
    scales: &mut [f32],
    mut row_max: impl FnMut(&[f32]) -> f32,
    mut quantize_row: impl FnMut(&[f32], f32, &mut [i8]),
) {
    if cols == 0 {
        return;
    }
    // Rows go in groups, phase by phase (maxima, then scales, then values): a row's maximum ends
    // in a horizontal reduction and two divisions, a latency chain that the rows of a group
    // overlap when their maxima are next to each other.
    const GROUP: usize = 8;
    for ((xg, qg), sg) in x.chunks(GROUP * cols).zip(q.chunks_mut(GROUP * cols)).zip(scales.chunks_mut(GROUP)) {
        // The rows that have a row of `x`, of `q` and a scale (as a zip of the three would).
        let n = (xg.len() / cols).min(qg.len() / cols).min(sg.len());
        let mut max = [0.0f32; GROUP];
        for (m, row) in max[..n].iter_mut().zip(xg.chunks_exact(cols)) {
            *m = row_max(row);
        }
        let mut inv = [0.0f32; GROUP];
        for ((i, s), &m) in inv[..n].iter_mut().zip(sg.iter_mut()).zip(&max) {
            (*s, *i) = scale_and_inverse(m);
        }
        for ((row, qrow), &i) in xg.chunks_exact(cols).zip(qg.chunks_exact_mut(cols)).zip(&inv[..n]) {
            quantize_row(row, i, qrow);
        }
    }
}

/// `row[c] · cs[c]`, or `row[c]` without smoothing: the value a row's maximum and quantization see.
#[inline(always)]
pub fn smoothed(row: &[f32], cs: Option<&[f32]>, c: usize) -> f32 {
    match cs {
        Some(cs) => row[c] * cs[c],
        None => row[c],
    }
}

/// `max` extended over columns `from..` of the row: the scalar end of a vector kernel's maximum.
#[inline]
pub fn tail_max(row: &[f32], cs: Option<&[f32]>, from: usize, max: f32) -> f32 {
    (from..row.len()).fold(max, |m, c| m.max(smoothed(row, cs, c).abs()))
}

/// Columns `from..` of the row quantized into `q`: the scalar end of a vector kernel's row.
#[inline]
pub fn tail_quantize(row: &[f32], cs: Option<&[f32]>, inv: f32, from: usize, q: &mut [i8]) {
    for (c, d) in (from..row.len()).zip(&mut q[from..]) {
        *d = quantize_one(smoothed(row, cs, c), inv);
    }
}

/// The row scale and its inverse for a row whose largest magnitude is `max`.
#[inline]
pub fn scale_and_inverse(max: f32) -> (f32, f32) {
    let scale = if max >= MIN_MAX { max / 127.0 } else { 1.0 };
    (scale, 1.0 / scale)
}

/// Below this row maximum the row quantizes to 0 (scale 1); from it on, `1/scale` is finite.
pub const MIN_MAX: f32 = 1e-30;

/// Adding and subtracting 1.5·2^23 rounds an f32 of magnitude ≤ 2^22 to an integer, half to even
/// (the default rounding of every float add).
const ROUNDER: f32 = 12_582_912.0;

/// `t` rounded to the nearest integer, half to even, for `|t| ≤ 2^22`; NaN stays NaN.
#[inline]
pub fn round_half_even(t: f32) -> f32 {
    (t + ROUNDER) - ROUNDER
}

/// One value: `round_half_even(v · inv) as i8`, NaN → 0. The clamp to ±127 never changes a value
/// `quantize_rows_smoothed` gives it (see the module note); it keeps other callers in range.
#[inline]
pub fn quantize_one(v: f32, inv: f32) -> i8 {
    round_half_even(v * inv).clamp(-127.0, 127.0) as i8
}

#[inline]
fn quantize_row(values: impl Iterator<Item = f32>, max: f32, q: &mut [i8]) -> f32 {
    let (scale, inv) = scale_and_inverse(max);
    for (d, v) in q.iter_mut().zip(values) {
        *d = quantize_one(v, inv);
    }
    scale
}
