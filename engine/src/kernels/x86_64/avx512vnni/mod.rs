//! AVX-512 VNNI (Ice Lake / Cascade Lake server and later, Zen 4): `vpdpbusd zmm`. Quantization is
//! the AVX2 kernel (memory-bound; zmm buys nothing measurable there).

pub mod gemm_i8;
pub mod peak;
