//! Caller-owned working memory: one f32 slice carved into the buffers of a forward pass.

use crate::config::Config;
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

    fn sizes(&self) -> [usize; 16] {
        let t = self.tokens;
        let th = t.saturating_mul(self.hidden);
        let wide = self.hidden.max(self.embedding);
        [
            th,                                      // x
            t.saturating_mul(self.embedding),        // emb
            th,                                      // q
            th,                                      // k
            th,                                      // v
            th,                                      // ctx
            th,                                      // a
            t.saturating_mul(self.intermediate),     // inter
            t.saturating_mul(self.kv_len),           // scores
            t.saturating_mul(wide).saturating_mul(2), // head
            // int8 activations: T·max(E, H, I) bytes, as f32 slots
            t.saturating_mul(wide.max(self.intermediate)).div_ceil(4),
            t,                                       // their per-row scales
            self.batch.saturating_mul(self.hidden).saturating_mul(self.kv_len), // keys transposed
            self.batch.saturating_mul(self.kv_len),  // key mask
            th,                                      // k_next
            th,                                      // v_next
        ]
    }

    pub fn len(&self) -> usize {
        // + ALIGN_SLACK: the int8 activations start on a 64-byte boundary (see `carve`).
        self.sizes().iter().fold(ALIGN_SLACK, |a, &b| a.saturating_add(b))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// f32 slots `carve` may skip so the int8 activations start on a 64-byte boundary: AMX tile loads
/// of rows that straddle cache lines run at less than half speed (measured: a 32 × 32 × 256 block
/// took 333 ns from misaligned rows, 139 ns from aligned ones).
const ALIGN_SLACK: usize = 16;

/// The named buffers of one forward pass (shapes in comments; T = batch·seq tokens).
pub struct Scratch<'s> {
    /// [T, H] hidden states between layers.
    pub x: &'s mut [f32],
    /// [T, E] embeddings before the projection.
    pub emb: &'s mut [f32],
    /// [T, H] queries, keys, values and attention context.
    pub q: &'s mut [f32],
    pub k: &'s mut [f32],
    pub v: &'s mut [f32],
    pub ctx: &'s mut [f32],
    /// [T, H] attention block output (the FFN residual).
    pub a: &'s mut [f32],
    /// [T, I] FFN intermediate activations.
    pub inter: &'s mut [f32],
    /// [T, past+S] attention probabilities, one row per query row (reused across heads).
    pub scores: &'s mut [f32],
    /// [2·T·max(H,E)] head work space.
    pub head: &'s mut [f32],
    /// Quantized activations of the linear being run (int8 weights only).
    pub quant: QuantBuf<'s>,
    /// [batch, H, past+S] keys, transposed per batch row (`head·D + dim` rows).
    pub kt: &'s mut [f32],
    /// [batch, past+S] key mask (1.0 = visible).
    pub allowed: &'s mut [f32],
    /// [T, H] the next layer's keys and values, computed while this layer's are still read
    /// (swapped with `k`, `v` between layers).
    pub k_next: &'s mut [f32],
    pub v_next: &'s mut [f32],
}

impl<'s> Scratch<'s> {
    pub fn carve(buf: &'s mut [f32], layout: &Layout, kernels: crate::kernels::Kernels) -> Result<Self, Error> {
        let needed = layout.len();
        if buf.len() < needed {
            return Err(Error::ScratchTooSmall { needed, given: buf.len() });
        }
        let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15] = layout.sizes();
        let (x, r) = buf.split_at_mut(s0);
        let (emb, r) = r.split_at_mut(s1);
        let (q, r) = r.split_at_mut(s2);
        let (k, r) = r.split_at_mut(s3);
        let (v, r) = r.split_at_mut(s4);
        let (ctx, r) = r.split_at_mut(s5);
        let (a, r) = r.split_at_mut(s6);
        let (inter, r) = r.split_at_mut(s7);
        let (scores, r) = r.split_at_mut(s8);
        let (head, r) = r.split_at_mut(s9);
        // Skip to a 64-byte boundary (buf is at least 4-byte aligned, so ≤ 15 slots).
        let skip = (64 - r.as_ptr() as usize % 64) % 64 / 4;
        let (_, r) = r.split_at_mut(skip);
        let (quant_q, r) = r.split_at_mut(s10);
        let (quant_scales, r) = r.split_at_mut(s11);
        let (kt, r) = r.split_at_mut(s12);
        let (allowed, r) = r.split_at_mut(s13);
        let (k_next, r) = r.split_at_mut(s14);
        let (v_next, _) = r.split_at_mut(s15);
        let quant = QuantBuf { q: bytemuck::cast_slice_mut(quant_q), scales: quant_scales, kernels };
        Ok(Scratch { x, emb, q, k, v, ctx, a, inter, scores, head, quant, kt, allowed, k_next, v_next })
    }
}
