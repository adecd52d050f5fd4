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

    /// The generic softmax on q registers, phase by phase over the `R` rows: the generic body's
    /// 16 lanes are four registers (lanes 0–3, 4–7, 8–11, 12–15), the remainder (`kv_len % 16`
    /// keys, a zero-padded copy) goes into lanes 0.. (first for the maximum, last for the sum, as
    /// there), the same pairwise trees, `exp_with` operation by operation. The maximum is a
    /// compare and select: `if v > m { v } else { m }`, which `fmax` (NaN-propagating) is not.
    ///
    /// # Safety
    /// The contract of `Products::softmax` (NEON is baseline).
    #[inline(always)]
    unsafe fn softmax<const R: usize>(rows: &mut [f32], kv_len: usize) {
        const FUSED: bool = cfg!(feature = "std");
        let (full, rem) = (kv_len / 16 * 16, kv_len % 16);
        let p = rows.as_mut_ptr();
        // SAFETY: every access lies in row r (`r · kv_len + j`, j < kv_len: full chunks below
        // `full`, the remainder's `rem` floats from `full` through `load16`/`store16`), inside
        // `rows` (R · kv_len floats, as `block` slices it).
        unsafe {
            let iota = [0u32, 4, 8, 12].map(|o| vaddq_u32(vld1q_u32([0u32, 1, 2, 3].as_ptr()), vdupq_n_u32(o)));
            let tail = iota.map(|i| vcltq_u32(i, vdupq_n_u32(rem as u32)));
            let mut max = [0.0f32; R];
            for (r, m) in max.iter_mut().enumerate() {
                let row = p.add(r * kv_len);
                let lo = vdupq_n_f32(f32::MIN);
                let t = load16(row.add(full), rem);
                let mut acc: [float32x4_t; 4] = core::array::from_fn(|c| vbslq_f32(tail[c], greater(t[c], lo), lo));
                let mut j = 0;
                while j < full {
                    let x = load16(row.add(j), COLS);
                    acc = core::array::from_fn(|c| greater(x[c], acc[c]));
                    j += 16;
                }
                // The tree: lane l takes lane l + w when greater, w = 8, 4, 2, 1.
                let m4 = greater(greater(acc[3], acc[1]), greater(acc[2], acc[0]));
                let m2 = greater_2(vget_high_f32(m4), vget_low_f32(m4));
                let (l0, l1) = (vget_lane_f32::<0>(m2), vget_lane_f32::<1>(m2));
                *m = if l1 > l0 { l1 } else { l0 };
            }
            let mut sum = [0.0f32; R];
            for (r, (s, &m)) in sum.iter_mut().zip(&max).enumerate() {
                let row = p.add(r * kv_len);
                let mv = vdupq_n_f32(m);
                let mut acc = [vdupq_n_f32(0.0); 4];
                let mut j = 0;
                while j < full {
                    let e = load16(row.add(j), COLS).map(|x| exp::<FUSED>(vsubq_f32(x, mv)));
                    store16(row.add(j), COLS, e);
                    acc = core::array::from_fn(|c| vaddq_f32(acc[c], e[c]));
                    j += 16;
                }
                if rem > 0 {
                    let e = load16(row.add(full), rem).map(|x| exp::<FUSED>(vsubq_f32(x, mv)));
                    store16(row.add(full), rem, e);
                    // Lanes past the remainder add +0.0, which leaves a sum of positive terms
                    // (or +0.0) unchanged, as the generic lanes that take no remainder value.
                    acc = core::array::from_fn(|c| vaddq_f32(acc[c], vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e[c]), tail[c]))));
                }
                // `generic::reduce`: lane l adds lane l + w, w = 8, 4, 2, 1.
                let s4 = vaddq_f32(vaddq_f32(acc[0], acc[2]), vaddq_f32(acc[1], acc[3]));
                let s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
                *s = vget_lane_f32::<0>(s2) + vget_lane_f32::<1>(s2);
            }
            for (r, &s) in sum.iter().enumerate() {
                let row = p.add(r * kv_len);
                let inv = vdupq_n_f32(1.0 / s);
                let mut j = 0;
                while j < full {
                    store16(row.add(j), COLS, load16(row.add(j), COLS).map(|x| vmulq_f32(x, inv)));
                    j += 16;
                }
                if rem > 0 {
                    store16(row.add(full), rem, load16(row.add(full), rem).map(|x| vmulq_f32(x, inv)));
                }
            }
        }
    }
}

/// `if a > b { a } else { b }` per lane (b when either is NaN).
#[inline(always)]
fn greater(a: float32x4_t, b: float32x4_t) -> float32x4_t {
    // SAFETY: NEON is baseline on aarch64.
    unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) }
}

/// `greater` on 2 lanes.
#[inline(always)]
fn greater_2(a: float32x2_t, b: float32x2_t) -> float32x2_t {
    // SAFETY: NEON is baseline on aarch64.
    unsafe { vbsl_f32(vcgt_f32(a, b), a, b) }
}

/// `a · b + c`, fused when `FUSED` (`generic::madd`).
#[inline(always)]
fn madd<const FUSED: bool>(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
    // SAFETY: NEON is baseline on aarch64.
    unsafe {
        if FUSED {
            vfmaq_f32(c, a, b)
        } else {
            vaddq_f32(vmulq_f32(a, b), c)
        }
    }
}

/// `generic::exp_with::<FUSED>` on 4 lanes, operation by operation (bit-identical; see the
/// AVX-512 copy). The clamp is two compares and selects: `fmax`/`fmin` differ from
/// `f32::clamp` on NaN.
#[inline(always)]
fn exp<const FUSED: bool>(x: float32x4_t) -> float32x4_t {
    let c = |v: f32| {
        // SAFETY: NEON is baseline on aarch64.
        unsafe { vdupq_n_f32(v) }
    };
    // SAFETY: NEON is baseline on aarch64.
    unsafe {
        let (lo, hi) = (c(-87.336_54), c(88.376_26));
        let x1 = vbslq_f32(vcltq_f32(x, lo), lo, x);
        let xc = vbslq_f32(vcgtq_f32(x1, hi), hi, x1);
        let rounder = c(12_582_912.0);
        let n = vsubq_f32(madd::<FUSED>(xc, c(core::f32::consts::LOG2_E), rounder), rounder);
        let neg_n = vnegq_f32(n);
        let r = madd::<FUSED>(neg_n, c(-2.121_944_4e-4), madd::<FUSED>(neg_n, c(0.693_359_4), xc));
        let mut p = c(1.987_569_1e-4);
        p = madd::<FUSED>(p, r, c(1.398_2e-3));
        p = madd::<FUSED>(p, r, c(8.333_452e-3));
        p = madd::<FUSED>(p, r, c(4.166_579_6e-2));
        p = madd::<FUSED>(p, r, c(1.666_666_5e-1));
        p = madd::<FUSED>(p, r, c(0.5));
        let er = vaddq_f32(madd::<FUSED>(vmulq_f32(p, r), r, r), c(1.0));
        let two_n = vshlq_n_u32::<23>(vreinterpretq_u32_f32(vaddq_f32(n, c(127.0 + 8_388_608.0))));
        let y = vmulq_f32(er, vreinterpretq_f32_u32(two_n));
        // Below the clamp the true value underflows: exactly 0.
        vbslq_f32(vcltq_f32(x, lo), c(0.0), y)
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
