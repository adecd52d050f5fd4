//! x86-64 kernels, one folder per instruction set, the same file names in each.
//!
//! Reachable only through `kernels::Kernels`, whose constructors check the CPU first.

pub mod amx;
pub mod avx2;
pub mod avx512vnni;
pub mod avxvnni;
pub mod sse41;
