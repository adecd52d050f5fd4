//! aarch64 kernels, one folder per instruction set, the same file names in each.
//!
//! Reachable only through `kernels::Kernels`, whose constructors check the CPU first.

pub mod dotprod;
pub mod neon;

use core::arch::aarch64::*;

use crate::kernels::gemm_args::GemmArgs as Ctx;
use crate::kernels::pack::PANEL_N;

/// Copies `a[i0..i0+rows, x0..x1]` into `buf` (row stride `stride`), each row zero-padded to a
/// multiple of `pad` bytes (the kernel's activation step).
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_rows(c: &Ctx, buf: &mut [i8], stride: usize, i0: usize, rows: usize, x0: usize, x1: usize, pad: usize) {
    let len = x1 - x0;
    for r in 0..rows {
        // SAFETY: row i0+r, columns x0..x1 are inside `a` (the contract of the kernels'
        // `gemm_i8_packed`, the only users of `Ctx`).
        let src = unsafe { core::slice::from_raw_parts(c.a.add((i0 + r) * c.k + x0), len) };
        buf[r * stride..r * stride + len].copy_from_slice(src);
        buf[r * stride + len..r * stride + len.div_ceil(pad) * pad].fill(0);
    }
}

/// The epilogue of a register block, rows `i0..i0+R` × the panel at channel `j0`:
/// `y = sums as f32 · (sa · sw) + bias` on the panel's valid channels, the operations of
/// `scalar::gemm_i8::epilogue` (no FMA). `sums[r][q]` holds channels `4q..4q+4` of row `r`.
///
/// # Safety
/// NEON available; `i0 + R ≤ m`, `j0 < n` a panel start; the contract of `gemm_i8_packed`.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) unsafe fn store_block<const R: usize>(c: &Ctx, i0: usize, j0: usize, sums: &[[int32x4_t; 4]; R]) {
    let (valid, swv, bv) = c.panel_scales(j0);
    for (r, sums) in sums.iter().enumerate() {
        let i = i0 + r;
        // SAFETY: i < m, inside `sa`.
        let sa = vdupq_n_f32(unsafe { *c.sa.add(i) });
        // A whole panel is stored into `y` directly; a tail panel through `out` (a copy of
        // `valid` floats, which is a `memcpy` call per row and panel if every panel took it).
        let mut out = [0.0f32; PANEL_N];
        // SAFETY: with valid = 16, y[i, j0 .. j0+16] is inside `y` (i < m, j0 + 16 ≤ n).
        let dst = if valid == PANEL_N { unsafe { c.y.add(i * c.n + j0) } } else { out.as_mut_ptr() };
        for (q, &s) in sums.iter().enumerate() {
            // SAFETY: 4-element in-bounds slices of local arrays; `dst` holds 16 floats.
            unsafe {
                let scale = vmulq_f32(sa, vld1q_f32(swv[4 * q..4 * q + 4].as_ptr()));
                let v = vaddq_f32(vmulq_f32(vcvtq_f32_s32(s), scale), vld1q_f32(bv[4 * q..4 * q + 4].as_ptr()));
                vst1q_f32(dst.add(4 * q), v);
            }
        }
        if valid < PANEL_N {
            // SAFETY: y[i, j0 .. j0+valid] is inside `y` (i < m, j0 + valid ≤ n).
            unsafe { core::slice::from_raw_parts_mut(c.y.add(i * c.n + j0), valid).copy_from_slice(&out[..valid]) };
        }
    }
}
