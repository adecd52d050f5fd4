//! Portable reference kernels.

pub mod gemm_f32;
pub mod gemm_i8;
