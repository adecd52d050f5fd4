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
    let panels = n.div_ceil(PANEL_N);
    let single = kp <= KC;
    let mut i0 = 0;
    while i0 < m {
        let mr = MR.min(m - i0);
        if single {
            copy_rows(&c, &mut buf, i0, mr, 0, k);
        }
        for p in 0..panels {
            // SAFETY: i0 + mr ≤ m and p < panels, the ranges the block reads and writes.
            unsafe {
                match mr {
                    4 => block::<4>(&c, &mut buf, i0, p, single),
                    3 => block::<3>(&c, &mut buf, i0, p, single),
                    2 => block::<2>(&c, &mut buf, i0, p, single),
                    _ => block::<1>(&c, &mut buf, i0, p, single),
                }
            }
        }
        i0 += mr;
    }
}

/// Copies `a[i0..i0+rows, x0..x1]` into `buf` (row stride `KC`), zero-padded to a multiple of 16
/// (one `sdot` activation register).
fn copy_rows(c: &Ctx, buf: &mut ABuf, i0: usize, rows: usize, x0: usize, x1: usize) {
    let len = x1 - x0;
    for r in 0..rows {
        // SAFETY: row i0+r, columns x0..x1 are inside `a` (the caller's contract of
        // `gemm_i8_packed`, which is the only user of `Ctx`).
        let src = unsafe { core::slice::from_raw_parts(c.a.add((i0 + r) * c.k + x0), len) };
        buf.0[r * KC..r * KC + len].copy_from_slice(src);
        buf.0[r * KC + len..r * KC + len.div_ceil(16) * 16].fill(0);
    }
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
            copy_rows(c, buf, i0, R, x0, c.k.min(x0 + kc));
        }
        // SAFETY: panel p, groups x0/4 .. (x0+kc)/4 are inside `w`.
        unsafe {
            let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES);
            dot::<R>(&mut acc, buf.0.as_ptr(), w, kc / PANEL_K);
        }
        x0 += kc;
    }
    let valid = (c.n - j0).min(PANEL_N);
    let mut swv = [0.0f32; PANEL_N];
    let mut bv = [0.0f32; PANEL_N];
    // SAFETY: channels j0 .. j0+valid ≤ n are inside `sw` and `bias` (if present).
    unsafe {
        swv[..valid].copy_from_slice(core::slice::from_raw_parts(c.sw.add(j0), valid));
        if !c.bias.is_null() {
            bv[..valid].copy_from_slice(core::slice::from_raw_parts(c.bias.add(j0), valid));
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let i = i0 + r;
        // SAFETY: i < m, inside `sa`.
        let sa = vdupq_n_f32(unsafe { *c.sa.add(i) });
        let mut out = [0.0f32; PANEL_N];
        for q in 0..4 {
            // SAFETY: 4-element in-bounds slices of local arrays.
            unsafe {
                let scale = vmulq_f32(sa, vld1q_f32(swv[4 * q..4 * q + 4].as_ptr()));
                let v = vaddq_f32(vmulq_f32(vcvtq_f32_s32(acc[q]), scale), vld1q_f32(bv[4 * q..4 * q + 4].as_ptr()));
                vst1q_f32(out[4 * q..4 * q + 4].as_mut_ptr(), v);
            }
        }
        // SAFETY: y[i, j0 .. j0+valid] is inside `y` (i < m, j0 + valid ≤ n).
        unsafe { core::slice::from_raw_parts_mut(c.y.add(i * c.n + j0), valid).copy_from_slice(&out[..valid]) };
    }
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
