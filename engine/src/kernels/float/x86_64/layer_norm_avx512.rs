//! `x = LayerNorm(x + residual)` row by row with AVX-512F: `generic::add_layer_norm` with its
//! 64-lane sums held in 4 zmm registers (LLVM kept the generic body's `[f32; 64]` accumulators on
//! the stack).
//!
//! Rows go four at a time, phase by phase (residual, means, variances, normalization): their
//! reductions are independent latency chains the core overlaps (~18% faster than one row at a
//! time in `float_ops`).
//!
//! Bit-identical to the generic body (tested): the residual is added first, each sum starts from
//! zero, takes the row's last `dim % 64` values into lanes 0.. and then the 64-value chunks in
//! order, and is reduced by the same pairwise tree (64 → 32 → 16 → 8 → 4 → 2 → 1); nothing is
//! fused.

use core::arch::x86_64::*;

use crate::kernels::float::generic;

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
    let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
    // 16 → 8 → 4: upper halves onto lower halves.
    let s8 = _mm256_add_ps(_mm512_castps512_ps256(s), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(s))));
    let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
    // 4 → 2 → 1.
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
}

/// Σ f(row[i]) in the generic order (see the module notes).
///
/// # Safety
/// AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn sum_wide(row: &[f32], f: impl Fn(__m512) -> __m512) -> f32 {
    let dim = row.len();
    let full = dim / WIDE * WIDE;
    let mut acc = [_mm512_setzero_ps(); 4];
    // SAFETY: the remainder's masked loads cover indices full..dim; each chunk lies in 0..full.
    unsafe {
        let p = row.as_ptr();
        let rem = dim - full;
        for (v, a) in acc.iter_mut().enumerate() {
            if rem > 16 * v {
                let m = first(rem - 16 * v);
                // Masked-off lanes add 0 to 0, as the generic lanes beyond the remainder stay 0.
                *a = _mm512_add_ps(*a, _mm512_maskz_mov_ps(m, f(_mm512_maskz_loadu_ps(m, p.add(full + 16 * v)))));
            }
        }
        let mut x = 0;
        while x < full {
            for (v, a) in acc.iter_mut().enumerate() {
                *a = _mm512_add_ps(*a, f(_mm512_loadu_ps(p.add(x + 16 * v))));
            }
            x += WIDE;
        }
    }
    reduce(acc)
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
            if !residual.is_empty() {
                let res = residual.as_ptr().add(g * GROUP * dim);
                // Whole vectors with plain stores: a load of the bytes of a masked store waits for
                // it to reach the cache (no store forwarding), and the means read these at once.
                let (len, mut i) = (count * dim, 0);
                while i + 16 <= len {
                    _mm512_storeu_ps(p.add(i), _mm512_add_ps(_mm512_loadu_ps(p.add(i)), _mm512_loadu_ps(res.add(i))));
                    i += 16;
                }
                if i < len {
                    let m = first(len - i);
                    let v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, p.add(i)), _mm512_maskz_loadu_ps(m, res.add(i)));
                    _mm512_mask_storeu_ps(p.add(i), m, v);
                }
            }
            for (r, row) in rows.chunks_exact(dim).enumerate() {
                mean[r] = sum_wide(row, |v| v) / n;
            }
            for (r, row) in rows.chunks_exact(dim).enumerate() {
                let mv = _mm512_set1_ps(mean[r]);
                let var = sum_wide(row, |v| {
                    let c = _mm512_sub_ps(v, mv);
                    _mm512_mul_ps(c, c)
                }) / n;
                // `sqrtss`: the IEEE square root, as the generic body's.
                inv[r] = 1.0 / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(var + eps)));
            }
            let (w, b) = (weight.as_ptr(), bias.as_ptr());
            for r in 0..count {
                let (mv, iv, row) = (_mm512_set1_ps(mean[r]), _mm512_set1_ps(inv[r]), p.add(r * dim));
                let mut i = 0;
                while i + 16 <= dim {
                    let v = _mm512_loadu_ps(row.add(i));
                    let y = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(v, mv), iv), _mm512_loadu_ps(w.add(i)));
                    _mm512_storeu_ps(row.add(i), _mm512_add_ps(y, _mm512_loadu_ps(b.add(i))));
                    i += 16;
                }
                if i < dim {
                    let m = first(dim - i);
                    let v = _mm512_maskz_loadu_ps(m, row.add(i));
                    let y = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(v, mv), iv), _mm512_maskz_loadu_ps(m, w.add(i)));
                    _mm512_mask_storeu_ps(row.add(i), m, _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, b.add(i))));
                }
            }
        }
    }
}
