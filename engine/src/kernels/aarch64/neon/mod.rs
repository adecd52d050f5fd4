//! Baseline Advanced SIMD (Cortex-A53/A72: Raspberry Pi 3/4): `smull`/`smlal`/`sadalp`.

pub mod gemm_i8;
pub mod peak;
pub mod quantize;
