//! Reference int8 GEMM with a fused f32 epilogue — the specification every SIMD int8 kernel must
//! match bit for bit:
//!
//! ```text
//! acc[i, j] = Σ_k a[i, k] · w[j, k]                     (exact in i32: |a|,|w| ≤ 127, k < 2^17)
//! y[i, j]   = (acc as f32) · (sa[i] · sw[j]) + bias[j]   (two multiplies and an add, no FMA)
//! ```

/// `a` [m, k] int8 activations with per-row scales `sa`; `w` [n, k] int8 weights with per-row
/// scales `sw`; `bias` [n] or empty; `y` [m, n].
#[allow(clippy::too_many_arguments)]
pub fn gemm_i8_nt(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    for i in 0..m {
        let ar = &a[i * k..(i + 1) * k];
        for j in 0..n {
            let wr = &w[j * k..(j + 1) * k];
            let acc: i32 = ar.iter().zip(wr).map(|(&x, &v)| x as i32 * v as i32).sum();
            let b = if bias.is_empty() { 0.0 } else { bias[j] };
            y[i * n + j] = epilogue(acc, sa[i], sw[j], b);
        }
    }
}

/// The f32 epilogue shared by every int8 kernel.
#[inline(always)]
pub fn epilogue(acc: i32, sa: f32, sw: f32, bias: f32) -> f32 {
    acc as f32 * (sa * sw) + bias
}

/// `epilogue` over one row's sums for the channels `j0..` of a panel (as many of `sums` as lie
/// below `n`): `y_row` is the row of `y` [n], `sa` the row's scale, `sw` and `bias` (or empty) the
/// whole `[n]`. The store of the kernels that finish a panel's row in plain Rust.
#[inline(always)]
pub fn epilogue_row(sums: &[i32], sa: f32, sw: &[f32], bias: &[f32], j0: usize, y_row: &mut [f32]) {
    let n = y_row.len();
    for (c, &sum) in sums.iter().enumerate().take(n.saturating_sub(j0)) {
        let j = j0 + c;
        let b = if bias.is_empty() { 0.0 } else { bias[j] };
        y_row[j] = epilogue(sum, sa, sw[j], b);
    }
}
