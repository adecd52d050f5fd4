//! SSE4.1 int8 GEMM on the `Panel16x4` layout, exact: sign-extend to i16 and `pmaddwd`.
//!
//! The AVX2 kernel (`x86_64/avx2/gemm_i8.rs`) in 128-bit registers. Activations are sign-extended
//! to i16 once per row block (stack buffer); weights 8 bytes at a time (`pmovsxbw`: 2 channels ×
//! 4 k → 8 × i16). `pmaddwd` against the 4 activations of a group, broadcast to both halves
//! (`movddup` from the buffer), gives 4 i32 lanes (2 channels × 2 partial sums) that `paddd`
//! accumulates. Products of two i16 pairs fit i32 exactly: no offset, no `row_sums` correction.
//!
//! Register block: 6 rows × 2 channels (an eighth of a panel) = 6 accumulators, the weight and a
//! temporary (16 xmm registers, no spills); the eight eighths of a panel are then folded
//! (`phaddd`) into 16 channels for the epilogue. Cost per 48 MACs: 1 `pmovsxbw` + 6 × (`movddup`
//! load + `pmaddwd` + `paddd`).

use core::arch::x86_64::*;

use crate::kernels::gemm_args::{six_row_blocks, GemmArgs as Ctx};
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block.
const MR: usize = 6;
/// `k` (elements) per activation chunk; a multiple of 16.
const KC: usize = 2048;
/// Weight bytes per column block (kept in L2 across row blocks).
const L2_BLOCK: usize = 256 * 1024;

#[repr(C, align(64))]
struct ABuf([i16; MR * KC]);

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support SSE4.1, and the slices must have the lengths `kernels::check_gemm_args`
/// asserts.
#[target_feature(enable = "sse4.1")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let kp = padded_k(k);
    let c = Ctx::new(a, sa, k, w, sw, &[], bias, n, y);
    let mut buf = ABuf([0; MR * KC]);
    let single = kp <= KC;
    const _: () = assert!(MR == 6);
    six_row_blocks!(c, buf, m, k, single, L2_BLOCK);
}

/// Copies `a[i0..i0+rows, x0..x1]` into `buf` sign-extended to i16, row stride `KC`. Elements of a
/// row past `x1 - x0` keep stale values; they only meet zero weight padding.
///
/// # Safety
/// SSE4.1 available; `rows ≤ MR`, `x1 - x0 ≤ KC`, and the source range inside `a`.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn convert(c: &Ctx, buf: &mut ABuf, i0: usize, rows: usize, x0: usize, x1: usize) {
    let len = x1 - x0;
    for r in 0..rows {
        // SAFETY: row i0+r, columns x0..x1 are inside `a` (caller's contract).
        let src = unsafe { core::slice::from_raw_parts(c.a.add((i0 + r) * c.k + x0), len) };
        let dst = &mut buf.0[r * KC..r * KC + len];
        let mut chunks = src.chunks_exact(8);
        let mut x = 0;
        for ch in &mut chunks {
            // SAFETY: `ch` is 8 readable bytes; dst[x..x+8] is in bounds (x + 8 ≤ len).
            unsafe {
                let v = _mm_cvtepi8_epi16(_mm_loadl_epi64(ch.as_ptr().cast()));
                _mm_storeu_si128(dst[x..x + 8].as_mut_ptr().cast(), v);
            }
            x += 8;
        }
        for (d, &s) in dst[x..].iter_mut().zip(chunks.remainder()) {
            *d = s as i16;
        }
    }
}

/// One register block: rows `i0..i0+R` × panel `p`, all of `k`, epilogue included.
///
/// # Safety
/// As `gemm_i8_packed`, with `i0 + R ≤ m`, `p < ⌈n/16⌉`; if `single`, `buf` holds the rows.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn block<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p * PANEL_N;
    // tile[r][e]: channels 2e, 2e+1 of row r, two partial sums each.
    let mut tile = [[_mm_setzero_si128(); 8]; R];
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            // SAFETY: rows i0..i0+R, columns x0..min(x0+kc, k) are inside `a`; kc ≤ KC.
            unsafe { convert(c, buf, i0, R, x0, c.k.min(x0 + kc)) };
        }
        for e in 0..8 {
            // SAFETY: panel p, groups x0/4 .. (x0+kc)/4, bytes 8e..8e+8 of each block: inside `w`.
            unsafe {
                let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES + 8 * e);
                dot::<R>(&mut tile, e, buf.0.as_ptr(), w, kc / PANEL_K);
            }
        }
        x0 += kc;
    }
    let (valid, swv, bv) = c.panel_scales(j0);
    for (r, t) in tile.iter().enumerate() {
        let i = i0 + r;
        // SAFETY: i < m, inside `sa`.
        let sa = _mm_set1_ps(unsafe { *c.sa.add(i) });
        // A whole panel is stored into `y` directly; a tail panel through `out` (a copy of
        // `valid` floats, which is a `memcpy` call: 7% of a pass when every panel took it).
        let mut out = [0.0f32; PANEL_N];
        // SAFETY: with valid = 16, y[i, j0 .. j0+16] is inside `y` (i < m, j0 + 16 ≤ n).
        let dst = if valid == PANEL_N { unsafe { c.y.add(i * c.n + j0) } } else { out.as_mut_ptr() };
        for q in 0..4 {
            // phaddd of two eighths → channels 4q .. 4q+4, each its two partial sums added.
            let acc = _mm_hadd_epi32(t[2 * q], t[2 * q + 1]);
            // SAFETY: 4-element in-bounds slices of local arrays; `dst` holds 16 floats.
            unsafe {
                let s = _mm_mul_ps(sa, _mm_loadu_ps(swv[4 * q..].as_ptr()));
                let v = _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(acc), s), _mm_loadu_ps(bv[4 * q..].as_ptr()));
                _mm_storeu_ps(dst.add(4 * q), v);
            }
        }
        if valid < PANEL_N {
            // SAFETY: y[i, j0 .. j0+valid] is inside `y` (i < m, j0 + valid ≤ n).
            unsafe { core::slice::from_raw_parts_mut(c.y.add(i * c.n + j0), valid).copy_from_slice(&out[..valid]) };
        }
    }
}

/// `tile[r][e] += pmaddwd(w16, a16)` over `groups` blocks, 8 bytes (channels 2e, 2e+1) per block.
///
/// # Safety
/// SSE4.1 available; `a` holds R rows of stride `KC` with ≥ 4·groups elements each; `w` points at
/// byte 8e of the first block, with ≥ groups blocks after it.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn dot<const R: usize>(tile: &mut [[__m128i; 8]; R], e: usize, a: *const i16, w: *const i8, groups: usize) {
    let mut acc = [_mm_setzero_si128(); R];
    for r in 0..R {
        acc[r] = tile[r][e];
    }
    for g in 0..groups {
        // SAFETY: 8 bytes of block g, inside `w`.
        let wv = _mm_cvtepi8_epi16(unsafe { _mm_loadl_epi64(w.add(g * BLOCK_BYTES).cast()) });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: 4 i16 (8 bytes) at row r, group g of the activation buffer; `movddup`
            // broadcasts them to both halves.
            let av = _mm_castpd_si128(unsafe { _mm_loaddup_pd(a.add(r * KC + g * PANEL_K).cast::<f64>()) });
            *acc = _mm_add_epi32(*acc, _mm_madd_epi16(wv, av));
        }
    }
    for r in 0..R {
        tile[r][e] = acc[r];
    }
}
