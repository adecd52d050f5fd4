//! AVX2 (Haswell and later, Zen): exact i16 route, see `gemm_i8.rs`.

pub mod gemm_i8;
pub mod peak;
pub mod quantize;
