//! AVX2 per-row int8 quantization, bit-exact with `scalar::quantize` (and so with
//! `scalar::quantize::quantize_rows_smoothed`). Also used by the AVX-VNNI and AVX-512 VNNI kernel sets:
//! the op reads each row twice and is bound by memory, not by vector width.
//!
//! * max: `vmaxps(|v|, m)` returns `m` when `|v|` is NaN, as `f32::max` ignores NaN; max is exact,
//!   so lane order does not matter.
//! * round: the same operations as `libm::roundf` (`trunc(x + copysign(0.5 - ε/4, x))`), so equal
//!   by construction, not by an argument about `vroundps` modes (whose "nearest" is half-to-even).
//! * NaN becomes 0 (as `NaN.clamp(..) as i8`), ±∞ and out-of-range values clamp to ±127.

use core::arch::x86_64::*;

use crate::kernels::scalar::quantize::{quantize_one, scale_and_inverse};

/// `libm::roundf`'s offset: 0.5 − ¼·ε, the largest f32 below 0.5.
const HALF_BELOW: f32 = 0.5 - 0.25 * f32::EPSILON;

/// Same contract as `scalar::quantize::quantize_rows_smoothed`.
///
/// # Safety
/// The CPU must support AVX2. (Lengths are checked through slices.)
#[target_feature(enable = "avx2")]
pub unsafe fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    if cols == 0 {
        return;
    }
    for ((row, qrow), s) in x.chunks_exact(cols).zip(q.chunks_exact_mut(cols)).zip(scales.iter_mut()) {
        let (scale, inv) = scale_and_inverse(row_max(row, channel_scale));
        *s = scale;
        quantize_row(row, channel_scale, inv, qrow);
    }
}

/// `max_c |row[c] · cs[c]|` (or `|row[c]|`), NaN ignored, starting from 0.
#[target_feature(enable = "avx2")]
fn row_max(row: &[f32], cs: Option<&[f32]>) -> f32 {
    let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let mut m = _mm256_setzero_ps();
    let body = row.len() / 8 * 8;
    for x in (0..body).step_by(8) {
        // SAFETY: x + 8 ≤ body ≤ row.len() (and ≤ cs.len(), checked below).
        let mut v = unsafe { _mm256_loadu_ps(row[x..x + 8].as_ptr()) };
        if let Some(cs) = cs {
            // SAFETY: the slice is 8 elements (bounds-checked).
            v = _mm256_mul_ps(v, unsafe { _mm256_loadu_ps(cs[x..x + 8].as_ptr()) });
        }
        m = _mm256_max_ps(_mm256_and_ps(v, abs), m);
    }
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` is 8 writable f32.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), m) };
    let mut max = lanes.iter().fold(0.0f32, |a, &b| a.max(b));
    for x in body..row.len() {
        let v = match cs {
            Some(cs) => row[x] * cs[x],
            None => row[x],
        };
        max = max.max(v.abs());
    }
    max
}

#[target_feature(enable = "avx2")]
fn quantize_row(row: &[f32], cs: Option<&[f32]>, inv: f32, q: &mut [i8]) {
    let invv = _mm256_set1_ps(inv);
    let sign = _mm256_set1_ps(-0.0);
    let half = _mm256_set1_ps(HALF_BELOW);
    let (lo, hi) = (_mm256_set1_ps(-127.0), _mm256_set1_ps(127.0));
    let body = row.len() / 8 * 8;
    for x in (0..body).step_by(8) {
        // SAFETY: 8-element bounds-checked slices.
        let mut v = unsafe { _mm256_loadu_ps(row[x..x + 8].as_ptr()) };
        if let Some(cs) = cs {
            // SAFETY: as above.
            v = _mm256_mul_ps(v, unsafe { _mm256_loadu_ps(cs[x..x + 8].as_ptr()) });
        }
        let t = _mm256_mul_ps(v, invv);
        // roundf: trunc(t + copysign(HALF_BELOW, t)).
        let r = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(_mm256_add_ps(
            t,
            _mm256_or_ps(_mm256_and_ps(t, sign), half),
        ));
        let r = _mm256_and_ps(r, _mm256_cmp_ps::<_CMP_ORD_Q>(r, r)); // NaN → +0
        let r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);
        let i = _mm256_cvttps_epi32(r);
        let w16 = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256::<1>(i));
        let b = _mm_packs_epi16(w16, w16);
        // SAFETY: q[x..x+8] is 8 writable bytes (bounds-checked slice).
        unsafe { _mm_storel_epi64(q[x..x + 8].as_mut_ptr().cast(), b) };
    }
    for x in body..row.len() {
        let v = match cs {
            Some(cs) => row[x] * cs[x],
            None => row[x],
        };
        q[x] = quantize_one(v, inv);
    }
}

/// `libm::roundf` on 8 lanes, exposed for the exhaustive rounding test.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(test)]
#[target_feature(enable = "avx2")]
pub unsafe fn roundf8(x: [f32; 8]) -> [f32; 8] {
    // SAFETY: 8 readable/writable f32 arrays.
    unsafe {
        let t = _mm256_loadu_ps(x.as_ptr());
        let r = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(_mm256_add_ps(
            t,
            _mm256_or_ps(_mm256_and_ps(t, _mm256_set1_ps(-0.0)), _mm256_set1_ps(HALF_BELOW)),
        ));
        let mut out = [0.0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), r);
        out
    }
}
