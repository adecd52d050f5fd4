//! AVX-VNNI int8 GEMM on the `Panel16x4` layout: `vpdpbusd ymm` (`_mm256_dpbusd_avx_epi32`).
//!
//! A 64-byte weight block is two ymm (channels 0-7 and 8-15, 4 k each). Activations become unsigned
//! (`a ^ 0x80`) in a stack buffer one row block at a time; a block of 6 rows × 1 panel keeps 12 ymm
//! accumulators (16 registers in all), so each weight load feeds 6 `vpdpbusd` and each broadcast 2.
//! Accumulators start at `-128 · row_sums[j]`; the epilogue runs in registers, with
//! `vmaskmov` loads/stores for `n` tails.

use core::arch::x86_64::*;
use core::mem::MaybeUninit;

use crate::kernels::gemm_args::{six_row_blocks, GemmArgs as Ctx};
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block.
const MR: usize = 6;
/// `k` (bytes) per activation chunk; a multiple of 32.
const KC: usize = 2048;
/// Weight bytes per column block (kept in L2 across row blocks).
const L2_BLOCK: usize = 512 * 1024;

/// Activations of one row block, row stride `KC`. Left uninitialized (no per-call memset):
/// `convert` writes every element `dot` later reads (each row up to a multiple of 4).
#[repr(C, align(64))]
struct ABuf([MaybeUninit<u8>; MR * KC]);

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support AVX2 and AVX-VNNI, and the slices must have the lengths
/// `kernels::check_gemm_args` asserts, with `row_sums[j] = Σ_k w[j, k]`.
#[target_feature(enable = "avx2,avxvnni")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(
    a: &[i8],
    sa: &[f32],
    m: usize,
    k: usize,
    w: &[i8],
    sw: &[f32],
    row_sums: &[i32],
    bias: &[f32],
    n: usize,
    y: &mut [f32],
) {
    let kp = padded_k(k);
    let c = Ctx::new(a, sa, k, w, sw, row_sums, bias, n, y);
    let mut buf = ABuf([MaybeUninit::uninit(); MR * KC]);
    let single = kp <= KC;
    const _: () = assert!(MR == 6);
    six_row_blocks!(c, buf, m, k, single, L2_BLOCK);
}

/// Copies `a[i0..i0+rows, x0..x1]` into `buf` as unsigned bytes (`a + 128`), row stride `KC`.
/// Each row is padded with 0x80 (activation 0) up to a multiple of 4.
///
/// # Safety
/// AVX2 available; `rows ≤ MR`, `x1 - x0 ≤ KC`, and the source range inside `a`.
#[target_feature(enable = "avx2,avxvnni")]
#[inline]
unsafe fn convert(c: &Ctx, buf: &mut ABuf, i0: usize, rows: usize, x0: usize, x1: usize) {
    let len = x1 - x0;
    let flip = _mm256_set1_epi8(-128);
    for r in 0..rows {
        // SAFETY: row i0+r, columns x0..x1 are inside `a` (caller's contract).
        let src = unsafe { core::slice::from_raw_parts(c.a.add((i0 + r) * c.k + x0), len) };
        let dst = &mut buf.0[r * KC..r * KC + padded_k(len)];
        let mut chunks = src.chunks_exact(32);
        let mut x = 0;
        for ch in &mut chunks {
            // SAFETY: `ch` is 32 readable bytes; dst[x..x+32] is in bounds (x + 32 ≤ len).
            unsafe {
                let v = _mm256_loadu_si256(ch.as_ptr().cast());
                _mm256_storeu_si256(dst[x..x + 32].as_mut_ptr().cast(), _mm256_xor_si256(v, flip));
            }
            x += 32;
        }
        for (d, &s) in dst[x..len].iter_mut().zip(chunks.remainder()) {
            d.write((s as u8) ^ 0x80);
        }
        for d in &mut dst[len..] {
            d.write(0x80);
        }
    }
}

/// Lane mask (all ones = valid) for channels `j .. j+8` of `n`.
#[target_feature(enable = "avx2,avxvnni")]
#[inline]
fn lane_mask(j: usize, n: usize) -> __m256i {
    let valid = n.saturating_sub(j).min(8) as i32;
    _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

/// One register block: rows `i0..i0+R` × panel `p`, all of `k`, epilogue included.
///
/// # Safety
/// As `gemm_i8_packed`, with `i0 + R ≤ m`, `p < ⌈n/16⌉`; if `single`, `buf` holds the rows.
#[target_feature(enable = "avx2,avxvnni")]
#[inline]
unsafe fn block<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p * PANEL_N;
    let mask = [lane_mask(j0, c.n), lane_mask(j0 + 8, c.n)];
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    for h in 0..2 {
        // SAFETY: masked lanes cover channels j0+8h .. n only, inside `row_sums`; masked-off lanes
        // are not read (vpmaskmovd does not fault on them).
        let rs = unsafe { _mm256_maskload_epi32(c.row_sums.add(j0 + 8 * h), mask[h]) };
        let corr = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32::<7>(rs));
        for acc in acc.iter_mut() {
            acc[h] = corr;
        }
    }
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            // SAFETY: rows i0..i0+R, columns x0..min(x0+kc, k) are inside `a`; kc ≤ KC.
            unsafe { convert(c, buf, i0, R, x0, c.k.min(x0 + kc)) };
        }
        // SAFETY: panel p, groups x0/4 .. (x0+kc)/4 are inside `w`.
        unsafe {
            let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES);
            dot::<R>(&mut acc, buf.0.as_ptr().cast::<u8>(), w, kc / PANEL_K);
        }
        x0 += kc;
    }
    let mut swv = [_mm256_setzero_ps(); 2];
    let mut bv = [_mm256_setzero_ps(); 2];
    for h in 0..2 {
        let j = j0 + 8 * h;
        // SAFETY: masked lanes cover channels j .. n only, inside `sw` and `bias` (if present).
        unsafe {
            swv[h] = _mm256_maskload_ps(c.sw.add(j), mask[h]);
            if !c.bias.is_null() {
                bv[h] = _mm256_maskload_ps(c.bias.add(j), mask[h]);
            }
        }
    }
    let full = c.n.saturating_sub(j0) >= 16;
    for (r, acc) in acc.iter().enumerate() {
        let i = i0 + r;
        // SAFETY: i < m, inside `sa`.
        let sa = _mm256_set1_ps(unsafe { *c.sa.add(i) });
        for h in 0..2 {
            let s = _mm256_mul_ps(sa, swv[h]);
            let v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[h]), s), bv[h]);
            // SAFETY: masked lanes are y[i, j .. n], inside `y` (i < m); with 16 channels left
            // both halves are whole. Whole panels go unmasked: the next kernel loads them at once.
            unsafe { crate::kernels::x86_64::avx2::store_ps(c.y.add(i * c.n + j0 + 8 * h), mask[h], full, v) };
        }
    }
}

/// `acc[r][h] += Σ_t (a[r, 4g+t] + 128) · w[g][8h..8h+8][t]` over `groups` groups of one panel.
///
/// # Safety
/// AVX-VNNI available; `a` holds R rows of stride `KC` with ≥ 4·groups bytes each; `w` has ≥ groups
/// blocks.
#[target_feature(enable = "avx2,avxvnni")]
#[inline]
unsafe fn dot<const R: usize>(acc: &mut [[__m256i; 2]; R], a: *const u8, w: *const i8, groups: usize) {
    for g in 0..groups {
        // SAFETY: block g (64 bytes) is inside `w`.
        let (w0, w1) = unsafe {
            let b = w.add(g * BLOCK_BYTES);
            (_mm256_loadu_si256(b.cast()), _mm256_loadu_si256(b.add(32).cast()))
        };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: 4 bytes at row r, group g of the activation buffer.
            let av = _mm256_set1_epi32(unsafe { a.add(r * KC + g * PANEL_K).cast::<i32>().read_unaligned() });
            acc[0] = _mm256_dpbusd_avx_epi32(acc[0], av, w0);
            acc[1] = _mm256_dpbusd_avx_epi32(acc[1], av, w1);
        }
    }
}
