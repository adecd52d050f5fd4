//! The f32 GEMM's `columns` with AVX2 + FMA intrinsics, bit-identical to
//! `gemm_f32::columns::<true>`: each output's 16 lane sums in two ymm (lanes 0–7, 8–15),
//! `vfmadd` per chunk of 16 in k order, the tail by masked loads (zeros past k), then the
//! pairwise fold (the two halves added: lanes l + l+8, then l+4, l+2, l+1). Register block: 2 rows
//! × 2 weight rows = 8 accumulators, 8 loads per 8 multiply-adds.

use core::arch::x86_64::*;

/// Lanes l + l+8 (the halves), l+4, l+2, l+1, as `gemm_f32::dot1`'s fold.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn fold(lo: __m256, hi: __m256) -> f32 {
    let s8 = _mm256_add_ps(lo, hi);
    let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
}

/// Lane masks (all ones = load) of the k tail's 16 lanes: lanes 0–7 and 8–15.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn tail_masks(rem: usize) -> (__m256i, __m256i) {
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let r = rem as i32;
    (_mm256_cmpgt_epi32(_mm256_set1_epi32(r), lanes), _mm256_cmpgt_epi32(_mm256_set1_epi32(r - 8), lanes))
}

/// Rows `i..i+R` of `x` against the weight rows at `w0` (and `w1` if `TWO`): the outputs in
/// `out[2r]`, `out[2r + 1]`.
///
/// # Safety
/// AVX2 and FMA available; `x` readable for R rows of `k` from row `i`, `w0` (and `w1`) for
/// `k` values.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn block<const R: usize, const TWO: bool>(x: *const f32, i: usize, k: usize, w0: *const f32, w1: *const f32) -> [f32; 4] {
    // acc[2r + s] = (lanes 0-7, lanes 8-15) of output (row r, weight row s).
    let mut acc = [(_mm256_setzero_ps(), _mm256_setzero_ps()); 4];
    let whole = k / 16 * 16;
    // SAFETY: every load reads lanes c..c+16 ≤ whole ≤ k of a row, or the masked lanes below k
    // (`vmaskmovps` does not touch masked-off lanes).
    unsafe {
        let mut c = 0;
        while c < whole {
            let wa = (_mm256_loadu_ps(w0.add(c)), _mm256_loadu_ps(w0.add(c + 8)));
            let wb = if TWO { (_mm256_loadu_ps(w1.add(c)), _mm256_loadu_ps(w1.add(c + 8))) } else { wa };
            for r in 0..R {
                let p = x.add((i + r) * k + c);
                let xv = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
                let a = &mut acc[2 * r];
                *a = (_mm256_fmadd_ps(xv.0, wa.0, a.0), _mm256_fmadd_ps(xv.1, wa.1, a.1));
                if TWO {
                    let b = &mut acc[2 * r + 1];
                    *b = (_mm256_fmadd_ps(xv.0, wb.0, b.0), _mm256_fmadd_ps(xv.1, wb.1, b.1));
                }
            }
            c += 16;
        }
        if whole < k {
            let (m0, m1) = tail_masks(k - whole);
            let load = |p: *const f32| (_mm256_maskload_ps(p, m0), _mm256_maskload_ps(p.add(8), m1));
            let wa = load(w0.add(whole));
            let wb = if TWO { load(w1.add(whole)) } else { wa };
            for r in 0..R {
                let xv = load(x.add((i + r) * k + whole));
                let a = &mut acc[2 * r];
                *a = (_mm256_fmadd_ps(xv.0, wa.0, a.0), _mm256_fmadd_ps(xv.1, wa.1, a.1));
                if TWO {
                    let b = &mut acc[2 * r + 1];
                    *b = (_mm256_fmadd_ps(xv.0, wb.0, b.0), _mm256_fmadd_ps(xv.1, wb.1, b.1));
                }
            }
        }
    }
    let mut out = [0.0f32; 4];
    for r in 0..R {
        out[2 * r] = fold(acc[2 * r].0, acc[2 * r].1);
        if TWO {
            out[2 * r + 1] = fold(acc[2 * r + 1].0, acc[2 * r + 1].1);
        }
    }
    out
}

/// `gemm_f32::columns::<true>` (same arguments, same bits).
///
/// # Safety
/// AVX2 and FMA available.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn columns(x: &[f32], m: usize, k: usize, w0: &[f32], w1: Option<&[f32]>, n: usize, j: usize, y: &mut [f32]) {
    // The bounds every raw read below relies on (`gemm_f32::drive` checked the shapes).
    assert!(x.len() >= m * k && w0.len() >= k && w1.is_none_or(|w| w.len() >= k) && y.len() >= m * n && j + usize::from(w1.is_some()) < n.max(1));
    let (xp, w0p) = (x.as_ptr(), w0.as_ptr());
    let w1p = w1.map_or(w0p, |w| w.as_ptr());
    crate::kernels::float::gemm_f32::row_blocks(m, 2, n, j, w1.is_some(), y, |i, rows| {
        // SAFETY: rows i..i+rows ≤ m of x, k values of each weight row (asserted above); the
        // features are enabled (this function's contract).
        unsafe {
            match (rows, w1.is_some()) {
                (2, true) => block::<2, true>(xp, i, k, w0p, w1p),
                (2, false) => block::<2, false>(xp, i, k, w0p, w1p),
                (_, true) => block::<1, true>(xp, i, k, w0p, w1p),
                (_, false) => block::<1, false>(xp, i, k, w0p, w1p),
            }
        }
    })
}
