//! The generic f32 kernels compiled for AVX2 and for AVX-512F. Each wrapper only calls the
//! `#[inline(always)]` generic body, which LLVM then vectorizes with that ISA's registers.
//! Attention, where the FMAs dominate, has explicit intrinsics (`attention_avx512.rs`,
//! `attention_avx2.rs`): LLVM spills the generic body's register blocks; so has AVX-512
//! LayerNorm (`layer_norm_avx512.rs`), whose 64-lane sums LLVM kept on the stack, and the
//! AVX-512 transposition of the keys (`transpose_avx512.rs`), a shuffle network LLVM does not find.

mod attention_avx2;
mod attention_avx512;
pub mod layer_norm_avx512;
pub mod transpose_avx512;

macro_rules! compile_for {
    ($feature:literal, $module:ident, $layer_norm:path) => {
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
        }
    };
}

compile_for!("avx2,fma", avx2, super::avx2_layer_norm);
compile_for!("avx512f,fma", avx512, super::layer_norm_avx512::add_layer_norm);

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn avx2_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    crate::kernels::float::generic::add_layer_norm(x, residual, weight, bias, eps)
}

pub use attention_avx2::attend as avx2_attend;
pub use attention_avx512::attend as avx512_attend;
