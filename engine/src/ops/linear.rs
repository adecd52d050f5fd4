//! `y = x · Wᵀ + b` over a batch of rows, for every weight dtype the file format holds.
//!
//! With int8 weights the input rows are quantized on the fly (per row, `kernels::scalar::quantize`), the
//! product runs in i32 and the f32 epilogue applies scales and bias. Linears sharing an input
//! (Q, K and V) quantize it once through `prepare`.

use crate::kernels::{self, Kernels};
use crate::model::weights::{Linear, Matrix};
use crate::ops::parallel;

/// Caller-owned room for quantized activations (`q` ≥ rows·in bytes, `scales` ≥ rows) and the
/// kernels that run int8 linears.
pub struct QuantBuf<'s> {
    pub q: &'s mut [i8],
    pub scales: &'s mut [f32],
    pub kernels: Kernels,
}

/// A batch of input rows, quantized when some consumer has int8 weights.
pub struct Prepared<'x> {
    pub x: &'x [f32],
    pub rows: usize,
    pub cols: usize,
    pub q: Option<(&'x [i8], &'x [f32])>,
    pub kernels: Kernels,
}

/// Prepares `x` [rows, cols] for the linears in `consumers` (quantizes once if any is int8).
pub fn prepare<'x>(x: &'x [f32], rows: usize, cols: usize, consumers: &[&Linear<'_>], buf: &'x mut QuantBuf<'_>) -> Prepared<'x> {
    let x = &x[..rows * cols];
    let q = if consumers.iter().any(|l| matches!(l.weight, Matrix::I8 { .. })) {
        let q = &mut buf.q[..rows * cols];
        let s = &mut buf.scales[..rows];
        // Linears sharing an input share its smoothing factor (Q, K, V), so the first one's serves.
        let smoothing = consumers.first().and_then(|l| l.input_scale);
        buf.kernels.quantize_rows_smoothed(x, cols, smoothing, q, s);
        Some((&*q, &*s))
    } else {
        None
    };
    Prepared { x, rows, cols, q, kernels: buf.kernels }
}

impl<'x> Prepared<'x> {
    /// Rows `r0..r0 + n` of this input.
    fn rows(&self, r0: usize, n: usize) -> Prepared<'x> {
        let c = self.cols;
        Prepared {
            x: &self.x[r0 * c..(r0 + n) * c],
            rows: n,
            cols: c,
            q: self.q.map(|(q, s)| (&q[r0 * c..(r0 + n) * c], &s[r0..r0 + n])),
            kernels: self.kernels,
        }
    }
}

/// `y = x·Wᵀ + b` on prepared input, rows split across threads (each row's result is the same
/// whatever the split).
pub fn linear_prepared(input: &Prepared<'_>, lin: &Linear<'_>, y: &mut [f32]) {
    let (k, n) = (lin.in_features, lin.out_features);
    // Chunks start at multiples of 8 rows, the AVX-512 kernel's row block.
    parallel::for_row_chunks(&mut y[..input.rows * n], n, 8, k * n, |r0, y| {
        linear_rows(&input.rows(r0, y.len() / n.max(1)), lin, y)
    });
}

/// `y = x·Wᵀ + b` on prepared input, on the calling thread.
pub fn linear_rows(input: &Prepared<'_>, lin: &Linear<'_>, y: &mut [f32]) {
    let (m, k, n) = (input.rows, lin.in_features, lin.out_features);
    debug_assert_eq!(k, input.cols);
    let y = &mut y[..m * n];
    match (lin.weight, input.q) {
        (Matrix::I8 { w, scales, row_sums, packed: true }, Some((q, sq))) => {
            input.kernels.gemm_i8_packed(q, sq, m, k, w, scales, row_sums, lin.bias, n, y);
            return;
        }
        (Matrix::I8 { w, scales, packed: false, .. }, Some((q, sq))) => {
            // Row-major int8 (a tied LM head reading the embedding table): the reference kernel.
            kernels::scalar::gemm_i8::gemm_i8_nt(q, sq, m, k, w, scales, lin.bias, n, y);
            return;
        }
        (Matrix::I8 { .. }, None) => {
            // `prepare` quantizes whenever a consumer is int8, so this cannot happen; keep the
            // output defined rather than stale.
            debug_assert!(false, "int8 linear on unquantized input");
            y.fill(f32::NAN);
        }
        (Matrix::F32(w), _) => kernels::scalar::gemm_f32::gemm_nt(input.x, m, k, w, n, y),
        (Matrix::F16(w), _) => kernels::scalar::gemm_f32::gemm_nt_f16(input.x, m, k, w, n, y),
    }
    add_bias(y, lin.bias, n);
}

/// `y[m, out] = x[m, in] · weightᵀ + bias`.
pub fn linear(x: &[f32], rows: usize, lin: &Linear<'_>, y: &mut [f32], buf: &mut QuantBuf<'_>) {
    let input = prepare(x, rows, lin.in_features, &[lin], buf);
    linear_prepared(&input, lin, y);
}

fn add_bias(y: &mut [f32], bias: &[f32], n: usize) {
    if bias.is_empty() {
        return;
    }
    for row in y.chunks_exact_mut(n) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}
