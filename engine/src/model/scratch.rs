//! Caller-owned working memory: one f32 slice carved into the buffers of a forward pass.

use crate::config::Config;
use crate::kernels::float::generic::KEY_BLOCK;
use crate::ops::linear::QuantBuf;
use crate::Error;

/// Buffer sizes (in f32) for `batch × seq` new tokens attending over `past + seq` positions.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub tokens: usize,
    pub hidden: usize,
    pub embedding: usize,
    pub intermediate: usize,
    pub batch: usize,
    pub kv_len: usize,
}

impl Layout {
    pub fn new(c: &Config, batch: usize, seq: usize, past: usize) -> Self {
        Layout {
            tokens: batch.saturating_mul(seq),
            hidden: c.hidden_size as usize,
            embedding: c.embedding_size as usize,
            intermediate: c.intermediate_size as usize,
            batch,
            kv_len: past.saturating_add(seq),
        }
    }

    fn sizes(&self) -> [usize; 15] {
        let t = self.tokens;
        let th = t.saturating_mul(self.hidden);
        let wide = self.hidden.max(self.embedding);
        // Keys transposed in whole blocks (`generic::kt_len`, saturating like every size here).
        let kt = self.batch.saturating_mul(self.hidden).saturating_mul(round_up(self.kv_len, KEY_BLOCK));
        [
            th,                                      // x
            th,                                      // q
            th,                                      // k
            th,                                      // v
            th,                                      // ctx
            th,                                      // a
            // work: the FFN's intermediate rows, the embeddings before the projection, the head's
            // work space: never two at once
            t.saturating_mul(self.intermediate.max(wide.saturating_mul(2))),
            t.saturating_mul(self.kv_len),           // scores
            // int8 activations: T·max(E, H, I) bytes, as f32 slots
            t.saturating_mul(wide.max(self.intermediate)).div_ceil(4),
            t,                                       // their per-row scales
            kt,                                      // keys transposed, whole blocks of 16
            self.batch.saturating_mul(self.kv_len),  // key mask
            spare(th),                               // k_next
            spare(th),                               // v_next
            // kt_next: only one batch row transposes its keys in the layer region
            spare(if self.batch == 1 { kt } else { 0 }),
        ]
    }

    pub fn len(&self) -> usize {
        // Every buffer starts on a line boundary (see `carve`): ALIGN_SLACK for the first, each
        // size rounded up to whole lines.
        self.sizes().iter().fold(ALIGN_SLACK, |a, &b| a.saturating_add(padded(b)))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// f32 slots `carve` may skip so the buffers start on line boundaries (the caller's slice is
/// only 4-byte aligned; a large `Vec` from glibc starts 16 bytes past one). Misaligned rows cost
/// on every ISA and most on AVX-512, where each 64-byte load or store then touches two lines:
/// - AMX tile loads of int8 rows: a 32 × 32 × 256 block took 333 ns from misaligned rows, 139 ns
///   from aligned ones;
/// - the f32 buffers (GEMM outputs, LayerNorm, GELU, quantization, attention): they all started
///   16 bytes past a boundary; aligned, the seq-128 pass went from 5.97–6.32 ms to 5.22–5.38 ms
///   (`electra bench`, 6 alternating pairs).
const ALIGN_SLACK: usize = LINE_F32 - 1;

/// f32 per cache line: 64-byte lines on the application cores the SIMD kernels target. A
/// Cortex-M has no line to straddle and counts every byte of RAM, so there nothing is padded.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const LINE_F32: usize = 16;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const LINE_F32: usize = 1;

/// The size of a spare buffer for the next layer's keys (`layer::NextKeys::Spare`): `n` where
/// threads can split a layer's rows, 0 without `std` (one thread: they are written in place).
fn spare(n: usize) -> usize {
    if cfg!(feature = "std") {
        n
    } else {
        0
    }
}

/// `n` rounded up to whole lines of f32.
fn padded(n: usize) -> usize {
    round_up(n, LINE_F32)
}

/// `n` rounded up to a multiple of `m` (saturating).
fn round_up(n: usize, m: usize) -> usize {
    n.saturating_add(m - 1) / m * m
}

/// The named buffers of one forward pass (shapes in comments; T = batch·seq tokens).
pub struct Scratch<'s> {
    /// [T, H] hidden states between layers.
    pub x: &'s mut [f32],
    /// [T, H] queries, keys, values and attention context.
    pub q: &'s mut [f32],
    pub k: &'s mut [f32],
    pub v: &'s mut [f32],
    pub ctx: &'s mut [f32],
    /// [T, H] attention block output (the FFN residual).
    pub a: &'s mut [f32],
    /// Work space of one stage at a time, [T, max(I, 2·max(H, E))]: the FFN's intermediate
    /// activations [T, I] in a layer, the embeddings [T, E] before their projection, and the
    /// head's buffers after the encoder.
    pub work: &'s mut [f32],
    /// [T, past+S] attention probabilities, one row per query row (reused across heads).
    pub scores: &'s mut [f32],
    /// Quantized activations of the linear being run (int8 weights only).
    pub quant: QuantBuf<'s>,
    /// Keys transposed per batch row in blocks of 16 keys: [batch][⌈(past+S)/16⌉][H][16]
    /// (`generic::kt_index`).
    pub kt: &'s mut [f32],
    /// [batch, past+S] key mask (1.0 = visible).
    pub allowed: &'s mut [f32],
    /// [T, H] the next layer's keys and values, computed while other threads still read this
    /// layer's (swapped with `k`, `v` between layers). Empty without `std` (`layer::NextKeys`).
    /// A pass on a thread team (`team`) keeps its quantized layer input there instead.
    pub k_next: &'s mut [f32],
    pub v_next: &'s mut [f32],
    /// The next layer's keys transposed, when the layer's threads transpose their own keys
    /// (`layer::keys_in_region`; swapped with `kt` between layers). Empty unless batch is 1, and
    /// without `std`.
    pub kt_next: &'s mut [f32],
}

/// The first `n` slots of `r` and what follows their whole lines.
fn take(r: &mut [f32], n: usize) -> (&mut [f32], &mut [f32]) {
    let (head, rest) = r.split_at_mut(padded(n));
    (&mut head[..n], rest)
}

impl<'s> Scratch<'s> {
    /// int8 bytes per row of the activation-quantization buffer for `t` token rows (the stride
    /// at which parallel regions split it).
    pub fn quant_width(&self, t: usize) -> usize {
        self.quant.q.len() / t.max(1)
    }

    pub fn carve(buf: &'s mut [f32], layout: &Layout, kernels: crate::kernels::Kernels) -> Result<Self, Error> {
        let needed = layout.len();
        if buf.len() < needed {
            return Err(Error::ScratchTooSmall { needed, given: buf.len() });
        }
        let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14] = layout.sizes();
        // Skip to a line boundary (buf is at least 4-byte aligned, so ≤ ALIGN_SLACK slots); whole
        // lines per buffer keep every later one on a boundary too.
        let line = LINE_F32 * 4;
        let skip = (line - buf.as_ptr() as usize % line) % line / 4;
        let r = &mut buf[skip..];
        let (x, r) = take(r, s0);
        let (q, r) = take(r, s1);
        let (k, r) = take(r, s2);
        let (v, r) = take(r, s3);
        let (ctx, r) = take(r, s4);
        let (a, r) = take(r, s5);
        let (work, r) = take(r, s6);
        let (scores, r) = take(r, s7);
        let (quant_q, r) = take(r, s8);
        let (quant_scales, r) = take(r, s9);
        let (kt, r) = take(r, s10);
        let (allowed, r) = take(r, s11);
        let (k_next, r) = take(r, s12);
        let (v_next, r) = take(r, s13);
        let (kt_next, _) = take(r, s14);
        let quant = QuantBuf { q: bytemuck::cast_slice_mut(quant_q), scales: quant_scales, kernels };
        Ok(Scratch { x, q, k, v, ctx, a, work, scores, quant, kt, allowed, k_next, v_next, kt_next })
    }
}
