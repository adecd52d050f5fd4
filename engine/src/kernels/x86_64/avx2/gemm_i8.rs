//! AVX2 int8 GEMM on the `Panel16x4` layout, exact: sign-extend to i16 and `vpmaddwd`.
//!
//! `vpmaddubsw` cannot be used on symmetric int8: with `a + 128` ∈ [1, 255] its saturating i16 pair
//! sum overflows (2 · 255 · 127 > 32767), and keeping activations to 7 bits changes results. So
//! activations are sign-extended to i16 once per row block (stack buffer) and weights 16 bytes at a
//! time (`vpmovsxbw`: 4 channels × 4 k → 16 × i16); `vpmaddwd` against the broadcast 4 activations
//! gives 8 i32 lanes (4 channels × 2 partial sums) that `vpaddd` accumulates. Products of two i16
//! pairs fit i32 exactly, so no offset and no `row_sums` correction is needed.
//!
//! Register block: 6 rows × 4 channels (a quarter panel) = 6 accumulators, 6 broadcasts, the
//! weight and a temporary; the four quarters of a panel are then folded (`vphaddd` + `vpermq`) into 16
//! channels for the epilogue. Cost per 96 MACs: 1 `vpmovsxbw` + 6 `vpmaddwd` + 6 `vpaddd`.

use core::arch::x86_64::*;

use crate::kernels::gemm_args::{six_row_blocks, GemmArgs as Ctx};
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block.
const MR: usize = 6;
/// `k` (elements) per activation chunk; a multiple of 16.
const KC: usize = 2048;
/// Weight bytes per column block (kept in L2 across row blocks).
const L2_BLOCK: usize = 512 * 1024;

#[repr(C, align(64))]
struct ABuf([i16; MR * KC]);

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support AVX2, and the slices must have the lengths `kernels::check_gemm_args`
/// asserts.
#[target_feature(enable = "avx2")]
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
/// AVX2 available; `rows ≤ MR`, `x1 - x0 ≤ KC`, and the source range inside `a`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn convert(c: &Ctx, buf: &mut ABuf, i0: usize, rows: usize, x0: usize, x1: usize) {
    let len = x1 - x0;
    for r in 0..rows {
        // SAFETY: row i0+r, columns x0..x1 are inside `a` (caller's contract).
        let src = unsafe { core::slice::from_raw_parts(c.a.add((i0 + r) * c.k + x0), len) };
        let dst = &mut buf.0[r * KC..r * KC + len];
        let mut chunks = src.chunks_exact(16);
        let mut x = 0;
        for ch in &mut chunks {
            // SAFETY: `ch` is 16 readable bytes; dst[x..x+16] is in bounds (x + 16 ≤ len).
            unsafe {
                let v = _mm256_cvtepi8_epi16(_mm_loadu_si128(ch.as_ptr().cast()));
                _mm256_storeu_si256(dst[x..x + 16].as_mut_ptr().cast(), v);
            }
            x += 16;
        }
        for (d, &s) in dst[x..].iter_mut().zip(chunks.remainder()) {
            *d = s as i16;
        }
    }
}

/// Lane mask (all ones = valid) for channels `j .. j+8` of `n`.
#[target_feature(enable = "avx2")]
#[inline]
fn lane_mask(j: usize, n: usize) -> __m256i {
    let valid = n.saturating_sub(j).min(8) as i32;
    _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

/// One register block: rows `i0..i0+R` × panel `p`, all of `k`, epilogue included.
///
/// # Safety
/// As `gemm_i8_packed`, with `i0 + R ≤ m`, `p < ⌈n/16⌉`; if `single`, `buf` holds the rows.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p * PANEL_N;
    // tile[r][q]: channels 4q..4q+4 of row r, two partial sums each.
    let mut tile = [[_mm256_setzero_si256(); 4]; R];
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            // SAFETY: rows i0..i0+R, columns x0..min(x0+kc, k) are inside `a`; kc ≤ KC.
            unsafe { convert(c, buf, i0, R, x0, c.k.min(x0 + kc)) };
        }
        for q in 0..4 {
            // SAFETY: panel p, groups x0/4 .. (x0+kc)/4, bytes 16q..16q+16 of each block: inside `w`.
            unsafe {
                let w = c.w.add(p * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES + 16 * q);
                dot::<R>(&mut tile, q, buf.0.as_ptr(), w, kc / PANEL_K);
            }
        }
        x0 += kc;
    }
    let mask = [lane_mask(j0, c.n), lane_mask(j0 + 8, c.n)];
    let mut swv = [_mm256_setzero_ps(); 2];
    let mut bv = [_mm256_setzero_ps(); 2];
    for h in 0..2 {
        let j = j0 + 8 * h;
        // SAFETY: masked lanes cover channels j .. n only, inside `sw` and `bias` (if present);
        // masked-off lanes are not read.
        unsafe {
            swv[h] = _mm256_maskload_ps(c.sw.add(j), mask[h]);
            if !c.bias.is_null() {
                bv[h] = _mm256_maskload_ps(c.bias.add(j), mask[h]);
            }
        }
    }
    let full = c.n.saturating_sub(j0) >= 16;
    for (r, t) in tile.iter().enumerate() {
        let i = i0 + r;
        // hadd → [c0 c1 c4 c5 | c2 c3 c6 c7]; vpermq (0, 2, 1, 3) → c0..c7.
        let acc = [
            _mm256_permute4x64_epi64::<0xD8>(_mm256_hadd_epi32(t[0], t[1])),
            _mm256_permute4x64_epi64::<0xD8>(_mm256_hadd_epi32(t[2], t[3])),
        ];
        // SAFETY: i < m, inside `sa`.
        let sa = _mm256_set1_ps(unsafe { *c.sa.add(i) });
        for h in 0..2 {
            let s = _mm256_mul_ps(sa, swv[h]);
            let v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[h]), s), bv[h]);
            // SAFETY: masked lanes are y[i, j .. n], inside `y` (i < m); with 16 channels left
            // both halves are whole. Whole panels go unmasked: the next kernel loads them at once.
            unsafe { super::store_ps(c.y.add(i * c.n + j0 + 8 * h), mask[h], full, v) };
        }
    }
}

/// `tile[r][q] += vpmaddwd(w16, a16)` over `groups` blocks, 16 bytes (channels 4q..4q+4) per block.
///
/// # Safety
/// AVX2 available; `a` holds R rows of stride `KC` with ≥ 4·groups elements each; `w` points at
/// byte 16q of the first block, with ≥ groups blocks after it.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn dot<const R: usize>(tile: &mut [[__m256i; 4]; R], q: usize, a: *const i16, w: *const i8, groups: usize) {
    let mut acc = [_mm256_setzero_si256(); R];
    for r in 0..R {
        acc[r] = tile[r][q];
    }
    for g in 0..groups {
        // SAFETY: 16 bytes of block g, inside `w`.
        let wv = _mm256_cvtepi8_epi16(unsafe { _mm_loadu_si128(w.add(g * BLOCK_BYTES).cast()) });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: 4 i16 at row r, group g of the activation buffer.
            let av = _mm256_set1_epi64x(unsafe { a.add(r * KC + g * PANEL_K).cast::<i64>().read_unaligned() });
            *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(wv, av));
        }
    }
    for r in 0..R {
        tile[r][q] = acc[r];
    }
}
