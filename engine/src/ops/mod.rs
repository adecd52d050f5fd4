//! Safe f32 math of the forward pass that is not a kernel: activations of the less common kinds
//! and the linear-layer driver (quantize, dispatch to a kernel, split across threads). LayerNorm,
//! softmax, GELU and attention rows live in `kernels::float` (one source, compiled per ISA).

pub mod activations;
pub mod linear;
pub mod parallel;
