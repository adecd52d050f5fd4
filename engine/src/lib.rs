//! # electra-engine
//!
//! Inference for the ELECTRA transformer family from one flat model file read in place.
//!
//! * `format/`  — the file: validated, borrowed views of an untrusted byte slice (no allocation).
//! * `model/`   — the forward pass: embeddings, attention, feed-forward, encoder, `heads/`.
//! * `ops/`     — safe f32 math (LayerNorm, softmax, activations, linear).
//! * `kernels/` — GEMM kernels; `scalar/` is the specification for every SIMD kernel.
//!
//! `no_std` by default-off features: the core needs neither `std` nor `alloc`. `alloc` adds the
//! file writer and owned buffers; `std` adds memory-mapped loading.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_op_in_unsafe_fn)]
// `Error` carries a tensor name inline (no allocation on no_std), which makes it ~170 bytes;
// errors are rare and never on the per-element path, so the size is accepted.
#![allow(clippy::result_large_err)]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(target_endian = "big")]
compile_error!("the model file is little-endian and read in place; big-endian targets are not supported");

pub mod config;
pub mod error;
pub mod format;
pub mod kernels;
pub mod model;
pub mod ops;

#[cfg(feature = "alloc")]
pub mod buffer;
#[cfg(feature = "std")]
pub mod mmap;

pub use config::{Activation, Config, Head, PositionEmbeddingType, SummaryType};
pub use error::Error;
pub use format::{DType, ModelFile};
pub use model::{Inputs, KvCache, Model, Observer, OutputSpec, Site};
