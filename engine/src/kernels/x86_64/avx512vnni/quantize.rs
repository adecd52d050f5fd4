//! AVX-512 per-row int8 quantization, bit-exact with `scalar::quantize` (the same operations as
//! the AVX2 kernel, `x86_64/avx2/quantize.rs`, 16 lanes at a time, tails by masks):
//!
//! * max: `vmaxps(|v|, m)` returns `m` when `|v|` is NaN, as `f32::max` ignores NaN; masked-off
//!   lanes load 0, which cannot raise a maximum that starts at 0;
//! * round: one `vcvtps2dq` with round-to-nearest-even embedded, the scalar `round_half_even`
//!   for the |t| ≤ 127.5 that quantization gives it (`scalar::quantize`'s note);
//! * NaN becomes 0 (the conversion's zeroing mask); the results lie in [-127, 127], so 64 values
//!   are narrowed by two saturating packs and one permute (tails: a masked `vpmovsdb`).

use core::arch::x86_64::*;

use crate::kernels::scalar::quantize::for_each_row;

/// Lane mask of the first `n` (≤ 16) lanes.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    ((1u32 << n.min(16)) - 1) as __mmask16
}

/// Same contract as `scalar::quantize::quantize_rows_smoothed`.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512BW. (Lengths are checked through slices.)
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    let cs = channel_scale.inspect(|c| assert!(c.len() >= cols));
    for_each_row(x, cols, q, scales, |row| row_max(row, cs), |row, inv, qrow| quantize_row(row, cs, inv, qrow));
}

/// 16 values of the row from `x` (`mask` lanes; the others 0), times the smoothing factors.
///
/// # Safety
/// AVX-512F; lanes of `mask` at `x..` inside `row` and `cs`.
#[inline(always)]
unsafe fn load(row: &[f32], cs: Option<&[f32]>, x: usize, mask: __mmask16) -> __m512 {
    // SAFETY: the caller keeps the masked lanes inside `row` (and `cs`, at least as long).
    unsafe {
        let v = _mm512_maskz_loadu_ps(mask, row.as_ptr().add(x));
        match cs {
            Some(cs) => _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, cs.as_ptr().add(x))),
            None => v,
        }
    }
}

/// `max_c |row[c] · cs[c]|` (or `|row[c]|`), NaN ignored, starting from 0.
#[target_feature(enable = "avx512f")]
fn row_max(row: &[f32], cs: Option<&[f32]>) -> f32 {
    let n = row.len();
    // Four independent maxima over 64 values per step (max is exact: the split changes nothing).
    let mut m = [_mm512_setzero_ps(); 4];
    let mut x = 0;
    // SAFETY: every load covers lanes below n (full vectors while x + 64 ≤ n, then masks).
    unsafe {
        while x + 64 <= n {
            for (u, m) in m.iter_mut().enumerate() {
                *m = _mm512_max_ps(_mm512_abs_ps(load(row, cs, x + 16 * u, 0xffff)), *m);
            }
            x += 64;
        }
        while x < n {
            m[0] = _mm512_max_ps(_mm512_abs_ps(load(row, cs, x, first(n - x))), m[0]);
            x += 16;
        }
    }
    _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m[0], m[1]), _mm512_max_ps(m[2], m[3])))
}

/// 16 values → 16 i32: `round_half_even(v · inv)`, NaN → 0 (the conversion's zeroing mask).
#[target_feature(enable = "avx512f")]
#[inline]
fn round(v: __m512, inv: __m512) -> __m512i {
    let t = _mm512_mul_ps(v, inv);
    let ordered = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(t, t);
    _mm512_maskz_cvt_roundps_epi32::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(ordered, t)
}

#[target_feature(enable = "avx512f,avx512bw")]
fn quantize_row(row: &[f32], cs: Option<&[f32]>, inv: f32, q: &mut [i8]) {
    let n = row.len();
    assert!(q.len() >= n);
    let invv = _mm512_set1_ps(inv);
    // Packing within 128-bit lanes leaves dword 4·L + s holding lane L of vector s; this puts
    // vector s's lanes back in order.
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    let mut x = 0;
    while x + 64 <= n {
        // SAFETY: x + 64 ≤ n ≤ row.len() ≤ cs.len() and ≤ q.len() (asserted).
        unsafe {
            let i = [0, 1, 2, 3].map(|u| round(load(row, cs, x + 16 * u, 0xffff), invv));
            let b = _mm512_packs_epi16(_mm512_packs_epi32(i[0], i[1]), _mm512_packs_epi32(i[2], i[3]));
            let b = _mm512_permutexvar_epi32(order, b);
            _mm512_storeu_si512(q.as_mut_ptr().add(x).cast(), b);
        }
        x += 64;
    }
    while x < n {
        let mask = first(n - x);
        // SAFETY: the masked lanes are below n ≤ row.len() ≤ cs.len() and ≤ q.len() (asserted).
        unsafe {
            _mm512_mask_cvtsepi32_storeu_epi8(q.as_mut_ptr().add(x).cast(), mask, round(load(row, cs, x, mask), invv));
        }
        x += 16;
    }
}
