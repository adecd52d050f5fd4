//! Portable reference kernels.

pub mod gemm_f32;
