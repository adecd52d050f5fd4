//! The f32 GEMM's `columns` with NEON intrinsics, bit-identical to `gemm_f32::columns::<true>`:
//! each output's 16 lane sums in four q registers (lanes 0–3, 4–7, 8–11, 12–15), `fmla` per chunk
//! of 16 in k order, the tail from a zero-padded copy, then the pairwise fold (lanes l + l+8 as
//! q0+q2 and q1+q3, then l+4, l+2, l+1). Register block: 2 rows × 2 weight rows = 16
//! accumulators, 16 loads per 16 multiply-adds. LLVM turns the generic body into scalar `fmadd`s
//! here (as on x86), hence this copy.

use core::arch::aarch64::*;

/// Lanes l + l+8, l+4, l+2, l+1, as `gemm_f32::dot1`'s fold.
#[inline(always)]
fn fold(a: [float32x4_t; 4]) -> f32 {
    // SAFETY: NEON is baseline on aarch64; register-only operations.
    unsafe {
        let s4 = vaddq_f32(vaddq_f32(a[0], a[2]), vaddq_f32(a[1], a[3]));
        let s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
        vget_lane_f32::<0>(s2) + vget_lane_f32::<1>(s2)
    }
}

/// 16 values from `p`.
///
/// # Safety
/// `p` readable for 16 floats.
#[inline(always)]
unsafe fn load16(p: *const f32) -> [float32x4_t; 4] {
    // SAFETY: the caller's contract.
    unsafe { [vld1q_f32(p), vld1q_f32(p.add(4)), vld1q_f32(p.add(8)), vld1q_f32(p.add(12))] }
}

#[inline(always)]
fn fma16(acc: &mut [float32x4_t; 4], x: &[float32x4_t; 4], w: &[float32x4_t; 4]) {
    for q in 0..4 {
        // SAFETY: NEON is baseline on aarch64; register-only.
        acc[q] = unsafe { vfmaq_f32(acc[q], x[q], w[q]) };
    }
}

/// Rows `i..i+R` of `x` against the weight rows at `w0` (and `w1` if `TWO`): the outputs in
/// `out[2r]`, `out[2r + 1]`.
///
/// # Safety
/// `x` readable for R rows of `k` from row `i`, `w0` (and `w1`) for `k` values.
#[inline(always)]
unsafe fn block<const R: usize, const TWO: bool>(x: *const f32, i: usize, k: usize, w0: *const f32, w1: *const f32) -> [f32; 4] {
    // SAFETY: register-only initialization.
    let zero = unsafe { vdupq_n_f32(0.0) };
    let mut acc = [[zero; 4]; 4];
    let whole = k / 16 * 16;
    // SAFETY: every load reads lanes c..c+16 ≤ whole ≤ k of a row; the tail goes through
    // zero-padded copies of the lanes below k.
    unsafe {
        let mut c = 0;
        while c < whole {
            let wa = load16(w0.add(c));
            let wb = if TWO { load16(w1.add(c)) } else { wa };
            for r in 0..R {
                let xv = load16(x.add((i + r) * k + c));
                fma16(&mut acc[2 * r], &xv, &wa);
                if TWO {
                    fma16(&mut acc[2 * r + 1], &xv, &wb);
                }
            }
            c += 16;
        }
        if whole < k {
            let padded = |p: *const f32| {
                let mut v = [0.0f32; 16];
                v[..k - whole].copy_from_slice(core::slice::from_raw_parts(p, k - whole));
                load16(v.as_ptr())
            };
            let wa = padded(w0.add(whole));
            let wb = if TWO { padded(w1.add(whole)) } else { wa };
            for r in 0..R {
                let xv = padded(x.add((i + r) * k + whole));
                fma16(&mut acc[2 * r], &xv, &wa);
                if TWO {
                    fma16(&mut acc[2 * r + 1], &xv, &wb);
                }
            }
        }
    }
    let mut out = [0.0f32; 4];
    for r in 0..R {
        out[2 * r] = fold(acc[2 * r]);
        if TWO {
            out[2 * r + 1] = fold(acc[2 * r + 1]);
        }
    }
    out
}

/// `gemm_f32::columns::<true>` (same arguments, same bits).
#[allow(clippy::too_many_arguments)]
pub fn columns(x: &[f32], m: usize, k: usize, w0: &[f32], w1: Option<&[f32]>, n: usize, j: usize, y: &mut [f32]) {
    // The bounds every raw read below relies on (`gemm_f32::drive` checked the shapes).
    assert!(x.len() >= m * k && w0.len() >= k && w1.is_none_or(|w| w.len() >= k) && y.len() >= m * n && j + usize::from(w1.is_some()) < n.max(1));
    let (xp, w0p) = (x.as_ptr(), w0.as_ptr());
    let w1p = w1.map_or(w0p, |w| w.as_ptr());
    crate::kernels::float::gemm_f32::row_blocks(m, 2, n, j, w1.is_some(), y, |i, rows| {
        // SAFETY: rows i..i+rows ≤ m of x, k values of each weight row (asserted above).
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
