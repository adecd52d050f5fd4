//! aarch64 dot-product int8 GEMM on the `Panel16x4` layout: `sdot` (by element), signed × signed.
//!
//! A 64-byte block is four q registers of 4 channels × 4 k: exactly the operand of
//! `sdot vd.4s, vn.16b, vm.4b[l]`, which adds the 4-byte dot product of each channel with group `l`
//! of the 16 activation bytes in `vm`. So one 16-byte load of a row serves 4 groups, and a register
//! block of 4 rows × 16 channels keeps 16 accumulators (+ 4 weights + 4 activations): each weight
//! register feeds 4 `sdot`. No offset, no correction, no pairwise folding.
//!
//! `vdotq_s32` is unstable on Rust 1.95, so `sdot` is emitted with `asm!` inside
//! `#[target_feature(enable = "dotprod")]` functions.

use core::arch::aarch64::*;
use core::arch::asm;

use crate::kernels::aarch64::{copy_rows, store_block};
use crate::kernels::gemm_args::GemmArgs as Ctx;
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block.
const MR: usize = 4;
/// `k` (bytes) per activation chunk; a multiple of 16.
const KC: usize = 4096;

#[repr(C, align(16))]
struct ABuf([i8; MR * KC]);

/// `acc += sdot(w, a.4b[LANE])`.
macro_rules! sdot {
    ($acc:expr, $w:expr, $a:expr, $lane:literal) => {
        // SAFETY: a register-only instruction; the enclosing function enables `dotprod`, which the
        // caller's contract guarantees the CPU has.
        unsafe {
            asm!(
                concat!("sdot {acc:v}.4s, {w:v}.16b, {a:v}.4b[", $lane, "]"),
                acc = inout(vreg) $acc,
                w = in(vreg) $w,
                a = in(vreg) $a,
                options(pure, nomem, nostack, preserves_flags)
            )
        }
    };
}

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support NEON and the dot-product extension, and the slices must have the lengths
/// `kernels::check_gemm_args` asserts.
#[target_feature(enable = "neon,dotprod")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let kp = padded_k(k);
    let c = Ctx::new(a, sa, k, w, sw, &[], bias, n, y);
    let mut buf = ABuf([0; MR * KC]);
    let single = kp <= KC;
    // One column block: the whole of `w` (no L2 blocking here).
    c.for_each_block(m, MR, 1, usize::MAX, |i0, rows, p, _, first| {
        if single && first {
            copy_rows(&c, &mut buf.0, KC, i0, rows, 0, k, 16);
        }
        // SAFETY: i0 + rows ≤ m and p < panels, the ranges the block reads and writes.
        unsafe {
            match rows {
                4 => block::<4>(&c, &mut buf, i0, p, single),
                3 => block::<3>(&c, &mut buf, i0, p, single),
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
#[target_feature(enable = "neon,dotprod")]
#[inline]
unsafe fn block<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p * PANEL_N;
    let mut acc = [[vdupq_n_s32(0); 4]; R];
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            copy_rows(c, &mut buf.0, KC, i0, R, x0, c.k.min(x0 + kc), 16);
        }
        // SAFETY: panel p, groups x0/4 .. (x0+kc)/4 are inside `w`.
        unsafe {
            let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES);
            dot::<R>(&mut acc, buf.0.as_ptr(), w, kc / PANEL_K);
        }
        x0 += kc;
    }
    // SAFETY: forwarded contract (rows i0..i0+R, the panel at j0).
    unsafe { store_block::<R>(c, i0, j0, &acc) };
}

/// `acc[r][q] += Σ_g sdot(w[g][q], a[r][g])` over `groups` groups of one panel.
///
/// # Safety
/// NEON + dotprod available; `a` holds R rows of stride `KC`, each readable up to
/// ⌈groups/4⌉·16 bytes; `w` has ≥ groups blocks.
#[target_feature(enable = "neon,dotprod")]
#[inline]
#[allow(clippy::needless_range_loop)] // register tiles read best as acc[r][q]
unsafe fn dot<const R: usize>(acc: &mut [[int32x4_t; 4]; R], a: *const i8, w: *const i8, groups: usize) {
    let load_a = |g: usize| {
        let mut av = [vdupq_n_s8(0); R];
        for (r, av) in av.iter_mut().enumerate() {
            // SAFETY: 16 bytes of row r at group g (a multiple of 4): inside the padded row.
            *av = unsafe { vld1q_s8(a.add(r * KC + g * PANEL_K)) };
        }
        av
    };
    let load_w = |g: usize, q: usize| {
        // SAFETY: every caller passes g < groups: block g is inside `w`.
        unsafe { vld1q_s8(w.add(g * BLOCK_BYTES + 16 * q)) }
    };
    let mut g = 0;
    while g + 4 <= groups {
        let av = load_a(g);
        for q in 0..4 {
            let (w0, w1, w2, w3) = (load_w(g, q), load_w(g + 1, q), load_w(g + 2, q), load_w(g + 3, q));
            for r in 0..R {
                sdot!(acc[r][q], w0, av[r], "0");
                sdot!(acc[r][q], w1, av[r], "1");
                sdot!(acc[r][q], w2, av[r], "2");
                sdot!(acc[r][q], w3, av[r], "3");
            }
        }
        g += 4;
    }
    if g < groups {
        let av = load_a(g);
        for l in 0..groups - g {
            for q in 0..4 {
                let wq = load_w(g + l, q);
                for r in 0..R {
                    match l {
                        0 => sdot!(acc[r][q], wq, av[r], "0"),
                        1 => sdot!(acc[r][q], wq, av[r], "1"),
                        _ => sdot!(acc[r][q], wq, av[r], "2"),
                    }
                }
            }
        }
    }
}
