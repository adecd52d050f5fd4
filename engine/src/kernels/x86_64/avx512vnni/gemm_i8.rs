//! AVX-512 VNNI int8 GEMM on the `Panel16x4` layout: `vpdpbusd zmm`.
//!
//! One 64-byte weight block is one zmm (16 channels × 4 k). Activations become unsigned (`a ^ 0x80`
//! = `a + 128`) in a stack buffer, one row block at a time; each 4-byte group of a row is broadcast
//! to all 16 lanes and multiplied into `NP` panels: a 6 × 4 block keeps 24 zmm accumulators, so each
//! weight load feeds 6 `vpdpbusd` and each broadcast 4. The accumulators start at
//! `-128 · row_sums[j]` (the correction of the `+128`), and the epilogue
//! (`acc as f32 · (sa · sw) + bias`) runs in registers with masked loads/stores for `n` tails.

use core::arch::x86_64::*;
use core::mem::MaybeUninit;

use crate::kernels::gemm_args::GemmArgs as Ctx;
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};

/// Rows of `a` per register block: each weight load feeds MR `vpdpbusd` (8 → 8 bytes of weights
/// per 64 MACs·lane... i.e. 64/MR weight bytes per instruction).
const MR: usize = 8;
/// Panels (16 channels) per register block: MR × NP = 16 zmm accumulators.
const NP: usize = 2;
/// `k` (bytes) per activation chunk; a multiple of 64.
const KC: usize = 2048;
/// Weight bytes per column block (kept in L2 across row blocks).
const L2_BLOCK: usize = 512 * 1024;

/// Unsigned activations of one row block, row stride `KC`. Left uninitialized (no per-call
/// memset): `convert` writes every byte `dot` later reads (whole 64-byte chunks).
#[repr(C, align(64))]
struct ABuf(MaybeUninit<[u8; MR * KC]>);

/// Everything the blocks need, as raw parts of slices the caller validated.
/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI, and the slices must have the lengths
/// `kernels::check_gemm_args` asserts (`a` ≥ m·k, `sa` ≥ m, `w` ≥ `packed_len(n, k)`, `sw` and
/// `row_sums` ≥ n, `bias` empty or ≥ n, `y` ≥ m·n) with `row_sums[j] = Σ_k w[j, k]`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
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
    let mut buf = ABuf(MaybeUninit::uninit());
    let single = kp <= KC;
    c.for_each_block(m, MR, NP, L2_BLOCK, |i0, rows, p0, np, first| {
        if single && first {
            // SAFETY: rows i0..i0+rows ≤ m and columns 0..k are inside `a` (caller's contract).
            unsafe { convert(&c, &mut buf, i0, rows, 0, k) };
        }
        // SAFETY: i0 + rows ≤ m and p0 + np ≤ panels, the ranges the block reads and writes.
        unsafe {
            match rows {
                8 => self::rows::<8>(&c, &mut buf, i0, p0, np, single),
                7 => self::rows::<7>(&c, &mut buf, i0, p0, np, single),
                6 => self::rows::<6>(&c, &mut buf, i0, p0, np, single),
                5 => self::rows::<5>(&c, &mut buf, i0, p0, np, single),
                4 => self::rows::<4>(&c, &mut buf, i0, p0, np, single),
                3 => self::rows::<3>(&c, &mut buf, i0, p0, np, single),
                2 => self::rows::<2>(&c, &mut buf, i0, p0, np, single),
                _ => self::rows::<1>(&c, &mut buf, i0, p0, np, single),
            }
        }
    });
}

/// `block::<R, np>`.
///
/// # Safety
/// As `block`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn rows<const R: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p0: usize, np: usize, single: bool) {
    // SAFETY: forwarded contract.
    unsafe {
        match np {
            4 if NP >= 4 => block::<R, 4>(c, buf, i0, p0, single),
            3 if NP >= 3 => block::<R, 3>(c, buf, i0, p0, single),
            2 if NP >= 2 => block::<R, 2>(c, buf, i0, p0, single),
            _ => block::<R, 1>(c, buf, i0, p0, single),
        }
    }
}

/// Copies `a[i0..i0+rows, x0..x1]` into `buf` as unsigned bytes (`a + 128`), row stride `KC`, and
/// fills each row up to the next multiple of 64 with 0x80 (activation 0).
///
/// # Safety
/// AVX-512F/BW available; `rows ≤ MR`, `x1 - x0 ≤ KC`, and the source range inside `a`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn convert(c: &Ctx, buf: &mut ABuf, i0: usize, rows: usize, x0: usize, x1: usize) {
    let len = x1 - x0;
    let flip = _mm512_set1_epi8(-128);
    for r in 0..rows {
        let mut x = 0;
        while x < len {
            let take = (len - x).min(64);
            let mask: u64 = if take == 64 { u64::MAX } else { (1u64 << take) - 1 };
            // SAFETY: the masked load touches only bytes x0+x .. x0+x+take of row i0+r, inside `a`
            // (masked-off lanes do not fault); the store writes 64 bytes at r·KC + x, and x + 64 ≤ KC
            // because x < len ≤ KC and KC is a multiple of 64.
            unsafe {
                let v = _mm512_maskz_loadu_epi8(mask, c.a.add((i0 + r) * c.k + x0 + x));
                _mm512_storeu_si512(buf.0.as_mut_ptr().cast::<u8>().add(r * KC + x).cast(), _mm512_xor_si512(v, flip));
            }
            x += 64;
        }
    }
}

/// One register block: rows `i0..i0+R` × panels `p0..p0+P`, all of `k`, epilogue included.
///
/// # Safety
/// As `gemm_i8_packed`, with `i0 + R ≤ m`, `p0 + P ≤ ⌈n/16⌉`; if `single`, `buf` holds the rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn block<const R: usize, const P: usize>(c: &Ctx, buf: &mut ABuf, i0: usize, p0: usize, single: bool) {
    let kp = padded_k(c.k);
    let j0 = p0 * PANEL_N;
    let mut mask = [0u16; P];
    for (p, mask) in mask.iter_mut().enumerate() {
        let valid = (c.n - (j0 + p * PANEL_N)).min(PANEL_N);
        *mask = ((1u32 << valid) - 1) as u16;
    }
    let mut acc = [[_mm512_setzero_si512(); P]; R];
    for p in 0..P {
        // SAFETY: masked lanes cover channels j0+16p .. n only, inside `row_sums`.
        let rs = unsafe { _mm512_maskz_loadu_epi32(mask[p], c.row_sums.add(j0 + p * PANEL_N)) };
        let corr = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32::<7>(rs));
        for acc in acc.iter_mut() {
            acc[p] = corr;
        }
    }
    let mut x0 = 0;
    while x0 < kp {
        let kc = KC.min(kp - x0);
        if !single {
            // SAFETY: rows i0..i0+R, columns x0..min(x0+kc, k) are inside `a`; kc ≤ KC.
            unsafe { convert(c, buf, i0, R, x0, c.k.min(x0 + kc)) };
        }
        // SAFETY: panel p0 starts at p0·panel_bytes; group x0/4 at +x0/4·64; the kernel reads P
        // panels × kc/4 blocks, all inside `w` (P panels exist, x0 + kc ≤ kp).
        unsafe {
            let w = c.w.add(p0 * c.panel_bytes + x0 / PANEL_K * BLOCK_BYTES);
            dot::<R, P>(&mut acc, buf.0.as_ptr().cast::<u8>(), w, c.panel_bytes, kc / PANEL_K);
        }
        x0 += kc;
    }
    // Epilogue: y = acc as f32 · (sa · sw) + bias, 16 channels at a time.
    let mut swv = [_mm512_setzero_ps(); P];
    let mut bv = [_mm512_setzero_ps(); P];
    for p in 0..P {
        let j = j0 + p * PANEL_N;
        // SAFETY: masked lanes cover channels j .. n only, inside `sw` and `bias` (if present).
        unsafe {
            swv[p] = _mm512_maskz_loadu_ps(mask[p], c.sw.add(j));
            if !c.bias.is_null() {
                bv[p] = _mm512_maskz_loadu_ps(mask[p], c.bias.add(j));
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let i = i0 + r;
        // SAFETY: i < m, inside `sa`.
        let sa = _mm512_set1_ps(unsafe { *c.sa.add(i) });
        for p in 0..P {
            let s = _mm512_mul_ps(sa, swv[p]);
            let v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[p]), s), bv[p]);
            // SAFETY: masked lanes are y[i, j .. n], inside `y` (i < m). Whole panels go
            // unmasked: the next kernel loads the outputs at once.
            unsafe { super::store_ps(c.y.add(i * c.n + j0 + p * PANEL_N), mask[p], v) };
        }
    }
}

/// The inner loop: `acc[r][p] += Σ_t (a[r, 4g+t] + 128) · w[p][g][·][t]` over `groups` groups.
///
/// # Safety
/// AVX-512 VNNI available; `a` holds R rows of stride `KC` with ≥ 4·groups bytes each; `w` points at
/// P panels `pstride` bytes apart with ≥ groups blocks each.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn dot<const R: usize, const P: usize>(
    acc: &mut [[__m512i; P]; R],
    a: *const u8,
    w: *const i8,
    pstride: usize,
    groups: usize,
) {
    for g in 0..groups {
        let mut wv = [_mm512_setzero_si512(); P];
        for (p, wv) in wv.iter_mut().enumerate() {
            // SAFETY: block g of panel p, inside `w` by the contract above.
            *wv = unsafe { _mm512_loadu_si512(w.add(p * pstride + g * BLOCK_BYTES).cast()) };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: 4 bytes at row r, group g of the activation buffer, inside it.
            let av = _mm512_set1_epi32(unsafe { a.add(r * KC + g * PANEL_K).cast::<i32>().read_unaligned() });
            for p in 0..P {
                acc[p] = _mm512_dpbusd_epi32(acc[p], av, wv[p]);
            }
        }
    }
}
