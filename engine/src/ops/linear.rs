//! `y = x · Wᵀ + b` over a batch of rows, for every weight dtype the file format holds.

use crate::kernels;
use crate::model::weights::{Linear, Matrix};

/// `y[m, out] = x[m, in] · weightᵀ + bias`. Shapes were checked when the weights were resolved;
/// the slices here come from the scratch sized for them.
pub fn linear(x: &[f32], rows: usize, lin: &Linear<'_>, y: &mut [f32]) {
    let (k, n) = (lin.in_features, lin.out_features);
    let x = &x[..rows * k];
    let y = &mut y[..rows * n];
    match lin.weight {
        Matrix::F32(w) => kernels::scalar::gemm_f32::gemm_nt(x, rows, k, w, n, y),
        Matrix::F16(w) => kernels::scalar::gemm_f32::gemm_nt_f16(x, rows, k, w, n, y),
        Matrix::I8 { w, scales, .. } => kernels::scalar::gemm_f32::gemm_nt_dequant_i8(x, rows, k, w, scales, n, y),
    }
    if !lin.bias.is_empty() {
        for row in y.chunks_exact_mut(n) {
            for (v, b) in row.iter_mut().zip(lin.bias) {
                *v += b;
            }
        }
    }
}
