//! AMX-INT8 GEMM on the `Panel16x4` layout: `tdpbssd`, signed × signed, so the quantized
//! activations are read in place (no `+128` conversion and no row-sum correction, unlike the
//! `vpdpbusd` kernels).
//!
//! The eight tile registers:
//!
//! ```text
//! tmm0 tmm1   C: rows i0..i0+16    × panels p0, p0+1   (16 × 16 i32 each)
//! tmm2 tmm3   C: rows i0+16..i0+32 × panels p0, p0+1
//! tmm4 tmm5   A: those two row groups × 64 k bytes, loaded from `a` with stride k
//! tmm6 tmm7   B: 16 k-groups of panels p0 and p0+1 = 16 consecutive 64-byte blocks each
//! ```
//!
//! A `Panel16x4` block (16 channels × 4 k) is exactly one row of a B tile, so the packed weights
//! are tile-loaded as they lie (stride 64). Per 64 values of k: 4 tile loads, 4 `tdpbssd`
//! (16 · 16 · 64 MACs each), each load issued for the next step right after the last `tdpbssd`
//! reading its register (k = 1024: 634 → 913 GMAC/s in the `gemm` bench).
//!
//! Loop order: column groups of up to 512 KiB of weights, then 32-row blocks, then the group's
//! panel pairs. A row block's outputs are thus written row by row from left to right, which the
//! L2 streamer follows. (With pairs outer and rows inner, each pair wrote 2 lines into each of
//! 128 rows 4 KiB apart: on outputs not in cache the 128 × 1024 × 256 product took 92–118 µs
//! against 55–60 µs now; on cached outputs both take ~56 µs.) The group's weights are read from
//! L3 by the first row block and from L2 by the next ones. The epilogue
//! (`acc as f32 · (sa · sw) + bias`, no FMA) runs on AVX-512 from the stored accumulators.
//!
//! Requires `k % 64 == 0`, so every tile load stays inside `a` and the panels;
//! `Kernels::gemm_i8_packed` runs the AVX-512 VNNI kernel for other `k`. Rows left over from the
//! 32-row blocks run under a second tile configuration with fewer rows.

use core::arch::asm;
use core::arch::x86_64::*;

use super::TileConfig;
use crate::kernels::gemm_args::GemmArgs as Ctx;
use crate::kernels::pack::PANEL_N;
use crate::kernels::x86_64::avx512vnni::store_ps;

/// Rows per block: two 16-row tiles.
const MR: usize = 32;

/// Weight bytes per column group (see the module note; the VNNI kernels block columns the same
/// way): all of an ELECTRA-small matrix (at most 256 KiB), a fifth of ELECTRA-base's
/// feed-forward ones; well inside a 2 MiB L2 with the rows.
const GROUP_BYTES: usize = 512 << 10;

/// The four accumulator tiles as stored for the epilogue: tile t at `t · 256`, rows of 16 i32.
/// Left uninitialized (zeroing its 4 KiB cost ~0.4% of a seq-16 pass): the epilogue reads only
/// the rows `tilestored` has just written.
#[repr(C, align(64))]
struct AccBuf([i32; 4 * 16 * 16]);

/// The configuration for row groups of `ra` and `rb` rows (`rb` = 0: no second group).
fn config(ra: usize, rb: usize) -> TileConfig {
    let mut c = TileConfig::empty().tile(0, ra, 64).tile(1, ra, 64).tile(4, ra, 64);
    if rb > 0 {
        c = c.tile(2, rb, 64).tile(3, rb, 64).tile(5, rb, 64);
    }
    c.tile(6, 16, 64).tile(7, 16, 64)
}

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// AMX-INT8 must be available and permitted (`amx::available()`), with AVX-512 F/BW; `k` must be
/// a positive multiple of 64 and the slices must have the lengths `kernels::check_gemm_args`
/// asserts (`a` ≥ m·k, `sa` ≥ m, `w` ≥ `packed_len(n, k)`, `sw` ≥ n, `bias` empty or ≥ n,
/// `y` ≥ m·n).
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    debug_assert!(k > 0 && k.is_multiple_of(64));
    let c = Ctx::new(a, sa, k, w, sw, &[], bias, n, y);
    let panels = n.div_ceil(PANEL_N);
    let full = m / MR * MR;
    // Panels per column group: an even number whose weights fit in GROUP_BYTES.
    let group = (GROUP_BYTES / c.panel_bytes.max(1)).max(2) & !1;
    let mut acc = core::mem::MaybeUninit::<AccBuf>::uninit();
    let acc: *mut i32 = acc.as_mut_ptr().cast();
    // Whole 32-row blocks under one configuration, then the last rows under their own.
    for (start, end) in [(0, full), (full, m)] {
        if start >= end {
            continue;
        }
        let (ra, rb) = if end - start >= MR { (16, 16) } else { ((end - start).min(16), (end - start).saturating_sub(16)) };
        let cfg = config(ra, rb);
        // SAFETY: a valid palette-1 configuration; AMX is available (caller).
        unsafe { asm!("ldtilecfg [{0}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly)) };
        for g0 in (0..panels).step_by(group) {
            let g1 = panels.min(g0 + group);
            let mut i0 = start;
            while i0 < end {
                let mut p0 = g0;
                while p0 < g1 {
                    let two = p0 + 1 < g1;
                    // SAFETY: rows i0..i0+ra+rb ≤ m and panels p0..p0+1+two ≤ panels (see `block`).
                    unsafe {
                        match (rb > 0, two) {
                            (true, true) => block::<true, true>(&c, acc, i0, ra, rb, p0),
                            (true, false) => block::<true, false>(&c, acc, i0, ra, rb, p0),
                            (false, true) => block::<false, true>(&c, acc, i0, ra, rb, p0),
                            (false, false) => block::<false, false>(&c, acc, i0, ra, rb, p0),
                        }
                    }
                    p0 += 2;
                }
                i0 += MR;
            }
        }
    }
    // SAFETY: releases the tile state this call configured.
    unsafe { asm!("tilerelease", options(nostack, nomem)) };
}

/// Rows `i0..i0+ra` (and `i0+16..i0+16+rb` if `LOWER`) × panel `p0` (and `p0+1` if `TWO`), all
/// of `k`, epilogue included.
///
/// # Safety
/// The tile configuration `config(ra, rb)` is loaded; the rows and panels exist (`i0 + 16 + rb ≤ m`
/// if `LOWER`, else `i0 + ra ≤ m`; `p0 + 1 + TWO ≤ ⌈n/16⌉`); `acc` points at a writable,
/// 64-byte-aligned `AccBuf`; the contract of `gemm_i8_packed`.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn block<const LOWER: bool, const TWO: bool>(c: &Ctx, acc: *mut i32, i0: usize, ra: usize, rb: usize, p0: usize) {
    let k = c.k;
    // SAFETY: every tile load reads rows of 64 bytes: A rows i0.. (i0+16..) at columns kk..kk+64
    // ≤ k of `a` (k % 64 == 0), B 16 blocks of panel p0 (p0+1) from block kk/4, i.e. bytes
    // kk·16 .. (kk+64)·16 ≤ k·16 = panel_bytes. The stores write tiles t = 0..4 of `acc` (4 KiB,
    // 64-byte aligned), `ra` or `rb` rows each; the epilogues read those rows only.
    unsafe {
        let a0 = c.a.add(i0 * k);
        let a1 = a0.add(16 * k);
        let b0 = c.w.add(p0 * c.panel_bytes);
        let b1 = b0.add(c.panel_bytes);
        asm!("tilezero tmm0", options(nostack, nomem));
        if TWO {
            asm!("tilezero tmm1", options(nostack, nomem));
        }
        if LOWER {
            asm!("tilezero tmm2", options(nostack, nomem));
            if TWO {
                asm!("tilezero tmm3", options(nostack, nomem));
            }
        }
        // Software-pipelined: each operand tile is reloaded for the next 64 values of k right
        // after its last reader of this step (tiles are not renamed: a load waits for the
        // `tdpbssd`s before it that read the register).
        asm!("tileloadd tmm4, [{p} + {s}*1]", p = in(reg) a0, s = in(reg) k, options(nostack, readonly));
        asm!("tileloadd tmm6, [{p} + {s}*1]", p = in(reg) b0, s = in(reg) 64usize, options(nostack, readonly));
        if TWO {
            asm!("tileloadd tmm7, [{p} + {s}*1]", p = in(reg) b1, s = in(reg) 64usize, options(nostack, readonly));
        }
        if LOWER {
            asm!("tileloadd tmm5, [{p} + {s}*1]", p = in(reg) a1, s = in(reg) k, options(nostack, readonly));
        }
        let mut kk = 0;
        while kk < k {
            let (next, kn) = (kk + 64 < k, kk + 64);
            asm!("tdpbssd tmm0, tmm4, tmm6", options(nostack, nomem));
            if TWO {
                asm!("tdpbssd tmm1, tmm4, tmm7", options(nostack, nomem));
            }
            if next {
                asm!("tileloadd tmm4, [{p} + {s}*1]", p = in(reg) a0.add(kn), s = in(reg) k, options(nostack, readonly));
            }
            if LOWER {
                asm!("tdpbssd tmm2, tmm5, tmm6", options(nostack, nomem));
            }
            if next {
                asm!("tileloadd tmm6, [{p} + {s}*1]", p = in(reg) b0.add(kn * 16), s = in(reg) 64usize, options(nostack, readonly));
            }
            if LOWER && TWO {
                asm!("tdpbssd tmm3, tmm5, tmm7", options(nostack, nomem));
            }
            if next {
                if TWO {
                    asm!("tileloadd tmm7, [{p} + {s}*1]", p = in(reg) b1.add(kn * 16), s = in(reg) 64usize, options(nostack, readonly));
                }
                if LOWER {
                    asm!("tileloadd tmm5, [{p} + {s}*1]", p = in(reg) a1.add(kn), s = in(reg) k, options(nostack, readonly));
                }
            }
            kk += 64;
        }
        let out = acc;
        asm!("tilestored [{p} + {s}*1], tmm0", p = in(reg) out, s = in(reg) 64usize, options(nostack));
        if TWO {
            asm!("tilestored [{p} + {s}*1], tmm1", p = in(reg) out.add(256), s = in(reg) 64usize, options(nostack));
        }
        if LOWER {
            asm!("tilestored [{p} + {s}*1], tmm2", p = in(reg) out.add(512), s = in(reg) 64usize, options(nostack));
            if TWO {
                asm!("tilestored [{p} + {s}*1], tmm3", p = in(reg) out.add(768), s = in(reg) 64usize, options(nostack));
            }
        }
        epilogue(c, acc, i0, ra, p0, 0);
        if TWO {
            epilogue(c, acc, i0, ra, p0 + 1, 1);
        }
        if LOWER {
            epilogue(c, acc, i0 + 16, rb, p0, 2);
            if TWO {
                epilogue(c, acc, i0 + 16, rb, p0 + 1, 3);
            }
        }
    }
}

/// `y[i0+u, panel p] = acc_tile[u] as f32 · (sa · sw) + bias` for `rows` rows of tile `t`.
///
/// # Safety
/// Rows `i0..i0+rows` < m and panel `p` < ⌈n/16⌉; rows `0..rows` of tile `t` of the `AccBuf` at
/// `acc` written (by `tilestored`); the contract of `gemm_i8_packed`.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn epilogue(c: &Ctx, acc: *const i32, i0: usize, rows: usize, p: usize, t: usize) {
    let j = p * PANEL_N;
    let mask = ((1u32 << (c.n - j).min(PANEL_N)) - 1) as __mmask16;
    // SAFETY: masked lanes are channels j..n, inside `sw`, `bias` (if any) and row i of `y`;
    // i < m is inside `sa`; rows 0..rows of tile t of `acc` were written by `tilestored`.
    unsafe {
        let sw = _mm512_maskz_loadu_ps(mask, c.sw.add(j));
        let bias = if c.bias.is_null() { _mm512_setzero_ps() } else { _mm512_maskz_loadu_ps(mask, c.bias.add(j)) };
        for u in 0..rows {
            let i = i0 + u;
            let s = _mm512_mul_ps(_mm512_set1_ps(*c.sa.add(i)), sw);
            let v = _mm512_cvtepi32_ps(_mm512_load_si512(acc.add(t * 256 + u * 16).cast()));
            // Whole panels unmasked: LayerNorm or the activation loads the outputs at once.
            store_ps(c.y.add(i * c.n + j), mask, _mm512_add_ps(_mm512_mul_ps(v, s), bias));
        }
    }
}
