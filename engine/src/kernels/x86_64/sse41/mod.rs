//! SSE4.1 (every x86-64 CPU since about 2008, including the Atom-class Celerons and Pentiums of
//! fanless edge boxes that have no AVX): the AVX2 kernel's exact i16 route in 128-bit registers,
//! see `gemm_i8.rs`, and the AVX2 quantization on 4 lanes (`quantize.rs`). The f32 kernels are
//! the portable ones (compiled for the x86-64 baseline, SSE2) but for attention
//! (`float/x86_64/attention_sse.rs`).

pub mod gemm_i8;
pub mod peak;
pub mod quantize;
