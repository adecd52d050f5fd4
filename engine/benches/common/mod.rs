//! Helpers shared by the GEMM benches (`gemm.rs`, `gemm_peak_ratio.rs`).

use std::ops::{Deref, DerefMut};

/// int8 bytes starting on a 64-byte boundary, as the model's packed weights (64-byte regions of a
/// page-aligned mmap) and int8 activations (aligned by `Scratch::carve`) are: AMX tile loads of
/// rows that straddle cache lines run at less than half speed.
pub struct AlignedI8 {
    buf: Vec<i8>,
    off: usize,
    len: usize,
}

impl AlignedI8 {
    pub fn zeroed(len: usize) -> Self {
        let buf = vec![0; len + 64];
        // Moving the Vec later does not move its heap bytes, so the offset stays valid.
        let off = buf.as_ptr().align_offset(64);
        AlignedI8 { buf, off, len }
    }

    pub fn from_fn(len: usize, mut f: impl FnMut() -> i8) -> Self {
        let mut a = Self::zeroed(len);
        a.iter_mut().for_each(|v| *v = f());
        a
    }
}

impl Deref for AlignedI8 {
    type Target = [i8];

    fn deref(&self) -> &[i8] {
        &self.buf[self.off..self.off + self.len]
    }
}

impl DerefMut for AlignedI8 {
    fn deref_mut(&mut self) -> &mut [i8] {
        &mut self.buf[self.off..self.off + self.len]
    }
}
