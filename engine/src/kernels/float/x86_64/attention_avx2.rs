//! Attention rows with AVX2 and FMA: `generic::attend_rows::<true>` with its accumulators pinned in
//! registers (LLVM spills the generic body's 4 × 64 blocks on the 16 ymm registers).
//!
//! The row loop is `float/attention.rs`; here are the products for blocks of up to 6 query rows ×
//! 16 columns = 12 ymm accumulators, each an independent FMA chain (2 FMA ports × 4 cycles of
//! latency need 8), plus 2 loads and a broadcast: 15 of the 16 registers.
//! - scores: for each head dimension, 2 loads of the transposed keys (16 keys) and one broadcast
//!   per row feed 2 FMAs per row;
//! - context: for each key, 2 loads of its value row (16 dimensions) and one broadcast per row
//!   feed 2 FMAs per row.
//!
//! Every sum runs in the order of the generic copy (one FMA per term, first term first), so the
//! results are bit-identical to `generic::attend_rows::<true>` (tested). Tails (fewer than 16 keys
//! or dimensions) use masked loads and stores.

use core::arch::x86_64::*;

use crate::kernels::float::attention::{self, Products};
use crate::kernels::float::generic::Attention;

/// Columns per register block: 2 ymm of 8 floats.
const COLS: usize = 16;

/// Lane masks (all-ones lanes) of the 2 vectors of a block `w` columns wide (`w` ≤ 16).
#[inline(always)]
unsafe fn masks(w: usize) -> [__m256i; 2] {
    // SAFETY: AVX2 is enabled in every caller.
    unsafe {
        let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let n = _mm256_set1_epi32(w as i32);
        [_mm256_cmpgt_epi32(n, iota), _mm256_cmpgt_epi32(n, _mm256_add_epi32(iota, _mm256_set1_epi32(8)))]
    }
}

impl Products for Avx2 {
    const FMA: bool = true;

    /// `rows[r][j] = scale · Σ_dd q[r][dd] · k_j[dd]` for `R` rows and every key block (one
    /// block of 16 transposed keys per register block).
    ///
    /// # Safety
    /// AVX2 and FMA; the contract of `Products::scores`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn scores<const R: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, kv_len: usize, scale: f32, rows: *mut f32) {
        let mut j0 = 0;
        while j0 < kv_len {
            let w = COLS.min(kv_len - j0);
            // SAFETY: every load stays inside key block j0/16 at feature dd (masked lanes are not
            // read), every query value inside row `r` of `q`, every store inside `rows[r]` at j0..j0+w.
            unsafe {
                let m = masks(w);
                let mut acc = [[_mm256_setzero_ps(); 2]; R];
                for dd in 0..d {
                    let krow = kt.add(j0 / 16 * block_stride + 16 * dd);
                    let k = [_mm256_maskload_ps(krow, m[0]), _mm256_maskload_ps(krow.add(8), m[1])];
                    for (r, a) in acc.iter_mut().enumerate() {
                        let qv = _mm256_set1_ps(*q.add(r * q_stride + dd));
                        a[0] = _mm256_fmadd_ps(qv, k[0], a[0]);
                        a[1] = _mm256_fmadd_ps(qv, k[1], a[1]);
                    }
                }
                let s = _mm256_set1_ps(scale);
                for (r, a) in acc.iter().enumerate() {
                    let out = rows.add(r * kv_len + j0);
                    _mm256_maskstore_ps(out, m[0], _mm256_mul_ps(a[0], s));
                    _mm256_maskstore_ps(out.add(8), m[1], _mm256_mul_ps(a[1], s));
                }
            }
            j0 += w;
        }
    }

    /// `out[r][c] = Σ_j p[r][j] · v[j][c]` for `R` rows and the `d` columns of one head.
    ///
    /// # Safety
    /// AVX2 and FMA; `p` readable for `R · kv_len`, `v` for `kv_len` rows of `v_stride` at columns
    /// 0..d, `out` writable for `R` rows of `out_stride` at columns 0..d.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn context<const R: usize>(p: *const f32, kv_len: usize, v: *const f32, v_stride: usize, d: usize, out: *mut f32, out_stride: usize) {
        let mut c0 = 0;
        while c0 < d {
            let w = COLS.min(d - c0);
            // SAFETY: loads stay inside value row `j` at columns c0..c0+w, probabilities inside
            // `p[r]`, stores inside `out[r]` at columns c0..c0+w.
            unsafe {
                let m = masks(w);
                let mut acc = [[_mm256_setzero_ps(); 2]; R];
                for j in 0..kv_len {
                    let vrow = v.add(j * v_stride + c0);
                    let vj = [_mm256_maskload_ps(vrow, m[0]), _mm256_maskload_ps(vrow.add(8), m[1])];
                    for (r, a) in acc.iter_mut().enumerate() {
                        let pj = _mm256_set1_ps(*p.add(r * kv_len + j));
                        a[0] = _mm256_fmadd_ps(pj, vj[0], a[0]);
                        a[1] = _mm256_fmadd_ps(pj, vj[1], a[1]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    let o = out.add(r * out_stride + c0);
                    _mm256_maskstore_ps(o, m[0], a[0]);
                    _mm256_maskstore_ps(o.add(8), m[1], a[1]);
                }
            }
            c0 += w;
        }
    }
}

/// The AVX2 products.
pub struct Avx2;

/// Attention for every query row of `a.q` into `out` (`rows`: `kv_len` scratch per row), the
/// contract of `generic::attend_rows`.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn attend(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    // SAFETY: the features the products need are enabled here.
    unsafe { attention::attend::<Avx2>(a, rows, out) }
}
