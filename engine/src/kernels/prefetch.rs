//! Software prefetch of weights that a later GEMM will read, issued while f32 work runs.
//!
//! With few token rows a GEMM is bound by streaming its weights from L3 (at seq 16 the pass's
//! GEMMs read 9.1 MiB at ~25 GB/s, the rate of a plain read loop on one core), while the f32
//! passes between the GEMMs use no memory bandwidth. Asking for the next GEMM's weights during
//! that f32 work overlaps the two, if the requests are paced: a kernel calls `step` after every 16
//! values, so a few lines are in flight at a time. A burst of lines between chunks of work
//! stalls the core once its miss queue is full (docs/performance.md; the probe
//! `tests/tools/probes/prefetch_overlap.rs`: lines paced through a GELU-like loop land in L2 at
//! 0.5–1 ns of extra loop time each, against ~2 ns for bursts of 64 and ~2.4–3 ns for a GEMM
//! streaming the line itself). x86-64 only (`prefetcht1`, into L2); elsewhere the position only
//! advances.

/// The bytes of one weight matrix, asked for in order, a few cache lines at a time.
pub struct Prefetch<'w> {
    bytes: &'w [u8],
    pos: usize,
    per_step: usize,
}

/// Bytes per cache line.
const LINE: usize = 64;

impl<'w> Prefetch<'w> {
    pub fn new(bytes: &'w [u8]) -> Self {
        Prefetch { bytes, pos: 0, per_step: 1 }
    }

    /// Nothing to ask for.
    pub fn none() -> Self {
        Prefetch::new(&[])
    }

    /// The lines `step` asks for (1 by default).
    pub fn per_step(mut self, lines: usize) -> Self {
        self.per_step = lines;
        self
    }

    /// Asks for the next `per_step` lines: what a kernel that streams prefetches through its own
    /// loop calls after every 16 values (a few cycles of work apart, so that the misses overlap
    /// the work instead of filling the queue as a burst does).
    #[inline(always)]
    pub fn step(&mut self) {
        if self.pos < self.bytes.len() {
            self.lines(self.per_step);
        }
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
        let mut empty = Prefetch::none();
        empty.lines(1);
        empty.step();
        assert_eq!(empty.remaining(), 0);
    }

    #[test]
    fn a_step_asks_for_per_step_lines() {
        let bytes = [0u8; 640];
        let mut p = Prefetch::new(&bytes).per_step(3);
        p.step();
        assert_eq!(p.remaining(), 640 - 192);
        for _ in 0..5 {
            p.step();
        }
        assert_eq!(p.remaining(), 0);
    }
}
