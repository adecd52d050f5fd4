//! The f32 GEMM of f32 and f16 model files, `y[m, n] = x[m, k] · w[n, k]ᵀ` (weights row-major,
//! as transformers stores them), written once like `generic.rs` and compiled per ISA.
//!
//! The arithmetic of one output, the specification every copy follows bit for bit: `LANES` (16)
//! partial sums over k, one multiply-add per term (fused when `FMA`), whole chunks of 16 in k
//! order, then the `k % 16` tail as one more chunk zero-padded (its extra lanes add 0·0), then
//! the pairwise fold `generic::reduce` (lanes l + l+8, then l+4, l+2, l+1). A row's result thus
//! does not depend on which rows share the call (threads split rows). Here it is written as plain
//! scalar Rust (`dot1`), the portable kernel; LLVM does not vectorize it well (scalar FMAs,
//! 2–5 GMAC/s in a one-off test at ELECTRA shapes, with or without register blocks), so AVX-512,
//! AVX2 and NEON have intrinsic copies (`x86_64/gemm_f32_avx512.rs`, `x86_64/gemm_f32_avx2.rs`,
//! `aarch64/gemm_f32_neon.rs`).
//!
//! The drivers walk the weight rows in pairs and hand each pair, widened to f32 for f16 files, to
//! a kernel's `columns`, which runs every row of `x` against them: f16 weights are widened once
//! per call (`half`'s slice conversion, F16C or NEON when std detects them), not once per
//! output.

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::generic::{madd, reduce, LANES};

/// Longest `k` whose f16 rows are widened on the stack (2 rows: 32 KiB with std, 4 KiB without,
/// where stacks are small); longer rows take the scalar reference kernel.
#[cfg(feature = "std")]
pub const F16_MAX_K: usize = 4096;
#[cfg(not(feature = "std"))]
pub const F16_MAX_K: usize = 512;

/// One output, `x · w` over `k` values (see the module note).
#[inline(always)]
pub fn dot1<const FMA: bool>(x: &[f32], w: &[f32], k: usize) -> f32 {
    let mut a = [0.0f32; LANES];
    let whole = k / LANES * LANES;
    for (xc, wc) in x[..whole].chunks_exact(LANES).zip(w[..whole].chunks_exact(LANES)) {
        for l in 0..LANES {
            a[l] = madd::<FMA>(xc[l], wc[l], a[l]);
        }
    }
    if whole < k {
        for l in 0..LANES {
            let (xv, wv) = if whole + l < k { (x[whole + l], w[whole + l]) } else { (0.0, 0.0) };
            a[l] = madd::<FMA>(xv, wv, a[l]);
        }
    }
    reduce(a)
}

/// Columns `j` (weight row `w0`) and, with `w1`, `j + 1` of `y`, for all `m` rows of `x`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn columns<const FMA: bool>(x: &[f32], m: usize, k: usize, w0: &[f32], w1: Option<&[f32]>, n: usize, j: usize, y: &mut [f32]) {
    for i in 0..m {
        let row = &x[i * k..(i + 1) * k];
        y[i * n + j] = dot1::<FMA>(row, w0, k);
        if let Some(w1) = w1 {
            y[i * n + j + 1] = dot1::<FMA>(row, w1, k);
        }
    }
}

/// The row loop of the intrinsic `columns`: rows in blocks of `mr` while `mr` are left, then one
/// at a time; `block(i, rows)` returns row `i + r`'s output for column `j` at `[2r]` and, if `two`,
/// for column `j + 1` at `[2r + 1]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn row_blocks<const N: usize>(m: usize, mr: usize, n: usize, j: usize, two: bool, y: &mut [f32], mut block: impl FnMut(usize, usize) -> [f32; N]) {
    let mut i = 0;
    while i < m {
        let rows = if i + mr <= m { mr } else { 1 };
        let out = block(i, rows);
        for r in 0..rows {
            y[(i + r) * n + j] = out[2 * r];
            if two {
                y[(i + r) * n + j + 1] = out[2 * r + 1];
            }
        }
        i += rows;
    }
}

/// Hands `cols(w0, w1, j)` the f32 weight rows in pairs (the last alone if `n` is odd).
/// Panics if a slice is shorter than its shape.
#[inline(always)]
pub fn drive(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y_len: usize, mut cols: impl FnMut(&[f32], Option<&[f32]>, usize)) {
    assert!(x.len() >= m * k && w.len() >= n * k && y_len >= m * n, "gemm_nt: slices shorter than their shapes");
    let mut j = 0;
    while j < n {
        cols(&w[j * k..(j + 1) * k], (j + 1 < n).then(|| &w[(j + 1) * k..(j + 2) * k]), j);
        j += 2;
    }
}

/// `drive` for f16 weights, each pair widened exactly to f32 on the stack first (`k ≤
/// F16_MAX_K`; the caller runs the scalar reference for longer rows).
#[inline(always)]
pub fn drive_f16(x: &[f32], m: usize, k: usize, w: &[f16], n: usize, y_len: usize, mut cols: impl FnMut(&[f32], Option<&[f32]>, usize)) {
    assert!(k <= F16_MAX_K, "gemm_nt_f16: k > F16_MAX_K");
    assert!(x.len() >= m * k && w.len() >= n * k && y_len >= m * n, "gemm_nt_f16: slices shorter than their shapes");
    let mut buf = [0.0f32; 2 * F16_MAX_K];
    let (b0, b1) = buf.split_at_mut(F16_MAX_K);
    let mut j = 0;
    while j < n {
        w[j * k..(j + 1) * k].convert_to_f32_slice(&mut b0[..k]);
        let two = j + 1 < n;
        if two {
            w[(j + 1) * k..(j + 2) * k].convert_to_f32_slice(&mut b1[..k]);
        }
        cols(&b0[..k], two.then_some(&b1[..k]), j);
        j += 2;
    }
}

/// `y[m, n] = x[m, k] · w[n, k]ᵀ`, the portable kernel.
#[inline(always)]
pub fn gemm_nt<const FMA: bool>(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
    drive(x, m, k, w, n, y.len(), |w0, w1, j| columns::<FMA>(x, m, k, w0, w1, n, j, y));
}

/// `gemm_nt` with f16 weights, the portable kernel.
#[inline(always)]
pub fn gemm_nt_f16<const FMA: bool>(x: &[f32], m: usize, k: usize, w: &[f16], n: usize, y: &mut [f32]) {
    drive_f16(x, m, k, w, n, y.len(), |w0, w1, j| columns::<FMA>(x, m, k, w0, w1, n, j, y));
}
