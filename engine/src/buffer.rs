//! Owned, 64-byte aligned byte buffers for model files read into memory (instead of mmap).

use alloc::vec::Vec;

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Block([u8; 64]);

/// A byte buffer whose start is 64-byte aligned, as `ModelFile::parse` requires.
pub struct AlignedBytes {
    blocks: Vec<Block>,
    len: usize,
}

impl AlignedBytes {
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut out = AlignedBytes::zeroed(bytes.len());
        out.as_mut_bytes().copy_from_slice(bytes);
        out
    }

    /// `len` zero bytes. The allocator hands out zeroed memory (`alloc_zeroed`), so on an OS
    /// that maps zero pages lazily only the pages written later take memory: the file writer
    /// fills the buffer tensor by tensor while freeing each source, keeping its peak near one
    /// file's size.
    pub fn zeroed(len: usize) -> Self {
        AlignedBytes { blocks: bytemuck::zeroed_vec(len.div_ceil(64)), len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<Block, u8>(&self.blocks)[..self.len]
    }

    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut::<Block, u8>(&mut self.blocks)[..self.len]
    }
}

impl core::ops::Deref for AlignedBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::ops::DerefMut for AlignedBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_bytes()
    }
}
