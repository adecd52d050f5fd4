//! The int8 GEMM on the packed `Panel16x4` weight layout (`kernels::pack`), in plain Rust: the
//! specification of every SIMD `gemm_i8_packed`, and the kernel of targets without one.
//!
//! Semantics are exactly those of [`super::gemm_i8::gemm_i8_nt`] on the unpacked weights:
//!
//! ```text
//! acc[i, j] = Σ_k a[i, k] · w[j, k]                     (i32, exact)
//! y[i, j]   = (acc as f32) · (sa[i] · sw[j]) + bias[j]   (mul, mul, add; bias empty = 0.0)
//! ```
//!
//! Signed × signed, so `row_sums` is not needed here (the u8 × i8 kernels use it).

use super::gemm_i8::epilogue_row;
use crate::kernels::pack::{padded_k, PANEL_K, PANEL_N};

/// `a` [m, k] row-major; `w` packed [n, k] (`pack::packed_len(n, k)` bytes); `sa` [m]; `sw` [n];
/// `bias` [n] or empty; `y` [m, n] row-major. Panics if a slice is too short.
#[allow(clippy::too_many_arguments)]
pub fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let groups = padded_k(k) / PANEL_K;
    let panel_bytes = groups * PANEL_N * PANEL_K;
    for p in 0..n.div_ceil(PANEL_N) {
        let panel = &w[p * panel_bytes..(p + 1) * panel_bytes];
        let channels = PANEL_N.min(n - p * PANEL_N);
        for i in 0..m {
            let row = &a[i * k..(i + 1) * k];
            let mut acc = [0i32; PANEL_N];
            for (g, block) in panel.chunks_exact(PANEL_N * PANEL_K).enumerate() {
                let x0 = g * PANEL_K;
                let xs = &row[x0..k.min(x0 + PANEL_K)];
                for (c, acc) in acc.iter_mut().enumerate() {
                    let wc = &block[c * PANEL_K..(c + 1) * PANEL_K];
                    *acc += xs.iter().zip(wc).map(|(&x, &v)| x as i32 * v as i32).sum::<i32>();
                }
            }
            epilogue_row(&acc[..channels], sa[i], sw, bias, p * PANEL_N, &mut y[i * n..(i + 1) * n]);
        }
    }
}
