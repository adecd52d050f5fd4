//! `x = LayerNorm(x + residual)` row by row with AVX-512F: `generic::add_layer_norm` with its
//! 64-lane sums held in 4 zmm registers (LLVM kept the generic body's `[f32; 64]` accumulators on
//! the stack).
//!
//! Rows go four at a time, phase by phase (means, adding the residual as they read, variances,
//! normalization): their reductions are independent latency chains the core overlaps (~18%
//! faster than one row at a time in `float_ops`).
//!
//! Bit-identical to the generic body (tested): each value is `x + residual`, each sum starts from
//! zero, takes the row's last `dim % 64` values into lanes 0.. and then the 64-value chunks in
//! order, and is reduced by the same pairwise tree (64 → 32 → 16 → 8 → 4 → 2 → 1); nothing is
//! fused.

use core::arch::x86_64::*;

use crate::kernels::float::generic;
use crate::kernels::x86_64::avx512vnni::store_ps;

/// Floats per sum: 4 zmm, the generic body's `WIDE`.
const WIDE: usize = 64;

/// Lane mask of the first `n` (≤ 16) lanes.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    ((1u32 << n.min(16)) - 1) as __mmask16
}

/// The generic pairwise tree over 64 partial sums in `acc` (lane `16·v + l` of the row chunk in
/// lane `l` of `acc[v]`).
#[target_feature(enable = "avx512f")]
#[inline]
fn reduce(acc: [__m512; 4]) -> f32 {
    // 64 → 32 → 16: whole registers.
    sum_16(_mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3])))
}

/// `generic::reduce` over 16 partial sums: lane l adds lane l + w, for w = 8, 4, 2, 1 (upper
/// halves onto lower halves). Also the attention softmax's sum (`attention_avx512.rs`).
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn sum_16(s: __m512) -> f32 {
    let s8 = _mm256_add_ps(_mm512_castps512_ps256(s), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(s))));
    let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
}

/// Σ over a row of `dim` values in the generic order (see the module notes), `value(i, m)` giving
/// the 16 values from `i` (lanes of `m`; the others are dropped): the remainder's vectors first
/// (masked), then whole 64-value chunks (`m` all ones).
#[target_feature(enable = "avx512f")]
#[inline]
fn sum_wide(dim: usize, mut value: impl FnMut(usize, __mmask16) -> __m512) -> f32 {
    let full = dim / WIDE * WIDE;
    let mut acc = [_mm512_setzero_ps(); 4];
    let rem = dim - full;
    for (v, a) in acc.iter_mut().enumerate() {
        if rem > 16 * v {
            let m = first(rem - 16 * v);
            // Masked-off lanes add 0 to 0, as the generic lanes beyond the remainder stay 0.
            *a = _mm512_add_ps(*a, _mm512_maskz_mov_ps(m, value(full + 16 * v, m)));
        }
    }
    let mut x = 0;
    while x < full {
        for (v, a) in acc.iter_mut().enumerate() {
            *a = _mm512_add_ps(*a, value(x + 16 * v, 0xffff));
        }
        x += WIDE;
    }
    reduce(acc)
}

/// 16 floats from `p` (lanes of `m`, the others 0): a plain load when all lanes are wanted.
///
/// # Safety
/// AVX-512F; the lanes of `m` readable at `p`.
#[inline(always)]
unsafe fn load(p: *const f32, m: __mmask16) -> __m512 {
    // SAFETY: the caller's contract.
    unsafe {
        if m == 0xffff {
            _mm512_loadu_ps(p)
        } else {
            _mm512_maskz_loadu_ps(m, p)
        }
    }
}

/// Same contract as `generic::add_layer_norm`.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn add_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    let dim = weight.len();
    if dim == 0 {
        return;
    }
    let rows = x.len() / dim;
    // Shapes the model never passes (the generic body's zips then stop early): the generic copy.
    if bias.len() != dim || !(residual.is_empty() || residual.len() >= rows * dim) {
        return generic::add_layer_norm(x, residual, weight, bias, eps);
    }
    let n = dim as f32;
    // Four rows at a time, phase by phase: their sums and square roots are independent latency
    // chains, which the core overlaps when they are next to each other.
    const GROUP: usize = 4;
    for (g, rows) in x.chunks_mut(GROUP * dim).enumerate() {
        let count = rows.len() / dim;
        let p = rows.as_mut_ptr();
        let (mut mean, mut inv) = ([0.0f32; GROUP], [0.0f32; GROUP]);
        // SAFETY: every access covers indices below dim of the group's rows (count · dim ≤
        // rows.len()), of `weight`, `bias` and the matching residual rows (lengths checked above):
        // full vectors while i + 16 ≤ dim, then a mask.
        unsafe {
            // The residual is added in the means' pass (each value is `x + residual` whichever
            // pass adds it; the sums run in the generic order).
            let res = if residual.is_empty() { None } else { Some(residual.as_ptr().add(g * GROUP * dim)) };
            for (r, m) in mean.iter_mut().take(count).enumerate() {
                let row = p.add(r * dim);
                *m = match res {
                    Some(res) => sum_wide(dim, |i, m| {
                        let v = _mm512_add_ps(load(row.add(i), m), load(res.add(r * dim + i), m));
                        store_ps(row.add(i), m, v);
                        v
                    }),
                    None => sum_wide(dim, |i, m| load(row.add(i), m)),
                } / n;
            }
            for r in 0..count {
                let (row, mv) = (p.add(r * dim), _mm512_set1_ps(mean[r]));
                let var = sum_wide(dim, |i, m| {
                    let c = _mm512_sub_ps(load(row.add(i), m), mv);
                    _mm512_mul_ps(c, c)
                }) / n;
                // `sqrtss`: the IEEE square root, as the generic body's.
                inv[r] = 1.0 / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(var + eps)));
            }
            let (w, b) = (weight.as_ptr(), bias.as_ptr());
            for r in 0..count {
                let (mv, iv, row) = (_mm512_set1_ps(mean[r]), _mm512_set1_ps(inv[r]), p.add(r * dim));
                let mut i = 0;
                while i < dim {
                    let m = first(dim - i);
                    let y = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(load(row.add(i), m), mv), iv), load(w.add(i), m));
                    store_ps(row.add(i), m, _mm512_add_ps(y, load(b.add(i), m)));
                    i += 16;
                }
            }
        }
    }
}
