//! Attention rows with NEON: `generic::attend_rows::<true>` with its accumulators pinned in
//! registers (LLVM spills the generic body's 4 × 64 blocks: ~3 stack loads/stores per `fmla`).
//!
//! The row loop is `float/attention.rs`; here are the products for blocks of up to 6 query rows ×
//! 16 columns = 24 q-register accumulators, each an independent FMA chain:
//! - scores: for each head dimension, 4 loads of the transposed keys (16 keys) and one query value
//!   per row (`fmla` by element) feed 4 FMAs per row;
//! - context: for each key, 4 loads of its value row (16 dimensions) and one probability per row
//!   feed 4 FMAs per row.
//!
//! `vfmaq_n_f32(a, b, x)` is `a + b·x` rounded once, the generic body's `x.mul_add(b, a)`, and
//! every sum runs in the generic order, so the results are bit-identical to
//! `generic::attend_rows::<true>` (tested under QEMU). Blocks narrower than 16 (tails) go through
//! a zero-padded stack copy.

use core::arch::aarch64::*;

use crate::kernels::float::attention::{self, Products};
use crate::kernels::float::generic::Attention;

/// Columns per register block: 4 q registers of 4 floats.
const COLS: usize = 16;

/// 16 floats from `p` (`w` of them; the rest 0).
///
/// # Safety
/// `p` readable for `w` ≤ 16 floats.
#[inline(always)]
unsafe fn load16(p: *const f32, w: usize) -> [float32x4_t; 4] {
    // SAFETY: full blocks read 16 floats at p (w == 16); partial ones copy w floats first.
    unsafe {
        if w == COLS {
            [vld1q_f32(p), vld1q_f32(p.add(4)), vld1q_f32(p.add(8)), vld1q_f32(p.add(12))]
        } else {
            let mut t = [0.0f32; COLS];
            core::ptr::copy_nonoverlapping(p, t.as_mut_ptr(), w);
            [vld1q_f32(t.as_ptr()), vld1q_f32(t.as_ptr().add(4)), vld1q_f32(t.as_ptr().add(8)), vld1q_f32(t.as_ptr().add(12))]
        }
    }
}

/// Stores the first `w` of 16 floats to `p`.
///
/// # Safety
/// `p` writable for `w` ≤ 16 floats.
#[inline(always)]
unsafe fn store16(p: *mut f32, w: usize, v: [float32x4_t; 4]) {
    // SAFETY: full blocks write 16 floats at p; partial ones go through a stack copy of w floats.
    unsafe {
        if w == COLS {
            for (c, v) in v.into_iter().enumerate() {
                vst1q_f32(p.add(4 * c), v);
            }
        } else {
            let mut t = [0.0f32; COLS];
            for (c, v) in v.into_iter().enumerate() {
                vst1q_f32(t.as_mut_ptr().add(4 * c), v);
            }
            core::ptr::copy_nonoverlapping(t.as_ptr(), p, w);
        }
    }
}

impl Products for Neon {
    const FMA: bool = true;

    /// `rows[r][j] = scale · Σ_dd q[r][dd] · k_j[dd]` for `R` rows and every key block (one
    /// block of 16 transposed keys per register block).
    ///
    /// # Safety
    /// The contract of `Products::scores`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn scores<const R: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, kv_len: usize, scale: f32, rows: *mut f32) {
        let mut j0 = 0;
        while j0 < kv_len {
            let w = COLS.min(kv_len - j0);
            // SAFETY: loads read w keys of block j0/16 at feature dd of `kt`, query values inside
            // row r of `q`; stores write rows[r] at j0..j0+w.
            unsafe {
                let mut acc = [[vdupq_n_f32(0.0); 4]; R];
                for dd in 0..d {
                    let k = load16(kt.add(j0 / 16 * block_stride + 16 * dd), w);
                    for (r, a) in acc.iter_mut().enumerate() {
                        let qv = *q.add(r * q_stride + dd);
                        for c in 0..4 {
                            a[c] = vfmaq_n_f32(a[c], k[c], qv);
                        }
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    store16(rows.add(r * kv_len + j0), w, a.map(|x| vmulq_n_f32(x, scale)));
                }
            }
            j0 += w;
        }
    }

    /// `out[r][c] = Σ_j p[r][j] · v[j][c]` for `R` rows and the `d` columns of one head.
    ///
    /// # Safety
    /// `p` readable for `R · kv_len`, `v` for `kv_len` rows of `v_stride` at columns 0..d, `out`
    /// writable for `R` rows of `out_stride` at columns 0..d.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn context<const R: usize>(p: *const f32, kv_len: usize, v: *const f32, v_stride: usize, d: usize, out: *mut f32, out_stride: usize) {
        let mut c0 = 0;
        while c0 < d {
            let w = COLS.min(d - c0);
            // SAFETY: loads read value row j at columns c0..c0+w and probabilities inside p[r];
            // stores write out[r] at columns c0..c0+w.
            unsafe {
                let mut acc = [[vdupq_n_f32(0.0); 4]; R];
                for j in 0..kv_len {
                    let vj = load16(v.add(j * v_stride + c0), w);
                    for (r, a) in acc.iter_mut().enumerate() {
                        let pj = *p.add(r * kv_len + j);
                        for c in 0..4 {
                            a[c] = vfmaq_n_f32(a[c], vj[c], pj);
                        }
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    store16(out.add(r * out_stride + c0), w, *a);
                }
            }
            c0 += w;
        }
    }
}

/// The NEON products.
pub struct Neon;

/// Attention for every query row of `a.q` into `out` (`rows`: `kv_len` scratch per row), the
/// contract of `generic::attend_rows`. NEON is baseline on aarch64, so this is safe to call.
pub fn attend(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    // SAFETY: NEON, the only feature the products use, is part of the aarch64 baseline.
    unsafe { attention::attend::<Neon>(a, rows, out) }
}
