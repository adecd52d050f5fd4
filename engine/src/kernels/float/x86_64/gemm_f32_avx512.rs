//! The f32 GEMM's `columns` with AVX-512 intrinsics, bit-identical to
//! `gemm_f32::columns::<true>`: one zmm of 16 lane sums per output, `vfmadd` per chunk of 16 in k
//! order, the tail by a zero-masked load, then the pairwise fold (lanes l + l+8 as the two
//! 256-bit halves, then l+4, l+2, l+1). Register block: 4 rows × 2 weight rows = 8 independent
//! accumulators (FMA latency × 2 ports), 6 loads per 8 multiply-adds.

use core::arch::x86_64::*;

/// Lanes l + l+8, l+4, l+2, l+1, as `gemm_f32::dot1`'s fold.
#[target_feature(enable = "avx512f,fma")]
#[inline]
fn fold(a: __m512) -> f32 {
    let lo = _mm512_castps512_ps256(a);
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(a)));
    let s8 = _mm256_add_ps(lo, hi);
    let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
}

/// Rows `i..i+R` of `x` against the weight rows at `w0` (and `w1` if `TWO`): the outputs in
/// `out[2r]`, `out[2r + 1]`.
///
/// # Safety
/// AVX-512F and FMA available; `x` readable for R rows of `k` from row `i`, `w0` (and `w1`)
/// for `k` values.
#[target_feature(enable = "avx512f,fma")]
#[inline]
unsafe fn block<const R: usize, const TWO: bool>(x: *const f32, i: usize, k: usize, w0: *const f32, w1: *const f32) -> [f32; 8] {
    let mut acc = [_mm512_setzero_ps(); 8];
    let whole = k / 16 * 16;
    let tail = ((1u32 << (k - whole)) - 1) as __mmask16;
    // SAFETY: every load reads lanes c..c+16 ≤ whole ≤ k of a row, or the masked lanes below k.
    unsafe {
        let mut c = 0;
        while c < whole {
            let wa = _mm512_loadu_ps(w0.add(c));
            let wb = if TWO { _mm512_loadu_ps(w1.add(c)) } else { wa };
            for r in 0..R {
                let xv = _mm512_loadu_ps(x.add((i + r) * k + c));
                acc[2 * r] = _mm512_fmadd_ps(xv, wa, acc[2 * r]);
                if TWO {
                    acc[2 * r + 1] = _mm512_fmadd_ps(xv, wb, acc[2 * r + 1]);
                }
            }
            c += 16;
        }
        if whole < k {
            let wa = _mm512_maskz_loadu_ps(tail, w0.add(whole));
            let wb = if TWO { _mm512_maskz_loadu_ps(tail, w1.add(whole)) } else { wa };
            for r in 0..R {
                let xv = _mm512_maskz_loadu_ps(tail, x.add((i + r) * k + whole));
                acc[2 * r] = _mm512_fmadd_ps(xv, wa, acc[2 * r]);
                if TWO {
                    acc[2 * r + 1] = _mm512_fmadd_ps(xv, wb, acc[2 * r + 1]);
                }
            }
        }
    }
    let mut out = [0.0f32; 8];
    for r in 0..R {
        out[2 * r] = fold(acc[2 * r]);
        if TWO {
            out[2 * r + 1] = fold(acc[2 * r + 1]);
        }
    }
    out
}

/// `gemm_f32::columns::<true>` (same arguments, same bits).
///
/// # Safety
/// AVX-512F and FMA available.
#[target_feature(enable = "avx512f,fma")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn columns(x: &[f32], m: usize, k: usize, w0: &[f32], w1: Option<&[f32]>, n: usize, j: usize, y: &mut [f32]) {
    // The bounds every raw read below relies on (`gemm_f32::drive` checked the shapes).
    assert!(x.len() >= m * k && w0.len() >= k && w1.is_none_or(|w| w.len() >= k) && y.len() >= m * n && j + usize::from(w1.is_some()) < n.max(1));
    let (xp, w0p) = (x.as_ptr(), w0.as_ptr());
    let w1p = w1.map_or(w0p, |w| w.as_ptr());
    crate::kernels::float::gemm_f32::row_blocks(m, 4, n, j, w1.is_some(), y, |i, rows| {
        // SAFETY: rows i..i+rows ≤ m of x, k values of each weight row (asserted above); the
        // features are enabled (this function's contract).
        unsafe {
            match (rows, w1.is_some()) {
                (4, true) => block::<4, true>(xp, i, k, w0p, w1p),
                (4, false) => block::<4, false>(xp, i, k, w0p, w1p),
                (_, true) => block::<1, true>(xp, i, k, w0p, w1p),
                (_, false) => block::<1, false>(xp, i, k, w0p, w1p),
            }
        }
    })
}
