//! The argument bundle every SIMD int8 GEMM driver passes to its micro-kernels: the slices of
//! `Kernels::gemm_i8_packed` as raw pointers (checked by `check_gemm_args` before any kernel
//! runs), so the inner loops can offset them without re-slicing.

use super::pack::{padded_k, PANEL_N};

#[derive(Clone, Copy)]
pub(crate) struct GemmArgs {
    pub a: *const i8,
    pub sa: *const f32,
    pub k: usize,
    pub w: *const i8,
    /// Bytes of one packed 16-channel panel: `padded_k(k) · 16`.
    pub panel_bytes: usize,
    pub sw: *const f32,
    /// Used by the u8·i8 kernels (x86 VNNI) for their zero-point correction; others ignore it.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub row_sums: *const i32,
    /// Null when there is no bias.
    pub bias: *const f32,
    pub n: usize,
    pub y: *mut f32,
}

impl GemmArgs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(a: &[i8], sa: &[f32], k: usize, w: &[i8], sw: &[f32], row_sums: &[i32], bias: &[f32], n: usize, y: &mut [f32]) -> Self {
        GemmArgs {
            a: a.as_ptr(),
            sa: sa.as_ptr(),
            k,
            w: w.as_ptr(),
            panel_bytes: padded_k(k) * PANEL_N,
            sw: sw.as_ptr(),
            row_sums: row_sums.as_ptr(),
            bias: if bias.is_empty() { core::ptr::null() } else { bias.as_ptr() },
            n,
            y: y.as_mut_ptr(),
        }
    }
}
