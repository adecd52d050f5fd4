//! The generic f32 kernels for aarch64, where NEON and FMA are baseline: the bodies with fused
//! multiply-adds (`mul_add` needs std; without it the unfused bodies run), and attention with
//! NEON intrinsics (`attention_neon.rs`).

mod attention_neon;
mod gemm_f32_neon;

use crate::kernels::float::generic as g;

const FMA: bool = cfg!(feature = "std");

pub fn gelu_prefetching(xs: &mut [f32], pf: &mut crate::kernels::prefetch::Prefetch<'_>) {
    g::gelu_rows_prefetching::<FMA>(xs, pf)
}

pub fn softmax_in_place(row: &mut [f32]) {
    g::softmax_rows::<FMA>(row)
}

pub fn gemm_nt(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
    use crate::kernels::float::gemm_f32 as g;
    if FMA {
        let ylen = y.len();
        g::drive(x, m, k, w, n, ylen, |w0, w1, j| gemm_f32_neon::columns(x, m, k, w0, w1, n, j, y))
    } else {
        // Without std the generic bodies are unfused; so is this copy.
        g::gemm_nt::<false>(x, m, k, w, n, y)
    }
}

pub fn gemm_nt_f16(x: &[f32], m: usize, k: usize, w: &[half::f16], n: usize, y: &mut [f32]) {
    use crate::kernels::float::gemm_f32 as g;
    if FMA {
        let ylen = y.len();
        g::drive_f16(x, m, k, w, n, ylen, |w0, w1, j| gemm_f32_neon::columns(x, m, k, w0, w1, n, j, y))
    } else {
        g::gemm_nt_f16::<false>(x, m, k, w, n, y)
    }
}

pub fn add_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    g::add_layer_norm(x, residual, weight, bias, eps)
}

pub fn attend(a: &g::Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    if FMA {
        attention_neon::attend(a, rows, out)
    } else {
        // Without std the generic bodies are unfused; so is this copy.
        g::attend_rows::<false>(a, rows, out)
    }
}
