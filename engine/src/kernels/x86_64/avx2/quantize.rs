//! AVX2 per-row int8 quantization, bit-exact with `scalar::quantize` (and so with
//! `scalar::quantize::quantize_rows_smoothed`). Also used by the AVX-VNNI kernel set: the op
//! reads each row twice and is bound by memory, not by vector width.
//!
//! * max: `vmaxps(|v|, m)` returns `m` when `|v|` is NaN, as `f32::max` ignores NaN; max is exact,
//!   so lane order does not matter.
//! * round: one `vcvtps2dq`, which rounds as MXCSR says: to nearest, half to even, the default
//!   that Rust code runs under. That is the scalar `round_half_even` for the |t| ≤ 127.5 that
//!   quantization gives it (`scalar::quantize`'s note).
//! * NaN becomes 0 (an ordered-compare mask); the results lie in [-127, 127], so the saturating
//!   packs narrow them exactly.

use core::arch::x86_64::*;

use crate::kernels::scalar::quantize::{for_each_row, tail_max, tail_quantize};

/// Same contract as `scalar::quantize::quantize_rows_smoothed`.
///
/// # Safety
/// The CPU must support AVX2. (Lengths are checked through slices.)
#[target_feature(enable = "avx2")]
pub unsafe fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    for_each_row(x, cols, q, scales, |row| row_max(row, channel_scale), |row, inv, qrow| quantize_row(row, channel_scale, inv, qrow));
}

/// `row[x..x + 8]`, times `cs[x..x + 8]` when smoothing: the values `row_max` and
/// `quantize_row` read.
///
/// # Safety
/// `x + 8 ≤ row.len()`, and `cs`, if present, at least as long as `row`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn smoothed(row: &[f32], cs: Option<&[f32]>, x: usize) -> __m256 {
    // SAFETY: 8 floats from x lie inside `row` and `cs` (the contract).
    unsafe {
        let v = _mm256_loadu_ps(row.as_ptr().add(x));
        match cs {
            Some(cs) => _mm256_mul_ps(v, _mm256_loadu_ps(cs.as_ptr().add(x))),
            None => v,
        }
    }
}

/// `max_c |row[c] · cs[c]|` (or `|row[c]|`), NaN ignored, starting from 0.
#[target_feature(enable = "avx2")]
fn row_max(row: &[f32], cs: Option<&[f32]>) -> f32 {
    let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    // Four independent maxima (vmaxps latency 4) over 32 values per step, then 8 at a time;
    // max is exact, so the split changes nothing.
    let (mut m0, mut m1, mut m2, mut m3) = (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
    let body = row.len() / 8 * 8;
    let wide = row.len() / 32 * 32;
    let cs = cs.inspect(|c| assert!(c.len() >= row.len()));
    // SAFETY: callers pass x + 8 ≤ body ≤ row.len() ≤ cs.len() (asserted above).
    let load = |x: usize| unsafe { smoothed(row, cs, x) };
    for x in (0..wide).step_by(32) {
        m0 = _mm256_max_ps(_mm256_and_ps(load(x), abs), m0);
        m1 = _mm256_max_ps(_mm256_and_ps(load(x + 8), abs), m1);
        m2 = _mm256_max_ps(_mm256_and_ps(load(x + 16), abs), m2);
        m3 = _mm256_max_ps(_mm256_and_ps(load(x + 24), abs), m3);
    }
    for x in (wide..body).step_by(8) {
        m0 = _mm256_max_ps(_mm256_and_ps(load(x), abs), m0);
    }
    let m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` is 8 writable f32.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), m) };
    tail_max(row, cs, body, lanes.iter().fold(0.0f32, |a, &b| a.max(b)))
}

/// 8 values → 8 i32: `round_half_even(v · inv)`, NaN → 0.
#[target_feature(enable = "avx2")]
#[inline]
fn round(v: __m256, inv: __m256) -> __m256i {
    let t = _mm256_mul_ps(v, inv);
    let i = _mm256_cvtps_epi32(t);
    _mm256_and_si256(i, _mm256_castps_si256(_mm256_cmp_ps::<_CMP_ORD_Q>(t, t))) // NaN → 0
}

#[target_feature(enable = "avx2")]
fn quantize_row(row: &[f32], cs: Option<&[f32]>, inv: f32, q: &mut [i8]) {
    let invv = _mm256_set1_ps(inv);
    let body = row.len() / 8 * 8;
    let wide = row.len() / 32 * 32;
    let cs = cs.inspect(|c| assert!(c.len() >= row.len()));
    assert!(q.len() >= row.len());
    // SAFETY: callers pass x + 8 ≤ body ≤ row.len() ≤ cs.len() (asserted above).
    let load = |x: usize| unsafe { smoothed(row, cs, x) };
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for x in (0..wide).step_by(32) {
        let i0 = round(load(x), invv);
        let i1 = round(load(x + 8), invv);
        let i2 = round(load(x + 16), invv);
        let i3 = round(load(x + 24), invv);
        // Saturating packs keep order within 128-bit lanes: 4-byte groups come out as
        // [i0a i1a i2a i3a | i0b i1b i2b i3b]; vpermd restores i0a i0b i1a i1b ...
        let b = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        let b = _mm256_permutevar8x32_epi32(b, order);
        // SAFETY: x + 32 ≤ wide ≤ q.len() (asserted above).
        unsafe { _mm256_storeu_si256(q.as_mut_ptr().add(x).cast(), b) };
    }
    for x in (wide..body).step_by(8) {
        let i = round(load(x), invv);
        let w16 = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256::<1>(i));
        let b = _mm_packs_epi16(w16, w16);
        // SAFETY: x + 8 ≤ body ≤ q.len().
        unsafe { _mm_storel_epi64(q.as_mut_ptr().add(x).cast(), b) };
    }
    tail_quantize(row, cs, inv, body, q);
}

/// The rounding of `quantize_row` on 8 lanes, exposed for the exhaustive rounding test.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(test)]
#[target_feature(enable = "avx2")]
pub unsafe fn round8(x: [f32; 8]) -> [i32; 8] {
    let mut out = [0i32; 8];
    // SAFETY: 8 readable f32 and 8 writable i32.
    unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), round(_mm256_loadu_ps(x.as_ptr()), _mm256_set1_ps(1.0))) };
    out
}
