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
//! `v_next` and `kt_next` (other threads still read this layer's); when the rows run as one chunk
//! (one thread, always without `std`) they overwrite this layer's once attention is done, so a
//! `no_std` scratch has no spare buffers ([`NextKeys`]). With one batch row and no
//! cache, each thread also transposes its own keys (`keys_in_region`); otherwise `keys`
//! transposes them all between the regions. A row's result does not depend on the split (tested
//! for 1–4 threads).
//!
//! With `std`, several threads, one batch row, no cache and int8 Q, K and V, the encoder runs
//! its layers on `team` instead: attention split by heads, threads kept across layers.

use super::kv_cache::KvCache;
use super::weights::LayerWeights;
use super::{attention, feed_forward, Inputs, Scratch};
use crate::config::{Config, PositionEmbeddingType};
use crate::kernels::float::generic::{kt_len, KEY_BLOCK};
use crate::ops::linear::QuantBuf;
use crate::ops::parallel::{self, In, Out};

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

/// The first layer's `q, k, v` from `bufs.x` (later layers get theirs from `forward`).
pub fn project(lw: &LayerWeights<'_>, c: &Config, t: usize, in_region: bool, bufs: &mut Scratch<'_>) {
    let h = c.hidden_size as usize;
    let kernels = bufs.quant.kernels;
    let qw = bufs.quant_width(t);
    let rows = (
        In(&bufs.x[..t * h], h),
        (Out(&mut bufs.q[..t * h], h), Out(&mut bufs.k[..t * h], h), Out(&mut bufs.v[..t * h], h)),
        Out(kt_rows(bufs.kt, h, t, in_region), h),
        Out(&mut bufs.quant.q[..t * qw], qw),
        Out(&mut bufs.quant.scales[..t], 1),
    );
    parallel::for_rows(t, ALIGN, 3 * h * h, rows, |_, (In(x, _), (Out(q, _), Out(k, _), Out(v, _)), Out(kt, _), Out(quant_q, _), Out(scales, _))| {
        let mut quant = QuantBuf { q: quant_q, scales, kernels };
        attention::project_qkv(lw, x, q, k, v, &mut quant);
        if in_region {
            kernels.keys_blocked(k, h, kt);
        }
    });
}

/// Where [`forward`] left the next layer's keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextKeys {
    /// In `k_next`, `v_next` (and `kt_next`): the rows ran on several threads, some still reading
    /// this layer's keys while others wrote the next ones. The caller swaps the buffers.
    Spare,
    /// In `k`, `v` (and `kt`) themselves, overwritten once attention had read them: the rows ran
    /// as one chunk (always without `std`, whose scratch has no spare buffers), or there is no
    /// next layer.
    InPlace,
}

/// Runs layer `layer` on `bufs.q`, `bufs.k`, `bufs.v` (its projections) and `bufs.x`: writes the
/// layer output to `x`, leaves the attention block's output in `a` and, with `next`, the next
/// layer's projections in `q` and (see [`NextKeys`]) the keys and values.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    lw: &LayerWeights<'_>,
    next: Option<&LayerWeights<'_>>,
    c: &Config,
    inputs: &Inputs<'_>,
    layer: usize,
    cache: Option<&mut KvCache<'_>>,
    bufs: &mut Scratch<'_>,
) -> NextKeys {
    let (batch, seq) = (inputs.batch, inputs.seq);
    let (h, i) = (c.hidden_size as usize, c.intermediate_size as usize);
    let t = batch * seq;
    let kernels = bufs.quant.kernels;
    let qw = bufs.quant_width(t);

    let in_region = keys_in_region(c, inputs, cache.is_some());
    let kv = attention::keys(c, inputs.attention_mask, batch, seq, layer, cache, bufs.k, bufs.v, bufs.kt, !in_region, bufs.allowed, kernels);

    let kv_len = kv.kv_len;
    let work = 2 * kv_len * h + (h + 2 * i) * h + if next.is_some() { 3 * h * h } else { 0 };
    if !parallel::splits(t, work) {
        // One chunk: every query row has read the keys and values before the first next one is
        // written, so they go in place and the spare buffers stay unused.
        let mut quant = QuantBuf { q: &mut bufs.quant.q[..t * qw], scales: &mut bufs.quant.scales[..t], kernels };
        let (q, x) = (&mut bufs.q[..t * h], &mut bufs.x[..t * h]);
        let (a, inter) = (&mut bufs.a[..t * h], &mut bufs.work[..t * i]);
        rows(lw, c, &kv, seq, 0, q, &mut bufs.scores[..t * kv_len], &mut bufs.ctx[..t * h], a, x, inter, &mut quant);
        if let Some(next) = next {
            let (k, v) = (&mut bufs.k[..t * h], &mut bufs.v[..t * h]);
            attention::project_qkv(next, x, q, k, v, &mut quant);
            if in_region {
                kernels.keys_blocked(k, h, kt_rows(bufs.kt, h, t, in_region));
            }
        }
        return NextKeys::InPlace;
    }
    // The rows' buffers; the next layer's keys and values (and their transposition) go to the
    // spare `_next` buffers, since other threads still read this layer's.
    let rows_bufs = (
        (Out(&mut bufs.q[..t * h], h), Out(&mut bufs.scores[..t * kv_len], kv_len), Out(&mut bufs.ctx[..t * h], h)),
        (Out(&mut bufs.a[..t * h], h), Out(&mut bufs.x[..t * h], h), Out(&mut bufs.work[..t * i], i)),
        (Out(&mut bufs.k_next[..t * h], h), Out(&mut bufs.v_next[..t * h], h), Out(kt_rows(bufs.kt_next, h, t, in_region), h)),
        Out(&mut bufs.quant.q[..t * qw], qw),
        Out(&mut bufs.quant.scales[..t], 1),
    );
    parallel::for_rows(t, ALIGN, work, rows_bufs, |r0, r| {
        let ((Out(q, _), Out(scores, _), Out(ctx, _)), (Out(a, _), Out(x, _), Out(inter, _)), (Out(k_next, _), Out(v_next, _), Out(kt_next, _)), Out(quant_q, _), Out(scales, _)) = r;
        let mut quant = QuantBuf { q: quant_q, scales, kernels };
        rows(lw, c, &kv, seq, r0, q, scores, ctx, a, x, inter, &mut quant);
        if let Some(next) = next {
            // This thread's query rows are done with `q`.
            attention::project_qkv(next, x, q, k_next, v_next, &mut quant);
            if in_region {
                kernels.keys_blocked(k_next, h, kt_next);
            }
        }
    });
    if next.is_some() {
        NextKeys::Spare
    } else {
        NextKeys::InPlace
    }
}

/// Query rows `r0..` of a layer, up to its output: attention, output projection and LayerNorm
/// (into `a`), FFN and LayerNorm (into `x`).
#[allow(clippy::too_many_arguments)]
fn rows(
    lw: &LayerWeights<'_>,
    c: &Config,
    kv: &attention::KeyValues<'_>,
    seq: usize,
    r0: usize,
    q: &[f32],
    scores: &mut [f32],
    ctx: &mut [f32],
    a: &mut [f32],
    x: &mut [f32],
    inter: &mut [f32],
    quant: &mut QuantBuf<'_>,
) {
    attention::attend(c, lw.distance_embedding, kv, seq, r0, q, scores, ctx, quant.kernels);
    attention::output(lw, c, ctx, x, a, quant);
    feed_forward::forward(lw, c, a, inter, x, quant);
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
