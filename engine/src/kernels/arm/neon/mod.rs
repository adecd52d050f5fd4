//! armv7 NEON (Cortex-A7/A53/A72 in AArch32): `vmull.s8` + `vmlal.s8` + `vpadal.s16` in `asm!`.
//! Quantization and the f32 kernels are the portable ones on this target.

pub mod gemm_i8;
pub mod peak;
