//! Safe f32 math of the forward pass: the scalar definitions every SIMD kernel is tested against.

pub mod activations;
pub mod layer_norm;
pub mod linear;
pub mod quantize;
pub mod softmax;
