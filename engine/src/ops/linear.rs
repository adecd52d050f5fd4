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

/// Whether the input of `consumers` is quantized (some consumer is int8), and then with which
/// smoothing factors: linears sharing an input share its factor (Q, K, V), so the first one's
/// serves.
fn int8_input<'w>(consumers: &[&Linear<'w>]) -> Option<Option<&'w [f32]>> {
    let int8 = consumers.iter().any(|l| matches!(l.weight, Matrix::I8 { .. }));
    int8.then(|| consumers.first().and_then(|l| l.input_scale))
}

/// Prepares `x` [rows, cols] for the linears in `consumers` (quantizes once if any is int8).
pub fn prepare<'x>(x: &'x [f32], rows: usize, cols: usize, consumers: &[&Linear<'_>], buf: &'x mut QuantBuf<'_>) -> Prepared<'x> {
    let (x, kernels) = (&x[..rows * cols], buf.kernels);
    let q = match int8_input(consumers) {
        Some(smoothing) => {
            let (q, s) = (&mut buf.q[..rows * cols], &mut buf.scales[..rows]);
            kernels.quantize_rows_smoothed(x, cols, smoothing, q, s);
            Some((&*q, &*s))
        }
        None => None,
    };
    Prepared { x, rows, cols, q, kernels }
}

/// Bytes of f32 rows `prepare_mapped` maps and quantizes at a time: well inside L1 (48 KiB
/// here, 32 KiB on a Cortex-A72/A76).
const MAP_GROUP_BYTES: usize = 16 << 10;

/// `prepare` of `x` [rows, cols] after `f` has run on it in place, a few rows at a time: each
/// group is mapped then quantized while it is still in L1 (the FFN's activation, whose output
/// only the next quantization reads). Rows are independent, so the values are those of `f(x)`
/// then `prepare`.
pub fn prepare_mapped<'x>(x: &'x mut [f32], rows: usize, cols: usize, consumers: &[&Linear<'_>], buf: &'x mut QuantBuf<'_>, mut f: impl FnMut(&mut [f32])) -> Prepared<'x> {
    let (x, kernels) = (&mut x[..rows * cols], buf.kernels);
    let Some(smoothing) = int8_input(consumers) else {
        f(x);
        return Prepared { x, rows, cols, q: None, kernels };
    };
    let (q, s) = (&mut buf.q[..rows * cols], &mut buf.scales[..rows]);
    // Whole rows per group (at least one; with no columns there is nothing to map or quantize,
    // as in `prepare`).
    let group = (MAP_GROUP_BYTES / cols.saturating_mul(4).max(1)).max(1);
    let chunk = (group * cols).max(1);
    for ((xg, qg), sg) in x.chunks_mut(chunk).zip(q.chunks_mut(chunk)).zip(s.chunks_mut(group)) {
        f(xg);
        kernels.quantize_rows_smoothed(xg, cols, smoothing, qg, sg);
    }
    Prepared { x, rows, cols, q: Some((q, s)), kernels }
}

impl<'x> Prepared<'x> {
    /// Rows already quantized (`q` [rows, cols], `scales` [rows]) for int8 consumers only: the
    /// f32 rows are not kept, so an f32 or f16 linear cannot run on it.
    pub fn quantized(q: &'x [i8], scales: &'x [f32], rows: usize, cols: usize, kernels: Kernels) -> Self {
        Prepared { x: &[], rows, cols, q: Some((&q[..rows * cols], &scales[..rows])), kernels }
    }

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
        (Matrix::F32(w), _) => input.kernels.gemm_f32_nt(input.x, m, k, w, n, y),
        (Matrix::F16(w), _) => input.kernels.gemm_f16_nt(input.x, m, k, w, n, y),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear's column range (`Linear::columns`) computes those output channels bit for bit, for
    /// packed and row-major int8 and f32; packed ranges off a panel boundary are refused.
    #[test]
    fn columns_compute_their_channels() {
        use crate::kernels::pack;
        let kernels = Kernels::detect();
        let (m, k, n) = (5usize, 40usize, 72usize);
        let mut seed = 11u32;
        let mut r = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        };
        let x: Vec<f32> = (0..m * k).map(|_| r()).collect();
        let w8: Vec<i8> = (0..n * k).map(|_| (r() * 127.0) as i8).collect();
        let mut packed = vec![0i8; pack::packed_len(n, k)];
        pack::pack_panel16x4(&w8, n, k, &mut packed);
        let mut sums = vec![0i32; n];
        pack::row_sums(&w8, n, k, &mut sums);
        let scales: Vec<f32> = (0..n).map(|_| r().abs() * 0.01 + 0.001).collect();
        let bias: Vec<f32> = (0..n).map(|_| r()).collect();
        let wf: Vec<f32> = (0..n * k).map(|_| r()).collect();
        let lin = |weight| Linear { weight, bias: &bias, out_features: n, in_features: k, input_scale: None };
        let linears = [
            lin(Matrix::I8 { w: &packed, scales: &scales, row_sums: &sums, packed: true }),
            lin(Matrix::I8 { w: &w8, scales: &scales, row_sums: &sums, packed: false }),
            lin(Matrix::F32(&wf)),
        ];
        for full in &linears {
            let (mut q, mut s) = (vec![0i8; m * k], vec![0.0f32; m]);
            let mut buf = QuantBuf { q: &mut q, scales: &mut s, kernels };
            let input = prepare(&x, m, k, &[full], &mut buf);
            let mut y = vec![0.0f32; m * n];
            linear_rows(&input, full, &mut y);
            for (c0, c1) in [(0, 16), (16, 48), (32, 72), (0, 72), (64, 72)] {
                let part = full.columns(c0, c1).unwrap();
                let mut yp = vec![0.0f32; m * (c1 - c0)];
                linear_rows(&input, &part, &mut yp);
                for row in 0..m {
                    let want = &y[row * n + c0..row * n + c1];
                    let got = &yp[row * (c1 - c0)..(row + 1) * (c1 - c0)];
                    assert!(want.iter().zip(got).all(|(a, b)| a.to_bits() == b.to_bits()), "columns {c0}..{c1}");
                }
            }
            assert!(full.columns(8, 8).is_none() && full.columns(0, n + 1).is_none());
        }
        assert!(linears[0].columns(8, 32).is_none() && linears[0].columns(0, 40).is_none());
        assert!(linears[1].columns(8, 40).is_some());
    }

    /// `prepare_mapped` gives `f` over all rows then `prepare`, bit for bit: one group, several,
    /// a partial last group, with and without smoothing, int8 and f32 consumers.
    #[test]
    fn prepare_mapped_is_map_then_prepare() {
        let kernels = Kernels::detect();
        let mut seed = 7u32;
        let mut r = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 8.0 - 4.0
        };
        let f = |xs: &mut [f32]| xs.iter_mut().for_each(|v| *v = *v * 0.5 + v.abs());
        for (rows, cols) in [(3usize, 100usize), (13, 1024), (5, 4096 + 17), (1, 8192)] {
            let x: Vec<f32> = (0..rows * cols).map(|_| r()).collect();
            let smooth: Vec<f32> = (0..cols).map(|_| r().abs() + 0.5).collect();
            for smoothing in [None, Some(&smooth[..])] {
                let (w, sw, sums) = (vec![1i8; cols], [1.0f32], [cols as i32]);
                let int8 = Linear { weight: Matrix::I8 { w: &w, scales: &sw, row_sums: &sums, packed: false }, bias: &[], out_features: 1, in_features: cols, input_scale: smoothing };
                let wf = vec![1.0f32; cols];
                let float = Linear { weight: Matrix::F32(&wf), bias: &[], out_features: 1, in_features: cols, input_scale: None };
                for lin in [&int8, &float] {
                    let (mut qa, mut sa) = (vec![0i8; rows * cols], vec![0.0f32; rows]);
                    let mut xa = x.clone();
                    f(&mut xa);
                    let mut ba = QuantBuf { q: &mut qa, scales: &mut sa, kernels };
                    let a = prepare(&xa, rows, cols, &[lin], &mut ba);
                    let (mut qb, mut sb) = (vec![0i8; rows * cols], vec![0.0f32; rows]);
                    let mut xb = x.clone();
                    let mut bb = QuantBuf { q: &mut qb, scales: &mut sb, kernels };
                    let b = prepare_mapped(&mut xb, rows, cols, &[lin], &mut bb, f);
                    assert!(a.x.iter().zip(b.x).all(|(p, q)| p.to_bits() == q.to_bits()), "{rows}x{cols}");
                    match (a.q, b.q) {
                        (Some((qa, sa)), Some((qb, sb))) => {
                            assert_eq!(qa, qb, "{rows}x{cols}");
                            assert!(sa.iter().zip(sb).all(|(p, q)| p.to_bits() == q.to_bits()));
                        }
                        (None, None) => {}
                        _ => panic!("one side quantized, the other not"),
                    }
                }
            }
        }
    }
}
