//! The dot-product extension (Cortex-A76: Raspberry Pi 5): `sdot` through `asm!` (`vdotq_s32` is
//! not stable on Rust 1.95). Quantization is the NEON kernel.

pub mod gemm_i8;
pub mod peak;
