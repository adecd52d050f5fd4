//! AVX-512 VNNI (Ice Lake / Cascade Lake server and later, Zen 4): `vpdpbusd zmm`, and activation
//! quantization with 16-lane AVX-512F (twice the AVX2 kernel's rate on L1-resident rows).

pub mod gemm_i8;
pub mod peak;
pub mod quantize;
