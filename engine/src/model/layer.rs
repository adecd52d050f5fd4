//! The encoder layers (`ElectraLayer`, post-LayerNorm) over the token rows `x` [T, H], in place:
//!
//! ```text
//! q, k, v = x·W{q,k,v}ᵀ + b, kᵀ in 16-key blocks              rows split across threads
//! keys    = cache append, (kᵀ per batch row,) key mask        between the regions
//! a       = LayerNorm(attention(q, k, v)·Woᵀ + bo + x)        rows split across threads,
//! x       = LayerNorm(act(a·Wiᵀ + bi)·W2ᵀ + b2 + a)           in one region, which also
//! q, k, v = the next layer's projections of those rows        computes the next Q, K, V
//!           and their kᵀ blocks
//! ```
//!
//! Everything but the keys is local to a token row, so a pass forks and joins once per layer
//! (plus once for the first projections) whatever the thread count, and each thread quantizes,
//! multiplies and normalizes its own rows. The next layer's keys and values go to `k_next`,
//! `v_next` and `kt_next` (other threads still read this layer's). With one batch row and no
//! cache, each thread also transposes its own keys (`keys_in_region`); otherwise `keys`
//! transposes them all between the regions. A row's result does not depend on the split (tested
//! for 1–4 threads).

use super::kv_cache::KvCache;
use super::weights::LayerWeights;
use super::{attention, feed_forward, Inputs, Scratch};
use crate::config::{Config, PositionEmbeddingType};
use crate::kernels::float::generic::{kt_len, KEY_BLOCK};
use crate::ops::linear::QuantBuf;
use crate::ops::parallel::{self, Rows};

/// Chunk starts are multiples of 16 rows: a block of transposed keys (`generic::KEY_BLOCK`),
/// and a multiple of the GEMMs' row blocks (8 for AVX-512, 16 and 32 for AMX).
const ALIGN: usize = KEY_BLOCK;

/// Whether each thread transposes the keys of its own rows in the parallel region (into
/// `kt_next`, for the next layer), rather than the whole layer's keys being transposed between the
/// regions (`attention::keys`): one batch row (so that the thread's 16-row chunks are whole key
/// blocks), no cache (whose past keys need transposing too), absolute positions. This removes a
/// fork and join per layer and the pass's one stretch of serial-bound work.
pub fn keys_in_region(c: &Config, inputs: &Inputs<'_>, cached: bool) -> bool {
    inputs.batch == 1 && !cached && c.position_embedding_type == PositionEmbeddingType::Absolute
}

/// int8 bytes per row of the activation-quantization buffer.
fn quant_width(bufs: &Scratch<'_>, t: usize) -> usize {
    bufs.quant.q.len() / t.max(1)
}

/// The first layer's `q, k, v` from `bufs.x` (later layers get theirs from `forward`).
pub fn project(lw: &LayerWeights<'_>, c: &Config, t: usize, in_region: bool, bufs: &mut Scratch<'_>) {
    let h = c.hidden_size as usize;
    let kernels = bufs.quant.kernels;
    let qw = quant_width(bufs, t);
    let rows = QkvRows {
        x: &bufs.x[..t * h],
        q: &mut bufs.q[..t * h],
        k: &mut bufs.k[..t * h],
        v: &mut bufs.v[..t * h],
        kt: kt_rows(bufs.kt, h, t, in_region),
        quant_q: &mut bufs.quant.q[..t * qw],
        scales: &mut bufs.quant.scales[..t],
        h,
        qw,
    };
    parallel::for_rows(t, ALIGN, 3 * h * h, rows, |_, r| {
        let mut quant = QuantBuf { q: r.quant_q, scales: r.scales, kernels };
        attention::project_qkv(lw, r.x, r.q, r.k, r.v, &mut quant);
        if in_region {
            kernels.keys_blocked(r.k, h, r.kt);
        }
    });
}

/// Runs layer `layer` on `bufs.q`, `bufs.k`, `bufs.v` (its projections) and `bufs.x`: writes the
/// layer output to `x`, leaves the attention block's output in `a` and, with `next`, the next
/// layer's projections in `q`, `k_next`, `v_next`.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    lw: &LayerWeights<'_>,
    next: Option<&LayerWeights<'_>>,
    c: &Config,
    inputs: &Inputs<'_>,
    layer: usize,
    cache: Option<&mut KvCache<'_>>,
    bufs: &mut Scratch<'_>,
) {
    let (batch, seq) = (inputs.batch, inputs.seq);
    let (h, i) = (c.hidden_size as usize, c.intermediate_size as usize);
    let t = batch * seq;
    let kernels = bufs.quant.kernels;
    let qw = quant_width(bufs, t);

    let in_region = keys_in_region(c, inputs, cache.is_some());
    let kv = attention::keys(c, inputs.attention_mask, batch, seq, layer, cache, bufs.k, bufs.v, bufs.kt, !in_region, bufs.allowed, kernels);

    let kv_len = kv.kv_len;
    let rows = LayerRows {
        q: &mut bufs.q[..t * h],
        scores: &mut bufs.scores[..t * kv_len],
        ctx: &mut bufs.ctx[..t * h],
        a: &mut bufs.a[..t * h],
        x: &mut bufs.x[..t * h],
        inter: &mut bufs.inter[..t * i],
        k_next: &mut bufs.k_next[..t * h],
        v_next: &mut bufs.v_next[..t * h],
        kt_next: kt_rows(bufs.kt_next, h, t, in_region),
        quant_q: &mut bufs.quant.q[..t * qw],
        scales: &mut bufs.quant.scales[..t],
        h,
        i,
        kv_len,
        qw,
    };
    let work = 2 * kv_len * h + (h + 2 * i) * h + if next.is_some() { 3 * h * h } else { 0 };
    parallel::for_rows(t, ALIGN, work, rows, |r0, r| {
        let mut quant = QuantBuf { q: r.quant_q, scales: r.scales, kernels };
        attention::attend(c, lw.distance_embedding, &kv, seq, r0, r.q, r.scores, r.ctx, kernels);
        attention::output(lw, c, r.ctx, r.x, r.a, &mut quant);
        feed_forward::forward(lw, c, r.a, r.inter, r.x, &mut quant);
        if let Some(next) = next {
            // This thread's query rows are done with `q`; keys and values go to the spare
            // buffers, since other threads still read this layer's.
            attention::project_qkv(next, r.x, r.q, r.k_next, r.v_next, &mut quant);
            if in_region {
                kernels.keys_blocked(r.k_next, h, r.kt_next);
            }
        }
    });
}

/// The rows Q, K and V are computed on.
struct QkvRows<'a> {
    x: &'a [f32],
    q: &'a mut [f32],
    k: &'a mut [f32],
    v: &'a mut [f32],
    /// The rows' transposed keys (empty unless in region; see `kt_rows`).
    kt: &'a mut [f32],
    quant_q: &'a mut [i8],
    scales: &'a mut [f32],
    h: usize,
    qw: usize,
}

/// The transposed-key buffer as rows of `h` (chunks start at multiples of 16 rows, so a chunk's
/// keys are whole blocks: rows r0..r1 are floats r0·h..r1·h, the last chunk also holding its
/// block's padding), or nothing when the keys are transposed between the regions.
fn kt_rows(kt: &mut [f32], h: usize, t: usize, in_region: bool) -> &mut [f32] {
    if in_region {
        &mut kt[..kt_len(h, t)]
    } else {
        &mut []
    }
}

/// `kt` split at row `r` (a multiple of 16), or two empty halves when it is empty.
fn split_kt(kt: &mut [f32], r: usize, h: usize) -> (&mut [f32], &mut [f32]) {
    let at = (r * h).min(kt.len());
    kt.split_at_mut(at)
}

impl Rows for QkvRows<'_> {
    fn split_at_row(self, r: usize) -> (Self, Self) {
        let (h, qw) = (self.h, self.qw);
        let (x0, x1) = self.x.split_at(r * h);
        let (q0, q1) = self.q.split_at_mut(r * h);
        let (k0, k1) = self.k.split_at_mut(r * h);
        let (v0, v1) = self.v.split_at_mut(r * h);
        let (t0, t1) = split_kt(self.kt, r, h);
        let (b0, b1) = self.quant_q.split_at_mut(r * qw);
        let (s0, s1) = self.scales.split_at_mut(r);
        (
            QkvRows { x: x0, q: q0, k: k0, v: v0, kt: t0, quant_q: b0, scales: s0, h, qw },
            QkvRows { x: x1, q: q1, k: k1, v: v1, kt: t1, quant_q: b1, scales: s1, h, qw },
        )
    }
}

/// The rows of everything after the keys: queries in, layer output (`x`) and the next layer's
/// projections out.
struct LayerRows<'a> {
    q: &'a mut [f32],
    scores: &'a mut [f32],
    ctx: &'a mut [f32],
    a: &'a mut [f32],
    x: &'a mut [f32],
    inter: &'a mut [f32],
    k_next: &'a mut [f32],
    v_next: &'a mut [f32],
    kt_next: &'a mut [f32],
    quant_q: &'a mut [i8],
    scales: &'a mut [f32],
    h: usize,
    i: usize,
    kv_len: usize,
    qw: usize,
}

impl Rows for LayerRows<'_> {
    fn split_at_row(self, r: usize) -> (Self, Self) {
        let (h, i, kv_len, qw) = (self.h, self.i, self.kv_len, self.qw);
        let (q0, q1) = self.q.split_at_mut(r * h);
        let (sc0, sc1) = self.scores.split_at_mut(r * kv_len);
        let (c0, c1) = self.ctx.split_at_mut(r * h);
        let (a0, a1) = self.a.split_at_mut(r * h);
        let (x0, x1) = self.x.split_at_mut(r * h);
        let (i0, i1) = self.inter.split_at_mut(r * i);
        let (k0, k1) = self.k_next.split_at_mut(r * h);
        let (v0, v1) = self.v_next.split_at_mut(r * h);
        let (t0, t1) = split_kt(self.kt_next, r, h);
        let (b0, b1) = self.quant_q.split_at_mut(r * qw);
        let (s0, s1) = self.scales.split_at_mut(r);
        (
            LayerRows { q: q0, scores: sc0, ctx: c0, a: a0, x: x0, inter: i0, k_next: k0, v_next: v0, kt_next: t0, quant_q: b0, scales: s0, h, i, kv_len, qw },
            LayerRows { q: q1, scores: sc1, ctx: c1, a: a1, x: x1, inter: i1, k_next: k1, v_next: v1, kt_next: t1, quant_q: b1, scales: s1, h, i, kv_len, qw },
        )
    }
}
