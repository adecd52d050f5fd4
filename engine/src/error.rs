//! One error type for the engine: a variant per way a model file or an input can be wrong.

use crate::format::DType;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    // ---- the model file ----
    #[error("not an ELECTRA model file (bad magic bytes)")]
    BadMagic,
    #[error("model file format version {found} is not supported (this engine reads version {supported})")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("model file is truncated: {what} needs bytes {start}..{end} but the file has {len}")]
    Truncated { what: &'static str, start: u64, end: u64, len: u64 },
    #[error("model file {what} at offset {offset} is not {align}-byte aligned")]
    Misaligned { what: &'static str, offset: u64, align: u64 },
    #[error("model file buffer is not 64-byte aligned in memory; load it with mmap or an aligned buffer")]
    UnalignedBuffer,
    #[error("model file header is corrupt: {0}")]
    Header(&'static str),
    #[error("model file tensor #{index} is invalid: {reason}")]
    BadTensor { index: usize, reason: &'static str },
    #[error("model file checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupt")]
    Checksum { stored: u32, computed: u32 },
    #[error("model file lacks tensor `{0}`")]
    MissingTensor(TensorName),
    #[error("tensor `{name}` has shape {found:?}, expected {expected:?}")]
    TensorShape { name: TensorName, found: [u32; 4], expected: [u32; 4] },
    #[error("tensor `{name}` has dtype {found:?}, which is not allowed here")]
    TensorDType { name: TensorName, found: DType },
    #[error("config field `{field}` {reason}")]
    Config { field: &'static str, reason: &'static str },

    // ---- the inputs ----
    #[error("input shape error: {0}")]
    InputShape(&'static str),
    #[error("input_ids[{index}] = {id} is outside the vocabulary (size {vocab_size})")]
    IdOutOfVocab { index: usize, id: u32, vocab_size: u32 },
    #[error("token_type_ids[{index}] = {id} is outside 0..{type_vocab_size}")]
    TypeIdOutOfRange { index: usize, id: u32, type_vocab_size: u32 },
    #[error("sequence of {len} positions exceeds max_position_embeddings = {max}")]
    SequenceTooLong { len: usize, max: usize },
    #[error("scratch buffer too small: {needed} f32 needed, {given} given")]
    ScratchTooSmall { needed: usize, given: usize },
    #[error("output buffer has {given} f32, {needed} needed")]
    OutputSize { needed: usize, given: usize },
    #[error("this operation needs {0}")]
    Unsupported(&'static str),
    #[error("ELECTRA_ISA={requested}: this CPU lacks that instruction set")]
    IsaUnavailable { requested: &'static str },
    #[error("ELECTRA_ISA names no instruction set (expected scalar, sse41, avx2, avxvnni, avx512vnni, amx, neon or dotprod)")]
    UnknownIsa,
}

/// A tensor name held without allocation (names are at most 127 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct TensorName {
    len: u8,
    buf: [u8; 127],
}

impl TensorName {
    pub fn new(s: &str) -> Self {
        let mut buf = [0u8; 127];
        // Truncate on a char boundary so `as_str` stays valid UTF-8.
        let mut n = s.len().min(buf.len());
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        TensorName { len: n as u8, buf }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("?")
    }
}

impl core::fmt::Write for TensorName {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let start = self.len as usize;
        let end = start + s.len();
        if end > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[start..end].copy_from_slice(s.as_bytes());
        self.len = end as u8;
        Ok(())
    }
}

impl core::fmt::Display for TensorName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Debug for TensorName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}
