//! SSE4.1 per-row int8 quantization (the `sse41` kernel set), bit-exact with `scalar::quantize`:
//! the AVX2 kernel (`x86_64/avx2/quantize.rs`) on 4 lanes, with the same reasoning:
//!
//! * max: `maxps(|v|, m)` returns `m` when `|v|` is NaN, as `f32::max` ignores NaN;
//! * round: one `cvtps2dq` under MXCSR's default rounding (to nearest, half to even), the scalar
//!   `round_half_even` for the |t| ≤ 127.5 that quantization gives it;
//! * NaN becomes 0 (an ordered-compare mask); results lie in [-127, 127], so the saturating packs
//!   narrow them exactly, and in 128-bit registers they come out in order.
//!
//! (All of it is SSE2; the module is compiled for the `sse41` set it serves.)

use core::arch::x86_64::*;

use crate::kernels::scalar::quantize::{for_each_row, tail_max, tail_quantize};

/// Same contract as `scalar::quantize::quantize_rows_smoothed`.
///
/// # Safety
/// The CPU must support SSE4.1. (Lengths are checked through slices.)
#[target_feature(enable = "sse4.1")]
pub unsafe fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    for_each_row(x, cols, q, scales, |row| row_max(row, channel_scale), |row, inv, qrow| quantize_row(row, channel_scale, inv, qrow));
}

/// `row[x..x + 4]`, times `cs[x..x + 4]` when smoothing: the values `row_max` and
/// `quantize_row` read.
///
/// # Safety
/// `x + 4 ≤ row.len()`, and `cs`, if present, at least as long as `row`.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn smoothed(row: &[f32], cs: Option<&[f32]>, x: usize) -> __m128 {
    // SAFETY: 4 floats from x lie inside `row` and `cs` (the contract).
    unsafe {
        let v = _mm_loadu_ps(row.as_ptr().add(x));
        match cs {
            Some(cs) => _mm_mul_ps(v, _mm_loadu_ps(cs.as_ptr().add(x))),
            None => v,
        }
    }
}

/// `max_c |row[c] · cs[c]|` (or `|row[c]|`), NaN ignored, starting from 0.
#[target_feature(enable = "sse4.1")]
fn row_max(row: &[f32], cs: Option<&[f32]>) -> f32 {
    let abs = _mm_castsi128_ps(_mm_set1_epi32(0x7fff_ffff));
    // Four independent maxima over 16 values per step, then 4 at a time (max is exact).
    let (mut m0, mut m1, mut m2, mut m3) = (_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps());
    let body = row.len() / 4 * 4;
    let wide = row.len() / 16 * 16;
    let cs = cs.inspect(|c| assert!(c.len() >= row.len()));
    // SAFETY: callers pass x + 4 ≤ body ≤ row.len() ≤ cs.len() (asserted above).
    let load = |x: usize| unsafe { smoothed(row, cs, x) };
    for x in (0..wide).step_by(16) {
        m0 = _mm_max_ps(_mm_and_ps(load(x), abs), m0);
        m1 = _mm_max_ps(_mm_and_ps(load(x + 4), abs), m1);
        m2 = _mm_max_ps(_mm_and_ps(load(x + 8), abs), m2);
        m3 = _mm_max_ps(_mm_and_ps(load(x + 12), abs), m3);
    }
    for x in (wide..body).step_by(4) {
        m0 = _mm_max_ps(_mm_and_ps(load(x), abs), m0);
    }
    let m = _mm_max_ps(_mm_max_ps(m0, m1), _mm_max_ps(m2, m3));
    let mut lanes = [0.0f32; 4];
    // SAFETY: `lanes` is 4 writable f32.
    unsafe { _mm_storeu_ps(lanes.as_mut_ptr(), m) };
    tail_max(row, cs, body, lanes.iter().fold(0.0f32, |a, &b| a.max(b)))
}

/// 4 values → 4 i32: `round_half_even(v · inv)`, NaN → 0.
#[target_feature(enable = "sse4.1")]
#[inline]
fn round(v: __m128, inv: __m128) -> __m128i {
    let t = _mm_mul_ps(v, inv);
    let i = _mm_cvtps_epi32(t);
    _mm_and_si128(i, _mm_castps_si128(_mm_cmpord_ps(t, t))) // NaN → 0
}

#[target_feature(enable = "sse4.1")]
fn quantize_row(row: &[f32], cs: Option<&[f32]>, inv: f32, q: &mut [i8]) {
    let invv = _mm_set1_ps(inv);
    let wide = row.len() / 16 * 16;
    let cs = cs.inspect(|c| assert!(c.len() >= row.len()));
    assert!(q.len() >= row.len());
    // SAFETY: callers pass x + 4 ≤ wide ≤ row.len() ≤ cs.len() (asserted above).
    let load = |x: usize| unsafe { smoothed(row, cs, x) };
    for x in (0..wide).step_by(16) {
        let i0 = round(load(x), invv);
        let i1 = round(load(x + 4), invv);
        let i2 = round(load(x + 8), invv);
        let i3 = round(load(x + 12), invv);
        let b = _mm_packs_epi16(_mm_packs_epi32(i0, i1), _mm_packs_epi32(i2, i3));
        // SAFETY: x + 16 ≤ wide ≤ q.len() (asserted above).
        unsafe { _mm_storeu_si128(q.as_mut_ptr().add(x).cast(), b) };
    }
    tail_quantize(row, cs, inv, wide, q);
}

/// The rounding of `quantize_row` on 4 lanes, exposed for the exhaustive rounding test.
///
/// # Safety
/// The CPU must support SSE4.1.
#[cfg(test)]
#[target_feature(enable = "sse4.1")]
pub unsafe fn round4(x: [f32; 4]) -> [i32; 4] {
    let mut out = [0i32; 4];
    // SAFETY: 4 readable f32 and 4 writable i32.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), round(_mm_loadu_ps(x.as_ptr()), _mm_set1_ps(1.0))) };
    out
}
