//! Software prefetch of weights that a later GEMM will read, issued between chunks of f32 work.
//!
//! With few token rows a GEMM is bound by streaming its weights from L3 (at seq 16 the pass's
//! GEMMs read 9.1 MiB at ~24 GB/s, the rate of a plain read loop on one core), while the f32
//! passes between the GEMMs use no memory bandwidth. Asking for the next GEMM's weights in small
//! bursts between chunks of that f32 work overlaps the two; one large burst does not, because the
//! core stalls once its miss queue is full (docs/performance.md). x86-64 only (`prefetcht1`, into
//! L2); elsewhere `lines` only advances.

/// The bytes of one weight matrix, asked for in order, a few cache lines at a time.
pub struct Prefetch<'w> {
    bytes: &'w [u8],
    pos: usize,
}

/// Bytes per cache line.
const LINE: usize = 64;

impl<'w> Prefetch<'w> {
    pub fn new(bytes: &'w [u8]) -> Self {
        Prefetch { bytes, pos: 0 }
    }

    /// Asks for the next `lines` cache lines (fewer at the end of the bytes).
    #[inline]
    pub fn lines(&mut self, lines: usize) {
        let end = self.bytes.len().min(self.pos.saturating_add(lines.saturating_mul(LINE)));
        #[cfg(target_arch = "x86_64")]
        while self.pos < end {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
            // SAFETY: pos < len, so the address lies inside `bytes`; a prefetch is a hint that
            // reads and writes nothing architecturally (SSE, part of x86-64).
            unsafe { _mm_prefetch::<_MM_HINT_T1>(self.bytes.as_ptr().add(self.pos).cast()) };
            self.pos += LINE;
        }
        // The loop stops up to a line past `end` (a partial last line).
        self.pos = end;
    }

    /// Bytes not yet asked for.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_the_bytes_once_and_stops_at_their_end() {
        let bytes = [0u8; 1000];
        let mut p = Prefetch::new(&bytes);
        p.lines(3);
        assert_eq!(p.remaining(), 1000 - 192);
        p.lines(usize::MAX);
        assert_eq!(p.remaining(), 0);
        p.lines(5);
        assert_eq!(p.remaining(), 0);
        let mut empty = Prefetch::new(&[]);
        empty.lines(1);
        assert_eq!(empty.remaining(), 0);
    }
}
