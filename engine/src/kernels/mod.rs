//! Kernels: the only place for SIMD and nearly all `unsafe`. `scalar/` is the specification every
//! ISA-specific kernel is tested against.

pub mod scalar;
