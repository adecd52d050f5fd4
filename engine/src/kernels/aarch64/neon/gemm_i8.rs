//! NEON int8 GEMM on the `Panel16x4` layout: `smull` + `smlal` + `sadalp`, signed × signed.
//!
//! A 64-byte block is four q registers, each 4 channels × 4 k. Each row's 4 activations of a group
//! are replicated into a q register, so `smull` of the low halves gives channels 4q, 4q+1 × 4 k as
//! 8 i16 products. Two groups are summed in i16 (`smull` + `smlal`: |2 · 127 · 127| < 2^15, exact),
//! then `sadalp` adds adjacent pairs into i32 lanes (channel c: k0+k1, k2+k3). A row therefore
//! keeps 8 accumulators per panel (16 channels × 2 partial sums), folded by `addp` at the end.
//! Register block: 2 rows × 16 channels (16 accumulators, 2 weight and 4 activation registers).
//! Per 16 MACs: one `smull` + one `smlal` (8 lanes each) + one `sadalp`.

use core::arch::aarch64::*;

use crate::kernels::aarch64::{copy_rows, store_block};
use crate::kernels::gemm_args::GemmArgs as Ctx;
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block.
const MR: usize = 2;
/// `k` (bytes) per activation chunk; a multiple of 16.
const KC: usize = 4096;

#[repr(C, align(16))]
struct ABuf([i8; MR * KC]);

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support NEON, and the slices must have the lengths `kernels::check_gemm_args`
/// asserts; int8 values in [-127, 127].
#[target_feature(enable = "neon")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let kp = padded_k(k);
    let c = Ctx::new(a, sa, k, w, sw, &[], bias, n, y);
    let mut buf = ABuf([0; MR * KC]);
    let single = kp <= KC;
    // One column block: the whole of `w` (no L2 blocking here).
    c.for_each_block(m, MR, 1, usize::MAX, |i0, rows, p, _, first| {
        if single && first {
            copy_rows(&c, &mut buf.0, KC, i0, rows, 0, k, 4);
        }
        // SAFETY: i0 + rows ≤ m and p < panels, the ranges the block reads and writes.
        unsafe {
            match rows {
                2 => block::<2>(&c, &mut buf, i0, p, single),
                _ => block::<1>(&c, &mut buf, i0, p, single),
            }
        }
    });
}

/// One register block: rows `i0..i0+R` × panel `p`, all of `k`, epilogue included.
///
/// # Safety
/// As `gemm_i8_packed`, with `i0 + R ≤ m`, `p < ⌈n/16⌉`; if `single`, `buf` holds the rows.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn block<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p * PANEL_N;
    let mut acc = [[vdupq_n_s32(0); 8]; R];
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            copy_rows(c, &mut buf.0, KC, i0, R, x0, c.k.min(x0 + kc), 4);
        }
        // SAFETY: panel p, groups x0/4 .. (x0+kc)/4 are inside `w`.
        unsafe {
            let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES);
            dot::<R>(&mut acc, buf.0.as_ptr(), w, kc / PANEL_K);
        }
        x0 += kc;
    }
    let sums: [[int32x4_t; 4]; R] = core::array::from_fn(|r| core::array::from_fn(|q| vpaddq_s32(acc[r][2 * q], acc[r][2 * q + 1])));
    // SAFETY: forwarded contract (rows i0..i0+R, the panel at j0).
    unsafe { store_block::<R>(c, i0, j0, &sums) };
}

/// `acc[r][2q + h] += pairwise(a[r] · w)` over `groups` groups of one panel.
///
/// # Safety
/// NEON available; `a` holds R rows of stride `KC` with ≥ 4·groups bytes each; `w` has ≥ groups
/// blocks.
#[target_feature(enable = "neon")]
#[inline]
#[allow(clippy::needless_range_loop)] // register tiles read best as acc[r][q]
unsafe fn dot<const R: usize>(acc: &mut [[int32x4_t; 8]; R], a: *const i8, w: *const i8, groups: usize) {
    let dup = |r: usize, g: usize| {
        // SAFETY: 4 bytes at row r, group g of the activation buffer.
        vreinterpretq_s8_s32(vdupq_n_s32(unsafe { a.add(r * KC + g * PANEL_K).cast::<i32>().read_unaligned() }))
    };
    let mut g = 0;
    while g + 2 <= groups {
        let mut a0 = [vdupq_n_s8(0); R];
        let mut a1 = [vdupq_n_s8(0); R];
        for r in 0..R {
            a0[r] = dup(r, g);
            a1[r] = dup(r, g + 1);
        }
        for q in 0..4 {
            // SAFETY: blocks g and g+1 are inside `w`; 16 bytes at 16q of each.
            let (w0, w1) = unsafe { (vld1q_s8(w.add(g * BLOCK_BYTES + 16 * q)), vld1q_s8(w.add((g + 1) * BLOCK_BYTES + 16 * q))) };
            for r in 0..R {
                let lo = vmlal_s8(vmull_s8(vget_low_s8(w0), vget_low_s8(a0[r])), vget_low_s8(w1), vget_low_s8(a1[r]));
                let hi = vmlal_high_s8(vmull_high_s8(w0, a0[r]), w1, a1[r]);
                acc[r][2 * q] = vpadalq_s16(acc[r][2 * q], lo);
                acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], hi);
            }
        }
        g += 2;
    }
    if g < groups {
        for q in 0..4 {
            // SAFETY: block g is inside `w`.
            let w0 = unsafe { vld1q_s8(w.add(g * BLOCK_BYTES + 16 * q)) };
            for r in 0..R {
                let a0 = dup(r, g);
                acc[r][2 * q] = vpadalq_s16(acc[r][2 * q], vmull_s8(vget_low_s8(w0), vget_low_s8(a0)));
                acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], vmull_high_s8(w0, a0));
            }
        }
    }
}
