//! NEON per-row int8 quantization, bit-exact with `scalar::quantize` (and so with
//! `scalar::quantize::quantize_rows_smoothed`). Also used by the dotprod kernel set.
//!
//! * max: `fmaxnm` returns the number when the other operand is NaN, as `f32::max` does.
//! * round: one `fcvtns` (to nearest, half to even; NaN → 0), the scalar `round_half_even` for
//!   the |t| ≤ 127.5 that quantization gives it (`scalar::quantize`'s note), so the results lie
//!   in [-127, 127] and narrow exactly.

use core::arch::aarch64::*;

use crate::kernels::scalar::quantize::{for_each_row, tail_max, tail_quantize};

/// Same contract as `scalar::quantize::quantize_rows_smoothed`.
///
/// # Safety
/// The CPU must support NEON. (Lengths are checked through slices.)
#[target_feature(enable = "neon")]
pub unsafe fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    for_each_row(x, cols, q, scales, |row| row_max(row, channel_scale), |row, inv, qrow| quantize_row(row, channel_scale, inv, qrow));
}

#[target_feature(enable = "neon")]
fn row_max(row: &[f32], cs: Option<&[f32]>) -> f32 {
    let mut m = vdupq_n_f32(0.0);
    let body = row.len() / 4 * 4;
    for x in (0..body).step_by(4) {
        // SAFETY: 4-element bounds-checked slices.
        let mut v = unsafe { vld1q_f32(row[x..x + 4].as_ptr()) };
        if let Some(cs) = cs {
            // SAFETY: as above.
            v = vmulq_f32(v, unsafe { vld1q_f32(cs[x..x + 4].as_ptr()) });
        }
        m = vmaxnmq_f32(m, vabsq_f32(v));
    }
    let mut lanes = [0.0f32; 4];
    // SAFETY: `lanes` is 4 writable f32.
    unsafe { vst1q_f32(lanes.as_mut_ptr(), m) };
    tail_max(row, cs, body, lanes.iter().fold(0.0f32, |a, &b| a.max(b)))
}

/// 4 values → 4 i32: `round_half_even(v · inv)`, NaN → 0.
#[target_feature(enable = "neon")]
#[inline]
pub fn quantize4(v: float32x4_t, inv: float32x4_t) -> int32x4_t {
    vcvtnq_s32_f32(vmulq_f32(v, inv))
}

#[target_feature(enable = "neon")]
fn quantize_row(row: &[f32], cs: Option<&[f32]>, inv: f32, q: &mut [i8]) {
    let invv = vdupq_n_f32(inv);
    let body = row.len() / 8 * 8;
    for x in (0..body).step_by(8) {
        // SAFETY: 8-element bounds-checked slices.
        let (mut v0, mut v1) = unsafe { (vld1q_f32(row[x..x + 4].as_ptr()), vld1q_f32(row[x + 4..x + 8].as_ptr())) };
        if let Some(cs) = cs {
            // SAFETY: as above.
            unsafe {
                v0 = vmulq_f32(v0, vld1q_f32(cs[x..x + 4].as_ptr()));
                v1 = vmulq_f32(v1, vld1q_f32(cs[x + 4..x + 8].as_ptr()));
            }
        }
        let h = vcombine_s16(vmovn_s32(quantize4(v0, invv)), vmovn_s32(quantize4(v1, invv)));
        // SAFETY: q[x..x+8] is 8 writable bytes (bounds-checked slice).
        unsafe { vst1_s8(q[x..x + 8].as_mut_ptr(), vmovn_s16(h)) };
    }
    tail_quantize(row, cs, inv, body, q);
}
