//! Attention rows with AVX-512F: `generic::attend_rows::<true>` with its accumulators pinned in
//! registers.
//!
//! The row loop is `float/attention.rs`; here are the products for blocks of up to 6 query rows ×
//! 64 columns = 24 zmm accumulators, each an independent FMA chain:
//! - scores: for each head dimension, 4 loads of the transposed keys (64 keys) and 6 broadcasts of
//!   the query values feed 24 FMAs; a last block of 1, 2 or 3 key blocks (and a sequence of up to
//!   48 keys) runs with 6, 12 or 18 accumulators instead of multiplying zeros (seq 16: attention's
//!   score products were 4× the needed ones), and loads no empty key block;
//! - context: for each key, 4 loads of its value row (64 dimensions) and 6 broadcasts of the
//!   probabilities feed 24 FMAs.
//!
//! (6 rows measured ~6% faster than 4 in `float_ops`; 24 + 4 + 1 registers fit the 32 zmm.)
//!
//! Every sum runs in the order of the generic copy (one FMA per term, first term first), so the
//! results are bit-identical to `generic::attend_rows::<true>` (tested). Tails (fewer than 64 keys
//! or dimensions) use masked loads and stores.

use core::arch::x86_64::*;

use super::layer_norm_avx512::sum_16;
use crate::kernels::float::attention::{self, Products};
use crate::kernels::float::generic::Attention;
use crate::kernels::x86_64::avx512vnni::store_ps;

/// Columns per register block: 4 zmm of 16 floats.
const COLS: usize = 64;
const VECS: usize = COLS / 16;

/// Lane masks of the 4 vectors of a block `w` columns wide (`w` ≤ 64).
#[inline(always)]
fn masks(w: usize) -> [__mmask16; VECS] {
    let mut m = [0; VECS];
    for (c, m) in m.iter_mut().enumerate() {
        let lanes = w.saturating_sub(16 * c).min(16);
        *m = ((1u32 << lanes) - 1) as __mmask16;
    }
    m
}

impl Products for Avx512 {
    const FMA: bool = true;

    /// `rows[r][j0..j0+w] = scale · Σ_dd q[r][dd] · k_j[dd]` for `R` rows and every key block
    /// (4 blocks of 16 transposed keys per register block, 1 or 2 for a short last one).
    ///
    /// # Safety
    /// AVX-512F; the contract of `Products::scores`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn scores<const R: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, kv_len: usize, scale: f32, rows: *mut f32) {
        let mut j0 = 0;
        while j0 < kv_len {
            let w = COLS.min(kv_len - j0);
            // SAFETY: the contract of `scores`, for keys j0..j0+w (see `score_block`).
            unsafe {
                // A short last block (or all of a short sequence) loads and multiplies only its
                // key blocks: at 16 keys, a quarter of the multiply-adds of a full block.
                match w.div_ceil(16) {
                    1 => score_block::<R, 1>(q, q_stride, d, kt, block_stride, j0, w, kv_len, scale, rows),
                    2 => score_block::<R, 2>(q, q_stride, d, kt, block_stride, j0, w, kv_len, scale, rows),
                    3 => score_block::<R, 3>(q, q_stride, d, kt, block_stride, j0, w, kv_len, scale, rows),
                    _ => score_block::<R, VECS>(q, q_stride, d, kt, block_stride, j0, w, kv_len, scale, rows),
                }
            }
            j0 += w;
        }
    }

    /// `out[r][c] = Σ_j p[r][j] · v[j][c]` for `R` rows and the `d` columns of one head.
    ///
    /// # Safety
    /// AVX-512F; `p` readable for `R · kv_len`, `v` for `kv_len` rows of `v_stride` at columns 0..d,
    /// `out` writable for `R` rows of `out_stride` at columns 0..d.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn context<const R: usize>(p: *const f32, kv_len: usize, v: *const f32, v_stride: usize, d: usize, out: *mut f32, out_stride: usize) {
        let mut c0 = 0;
        while c0 < d {
            let w = COLS.min(d - c0);
            let m = masks(w);
            // SAFETY: loads stay inside value row `j` at columns c0..c0+w, probabilities inside
            // `p[r]`, stores inside `out[r]` at columns c0..c0+w.
            unsafe {
                let mut acc = [[_mm512_setzero_ps(); VECS]; R];
                for j in 0..kv_len {
                    let vrow = v.add(j * v_stride + c0);
                    let vj = [
                        _mm512_maskz_loadu_ps(m[0], vrow),
                        _mm512_maskz_loadu_ps(m[1], vrow.add(16)),
                        _mm512_maskz_loadu_ps(m[2], vrow.add(32)),
                        _mm512_maskz_loadu_ps(m[3], vrow.add(48)),
                    ];
                    for (r, a) in acc.iter_mut().enumerate() {
                        let pj = _mm512_set1_ps(*p.add(r * kv_len + j));
                        for c in 0..VECS {
                            a[c] = _mm512_fmadd_ps(pj, vj[c], a[c]);
                        }
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    let o = out.add(r * out_stride + c0);
                    for c in 0..VECS {
                        // Whole vectors unmasked: the quantization loads them next.
                        store_ps(o.add(16 * c), m[c], a[c]);
                    }
                }
            }
            c0 += w;
        }
    }

    /// The generic softmax (`generic::softmax_max`, `softmax_exp`, `scale_row`) on zmm registers,
    /// phase by phase over the `R` rows: each row's 16 lane maxima and lane sums, the remainder
    /// (`kv_len % 16` keys) into lanes 0.. (first for the maximum, last for the sum, as there),
    /// the same pairwise trees, `exp_with` operation by operation. At 16 keys a row is one
    /// register, where the generic body's lane arrays and trees took ~4× as long (`float_ops`
    /// attention at seq 16).
    ///
    /// # Safety
    /// AVX-512F and FMA.
    #[inline(always)]
    unsafe fn softmax<const R: usize>(rows: &mut [f32], kv_len: usize) {
        const FUSED: bool = cfg!(feature = "std");
        let (full, rem) = (kv_len / 16 * 16, kv_len % 16);
        let tail = ((1u32 << rem) - 1) as __mmask16;
        let p = rows.as_mut_ptr();
        // SAFETY: every access lies in row r (`r · kv_len + j`, j < kv_len: full chunks below
        // `full`, the masked remainder from `full`), inside `rows` (R · kv_len floats, as
        // `block` slices it).
        unsafe {
            let mut max = [0.0f32; R];
            for (r, m) in max.iter_mut().enumerate() {
                let row = p.add(r * kv_len);
                let lo = _mm512_set1_ps(f32::MIN);
                // `if v > m { v } else { m }` is `vmaxps v, m` (m when either is NaN).
                let mut acc = _mm512_mask_max_ps(lo, tail, _mm512_maskz_loadu_ps(tail, row.add(full)), lo);
                let mut j = 0;
                while j < full {
                    acc = _mm512_max_ps(_mm512_loadu_ps(row.add(j)), acc);
                    j += 16;
                }
                *m = max_tree(acc);
            }
            let mut sum = [0.0f32; R];
            for (r, (s, &m)) in sum.iter_mut().zip(&max).enumerate() {
                let row = p.add(r * kv_len);
                let mv = _mm512_set1_ps(m);
                let mut acc = _mm512_setzero_ps();
                let mut j = 0;
                while j < full {
                    let e = exp::<FUSED>(_mm512_sub_ps(_mm512_loadu_ps(row.add(j)), mv));
                    _mm512_storeu_ps(row.add(j), e);
                    acc = _mm512_add_ps(acc, e);
                    j += 16;
                }
                if rem > 0 {
                    let e = exp::<FUSED>(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, row.add(full)), mv));
                    _mm512_mask_storeu_ps(row.add(full), tail, e);
                    acc = _mm512_mask_add_ps(acc, tail, acc, e);
                }
                *s = sum_16(acc);
            }
            for (r, &s) in sum.iter().enumerate() {
                let row = p.add(r * kv_len);
                let inv = _mm512_set1_ps(1.0 / s);
                let mut j = 0;
                while j < full {
                    _mm512_storeu_ps(row.add(j), _mm512_mul_ps(_mm512_loadu_ps(row.add(j)), inv));
                    j += 16;
                }
                if rem > 0 {
                    _mm512_mask_storeu_ps(row.add(full), tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row.add(full)), inv));
                }
            }
        }
    }
}

/// `generic::softmax_max`'s tree over 16 lane maxima: lane l takes lane l + w when greater, for
/// w = 8, 4, 2, 1 (exact in any order; the same NaN rule).
#[target_feature(enable = "avx512f,fma")]
#[inline]
fn max_tree(m: __m512) -> f32 {
    let m8 = _mm256_max_ps(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(m))), _mm512_castps512_ps256(m));
    let m4 = _mm_max_ps(_mm256_extractf128_ps::<1>(m8), _mm256_castps256_ps128(m8));
    let m2 = _mm_max_ps(_mm_movehl_ps(m4, m4), m4);
    _mm_cvtss_f32(_mm_max_ss(_mm_movehdup_ps(m2), m2))
}

/// `a · b + c`, fused when `FUSED` (`generic::madd`).
#[target_feature(enable = "avx512f,fma")]
#[inline]
fn madd<const FUSED: bool>(a: __m512, b: __m512, c: __m512) -> __m512 {
    if FUSED {
        _mm512_fmadd_ps(a, b, c)
    } else {
        _mm512_add_ps(_mm512_mul_ps(a, b), c)
    }
}

/// `generic::exp_with::<FUSED>` on 16 lanes, operation by operation (bit-identical).
#[target_feature(enable = "avx512f,fma")]
#[inline]
fn exp<const FUSED: bool>(x: __m512) -> __m512 {
    let c = _mm512_set1_ps;
    // `x.clamp(lo, hi)`: `if x < lo { lo }`, then `if x > hi { hi }` (`vmaxps lo, x` keeps
    // x when x < lo is false, NaN included; likewise `vminps hi, x`).
    let xc = _mm512_min_ps(c(88.376_26), _mm512_max_ps(c(-87.336_54), x));
    let rounder = c(12_582_912.0);
    let n = _mm512_sub_ps(madd::<FUSED>(xc, c(core::f32::consts::LOG2_E), rounder), rounder);
    let neg_n = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(n), _mm512_set1_epi32(i32::MIN)));
    let r = madd::<FUSED>(neg_n, c(-2.121_944_4e-4), madd::<FUSED>(neg_n, c(0.693_359_4), xc));
    let mut p = c(1.987_569_1e-4);
    p = madd::<FUSED>(p, r, c(1.398_2e-3));
    p = madd::<FUSED>(p, r, c(8.333_452e-3));
    p = madd::<FUSED>(p, r, c(4.166_579_6e-2));
    p = madd::<FUSED>(p, r, c(1.666_666_5e-1));
    p = madd::<FUSED>(p, r, c(0.5));
    let er = _mm512_add_ps(madd::<FUSED>(_mm512_mul_ps(p, r), r, r), c(1.0));
    let two_n = _mm512_slli_epi32::<23>(_mm512_castps_si512(_mm512_add_ps(n, c(127.0 + 8_388_608.0))));
    let y = _mm512_mul_ps(er, _mm512_castsi512_ps(two_n));
    // Below the clamp the true value underflows: exactly 0.
    let under = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, c(-87.336_54));
    _mm512_mask_blend_ps(under, y, _mm512_setzero_ps())
}

/// Scores of `R` rows for keys `j0..j0+w`, `NB` = ⌈w/16⌉ key blocks of 16 per register block:
/// `rows[r][j0..j0+w] = scale · Σ_dd q[r][dd] · k_j[dd]`.
///
/// # Safety
/// AVX-512F; the contract of `Products::scores`, with `j0 + w ≤ kv_len` and `NB = ⌈w/16⌉`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn score_block<const R: usize, const NB: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, j0: usize, w: usize, kv_len: usize, scale: f32, rows: *mut f32) {
    let all = masks(w);
    let m: [__mmask16; NB] = core::array::from_fn(|c| all[c]);
    // SAFETY: vector c reads key block j0/16 + c (c < NB = ⌈w/16⌉, so below ⌈kv_len/16⌉) at
    // feature dd, inside `kt` by the contract; every query value inside row `r` of `q`, every
    // store inside `rows[r]` at j0..j0+w.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); NB]; R];
        for dd in 0..d {
            let k: [__m512; NB] = core::array::from_fn(|c| _mm512_maskz_loadu_ps(m[c], kt.add((j0 / 16 + c) * block_stride + 16 * dd)));
            for (r, a) in acc.iter_mut().enumerate() {
                let qv = _mm512_set1_ps(*q.add(r * q_stride + dd));
                for c in 0..NB {
                    a[c] = _mm512_fmadd_ps(qv, k[c], a[c]);
                }
            }
        }
        let s = _mm512_set1_ps(scale);
        for (r, a) in acc.iter().enumerate() {
            let out = rows.add(r * kv_len + j0);
            for c in 0..NB {
                // Whole vectors unmasked: the softmax loads them next.
                store_ps(out.add(16 * c), m[c], _mm512_mul_ps(a[c], s));
            }
        }
    }
}

/// The AVX-512 products.
pub struct Avx512;

/// Attention for every query row of `a.q` into `out` (`rows`: `kv_len` scratch per row), the
/// contract of `generic::attend_rows`.
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn attend(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    // SAFETY: the features the products need are enabled here.
    unsafe { attention::attend::<Avx512>(a, rows, out) }
}
