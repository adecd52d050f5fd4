//! The generic f32 kernels compiled for AVX2 and for AVX-512F. Each wrapper only calls the
//! `#[inline(always)]` generic body, which LLVM then vectorizes with that ISA's registers.
//! Attention, where the FMAs dominate, has explicit intrinsics (`attention_avx512.rs`,
//! `attention_avx2.rs`): LLVM spills the generic body's register blocks; so has AVX-512
//! LayerNorm (`layer_norm_avx512.rs`), whose 64-lane sums LLVM kept on the stack, and the
//! AVX-512 transposition of the keys (`transpose_avx512.rs`), a shuffle network LLVM does not find.

mod attention_avx2;
mod attention_avx512;
mod attention_sse;
mod gemm_f32_avx2;
mod gemm_f32_avx512;
pub mod layer_norm_avx512;
pub mod transpose_avx512;

macro_rules! compile_for {
    ($feature:literal, $module:ident, $layer_norm:path, $gemm_columns:path) => {
        pub mod $module {
            use crate::kernels::float::generic as g;

            /// # Safety
            /// The CPU must support the target features of this module.
            #[target_feature(enable = $feature)]
            pub unsafe fn gelu_prefetching(xs: &mut [f32], pf: &mut crate::kernels::prefetch::Prefetch<'_>) {
                // Every CPU with these features has FMA; `mul_add` needs std.
                g::gelu_rows_prefetching::<{ cfg!(feature = "std") }>(xs, pf)
            }

            /// # Safety
            /// As `gelu_prefetching`.
            #[target_feature(enable = $feature)]
            pub unsafe fn softmax_in_place(row: &mut [f32]) {
                g::softmax_rows::<{ cfg!(feature = "std") }>(row)
            }

            pub use $layer_norm as add_layer_norm;

            /// The f32 GEMM of f32 and f16 files: `gemm_f32`'s driver around the intrinsic
            /// `columns` (`gemm_f32_avx2.rs`, `gemm_f32_avx512.rs`).
            ///
            /// # Safety
            /// As `gelu_prefetching`.
            #[target_feature(enable = $feature)]
            pub unsafe fn gemm_nt(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
                let ylen = y.len();
                // SAFETY: the features are enabled (this function's contract).
                crate::kernels::float::gemm_f32::drive(x, m, k, w, n, ylen, |w0, w1, j| unsafe { $gemm_columns(x, m, k, w0, w1, n, j, y) })
            }

            /// `gemm_nt` for f16 weights.
            ///
            /// # Safety
            /// As `gelu_prefetching`.
            #[target_feature(enable = $feature)]
            pub unsafe fn gemm_nt_f16(x: &[f32], m: usize, k: usize, w: &[half::f16], n: usize, y: &mut [f32]) {
                let ylen = y.len();
                // SAFETY: as in `gemm_nt`.
                crate::kernels::float::gemm_f32::drive_f16(x, m, k, w, n, ylen, |w0, w1, j| unsafe { $gemm_columns(x, m, k, w0, w1, n, j, y) })
            }
        }
    };
}

compile_for!("avx2,fma", avx2, super::avx2_layer_norm, super::gemm_f32_avx2::columns);
compile_for!("avx512f,fma", avx512, super::layer_norm_avx512::add_layer_norm, super::gemm_f32_avx512::columns);


/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn avx2_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    crate::kernels::float::generic::add_layer_norm(x, residual, weight, bias, eps)
}

pub use attention_avx2::attend as avx2_attend;
pub use attention_avx512::attend as avx512_attend;
pub use attention_sse::attend as sse_attend;
