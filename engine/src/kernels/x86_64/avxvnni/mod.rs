//! AVX-VNNI (Alder Lake and later, Zen 5): `vpdpbusd ymm`. Quantization is the AVX2 kernel.

pub mod gemm_i8;
pub mod peak;
