//! Portable reference kernels: the specification every ISA-specific kernel is tested against, and
//! the kernels of targets without one.

pub mod gemm_f32;
pub mod gemm_i8;
pub mod gemm_i8_packed;
pub mod quantize;
