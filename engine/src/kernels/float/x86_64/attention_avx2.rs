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
use crate::kernels::x86_64::avx2::store_ps;

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
                    // Whole blocks unmasked: the softmax loads them next.
                    store_ps(out, m[0], w == COLS, _mm256_mul_ps(a[0], s));
                    store_ps(out.add(8), m[1], w == COLS, _mm256_mul_ps(a[1], s));
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

    /// The generic softmax on ymm registers, phase by phase over the `R` rows: the generic body's
    /// 16 lanes are two registers (lanes 0–7, 8–15), so its pairwise trees start by adding (or
    /// taking the maximum of) the two; the remainder (`kv_len % 16` keys) goes into lanes 0..
    /// (first for the maximum, last for the sum, as there); `exp_with` operation by operation.
    /// The AVX-512 copy (`attention_avx512.rs`) with half-width registers.
    ///
    /// # Safety
    /// AVX2 and FMA.
    #[inline(always)]
    unsafe fn softmax<const R: usize>(rows: &mut [f32], kv_len: usize) {
        const FUSED: bool = cfg!(feature = "std");
        let (full, rem) = (kv_len / 16 * 16, kv_len % 16);
        let p = rows.as_mut_ptr();
        // SAFETY: every access lies in row r (`r · kv_len + j`, j < kv_len: full chunks below
        // `full`, the masked remainder from `full`), inside `rows` (R · kv_len floats, as
        // `block` slices it).
        unsafe {
            let tail = masks(rem);
            let load_tail = |row: *const f32| [_mm256_maskload_ps(row.add(full), tail[0]), _mm256_maskload_ps(row.add(full + 8), tail[1])];
            let store_tail = |row: *mut f32, v: [__m256; 2]| {
                _mm256_maskstore_ps(row.add(full), tail[0], v[0]);
                _mm256_maskstore_ps(row.add(full + 8), tail[1], v[1]);
            };
            let mut max = [0.0f32; R];
            for (r, m) in max.iter_mut().enumerate() {
                let row = p.add(r * kv_len);
                let lo = _mm256_set1_ps(f32::MIN);
                // `if v > m { v } else { m }` is `vmaxps v, m` (m when either is NaN); the
                // remainder's lanes only.
                let t = load_tail(row);
                let mut acc = [0, 1].map(|h| _mm256_blendv_ps(lo, _mm256_max_ps(t[h], lo), _mm256_castsi256_ps(tail[h])));
                let mut j = 0;
                while j < full {
                    acc = [0, 1].map(|h| _mm256_max_ps(_mm256_loadu_ps(row.add(j + 8 * h)), acc[h]));
                    j += 16;
                }
                *m = max_tree(acc);
            }
            let mut sum = [0.0f32; R];
            for (r, (s, &m)) in sum.iter_mut().zip(&max).enumerate() {
                let row = p.add(r * kv_len);
                let mv = _mm256_set1_ps(m);
                let mut acc = [_mm256_setzero_ps(); 2];
                let mut j = 0;
                while j < full {
                    for (h, a) in acc.iter_mut().enumerate() {
                        let e = exp::<FUSED>(_mm256_sub_ps(_mm256_loadu_ps(row.add(j + 8 * h)), mv));
                        _mm256_storeu_ps(row.add(j + 8 * h), e);
                        *a = _mm256_add_ps(*a, e);
                    }
                    j += 16;
                }
                if rem > 0 {
                    let e = load_tail(row).map(|x| exp::<FUSED>(_mm256_sub_ps(x, mv)));
                    store_tail(row, e);
                    // Lanes past the remainder add +0.0, which leaves a sum of positive terms
                    // (or +0.0) unchanged, as the generic lanes that take no remainder value.
                    acc = [0, 1].map(|h| _mm256_add_ps(acc[h], _mm256_and_ps(e[h], _mm256_castsi256_ps(tail[h]))));
                }
                *s = sum_tree(acc);
            }
            for (r, &s) in sum.iter().enumerate() {
                let row = p.add(r * kv_len);
                let inv = _mm256_set1_ps(1.0 / s);
                let mut j = 0;
                while j < full {
                    for h in 0..2 {
                        _mm256_storeu_ps(row.add(j + 8 * h), _mm256_mul_ps(_mm256_loadu_ps(row.add(j + 8 * h)), inv));
                    }
                    j += 16;
                }
                if rem > 0 {
                    store_tail(row, load_tail(row).map(|x| _mm256_mul_ps(x, inv)));
                }
            }
        }
    }
}

/// `generic::softmax_max`'s tree over 16 lane maxima (lanes 0–7 in `m[0]`, 8–15 in `m[1]`): lane
/// l takes lane l + w when greater, for w = 8, 4, 2, 1 (exact in any order; the same NaN rule).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn max_tree(m: [__m256; 2]) -> f32 {
    let m8 = _mm256_max_ps(m[1], m[0]);
    let m4 = _mm_max_ps(_mm256_extractf128_ps::<1>(m8), _mm256_castps256_ps128(m8));
    let m2 = _mm_max_ps(_mm_movehl_ps(m4, m4), m4);
    _mm_cvtss_f32(_mm_max_ss(_mm_movehdup_ps(m2), m2))
}

/// `generic::reduce` over 16 lane sums (lanes 0–7 in `s[0]`, 8–15 in `s[1]`): lane l adds lane
/// l + w, for w = 8, 4, 2, 1.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn sum_tree(s: [__m256; 2]) -> f32 {
    let s8 = _mm256_add_ps(s[0], s[1]);
    let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
}

/// `a · b + c`, fused when `FUSED` (`generic::madd`).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn madd<const FUSED: bool>(a: __m256, b: __m256, c: __m256) -> __m256 {
    if FUSED {
        _mm256_fmadd_ps(a, b, c)
    } else {
        _mm256_add_ps(_mm256_mul_ps(a, b), c)
    }
}

/// `generic::exp_with::<FUSED>` on 8 lanes, operation by operation (bit-identical; see the
/// AVX-512 copy).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn exp<const FUSED: bool>(x: __m256) -> __m256 {
    let c = _mm256_set1_ps;
    let xc = _mm256_min_ps(c(88.376_26), _mm256_max_ps(c(-87.336_54), x));
    let rounder = c(12_582_912.0);
    let n = _mm256_sub_ps(madd::<FUSED>(xc, c(core::f32::consts::LOG2_E), rounder), rounder);
    let neg_n = _mm256_xor_ps(n, c(-0.0));
    let r = madd::<FUSED>(neg_n, c(-2.121_944_4e-4), madd::<FUSED>(neg_n, c(0.693_359_4), xc));
    let mut p = c(1.987_569_1e-4);
    p = madd::<FUSED>(p, r, c(1.398_2e-3));
    p = madd::<FUSED>(p, r, c(8.333_452e-3));
    p = madd::<FUSED>(p, r, c(4.166_579_6e-2));
    p = madd::<FUSED>(p, r, c(1.666_666_5e-1));
    p = madd::<FUSED>(p, r, c(0.5));
    let er = _mm256_add_ps(madd::<FUSED>(_mm256_mul_ps(p, r), r, r), c(1.0));
    let two_n = _mm256_slli_epi32::<23>(_mm256_castps_si256(_mm256_add_ps(n, c(127.0 + 8_388_608.0))));
    let y = _mm256_mul_ps(er, _mm256_castsi256_ps(two_n));
    // Below the clamp the true value underflows: exactly 0.
    let under = _mm256_cmp_ps::<_CMP_LT_OQ>(x, c(-87.336_54));
    _mm256_andnot_ps(under, y)
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
