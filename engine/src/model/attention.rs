//! Multi-head self-attention (`attention.self` + `attention.output`, spec §4.3–4.5):
//!
//! ```text
//! q, k, v = x·Wqᵀ+bq, x·Wkᵀ+bk, x·Wvᵀ+bv                  [T, H], head h = features h·D..(h+1)·D
//! scores  = (q·kᵀ [+ q·Rᵀ] [+ k·Rᵀ]) / √D, masked → f32::MIN   [S, past+S] per (row, head)
//! ctx     = softmax(scores)·v
//! a       = LayerNorm(ctx·Woᵀ + bo + x)
//! ```

use super::kv_cache::KvCache;
use super::weights::LayerWeights;
use super::{Inputs, Scratch};
use crate::config::{Config, PositionEmbeddingType};
use crate::kernels::float::generic::{self, dot};
use crate::kernels::Kernels;
use crate::ops::{linear, parallel};

/// Which key positions a row may attend to (before the causal rule).
#[derive(Clone, Copy)]
enum KeyMask<'m> {
    All,
    /// The caller's `attention_mask`, `[batch][seq]`, non-zero = attend.
    Input(&'m [u32]),
    /// The cache's mask, `[batch][capacity]`, 1.0 = attend.
    Cache(&'m [f32]),
}

/// Keys and values of every position a query may see, `[batch][stride rows][H]`.
struct KeyValues<'k> {
    k: &'k [f32],
    v: &'k [f32],
    /// Rows between two batch rows (seq without a cache, capacity with one).
    stride: usize,
    mask: KeyMask<'k>,
}

impl KeyValues<'_> {
    #[inline]
    fn allowed(&self, b: usize, j: usize) -> bool {
        match self.mask {
            KeyMask::All => true,
            KeyMask::Input(m) => m[b * self.stride + j] != 0,
            KeyMask::Cache(m) => m[b * self.stride + j] != 0.0,
        }
    }
}


/// Runs the attention block of one layer: reads `bufs.x`, writes `bufs.a`.
pub fn forward(
    lw: &LayerWeights<'_>,
    c: &Config,
    inputs: &Inputs<'_>,
    layer: usize,
    cache: Option<&mut KvCache<'_>>,
    bufs: &mut Scratch<'_>,
) {
    let (batch, seq) = (inputs.batch, inputs.seq);
    let h = c.hidden_size as usize;
    let t = batch * seq;
    // Q, K and V share their input: quantize it once.
    let input = linear::prepare(bufs.x, t, h, &[&lw.query, &lw.key, &lw.value], &mut bufs.quant);
    linear::linear_prepared(&input, &lw.query, bufs.q);
    linear::linear_prepared(&input, &lw.key, bufs.k);
    linear::linear_prepared(&input, &lw.value, bufs.v);

    match cache {
        None => {
            let mask = inputs.attention_mask.map_or(KeyMask::All, KeyMask::Input);
            let kv = KeyValues { k: bufs.k, v: bufs.v, stride: seq, mask };
            let work = Work { scores: bufs.scores, kt: bufs.kt, allowed: bufs.allowed, kernels: bufs.quant.kernels };
            attend(c, lw.distance_embedding, bufs.q, &kv, batch, seq, 0, work, bufs.ctx);
        }
        Some(cache) => {
            let (past, cap) = (cache.len(), cache.capacity());
            let (ck, cv, mask) = cache.layer_mut(layer);
            for b in 0..batch {
                let dst = (b * cap + past) * h;
                ck[dst..dst + seq * h].copy_from_slice(&bufs.k[b * seq * h..(b + 1) * seq * h]);
                cv[dst..dst + seq * h].copy_from_slice(&bufs.v[b * seq * h..(b + 1) * seq * h]);
            }
            let kv = KeyValues { k: ck, v: cv, stride: cap, mask: KeyMask::Cache(mask) };
            let work = Work { scores: bufs.scores, kt: bufs.kt, allowed: bufs.allowed, kernels: bufs.quant.kernels };
            attend(c, lw.distance_embedding, bufs.q, &kv, batch, seq, past, work, bufs.ctx);
        }
    }

    linear::linear(bufs.ctx, t, &lw.attention_output, bufs.a, &mut bufs.quant);
    let ln = &lw.attention_layer_norm;
    let (k, eps, x) = (bufs.quant.kernels, c.layer_norm_eps as f32, &*bufs.x);
    parallel::for_row_chunks(&mut bufs.a[..t * h], h, 1, 16 * h, |r0, rows| {
        k.add_layer_norm(rows, &x[r0 * h..r0 * h + rows.len()], ln.weight, ln.bias, eps);
    });
}

/// Scratch of `attend`.
struct Work<'w> {
    /// [S, past+S]: one scores row per query.
    scores: &'w mut [f32],
    /// [heads, D, past+S]: one batch row's keys, transposed per head.
    kt: &'w mut [f32],
    /// [past+S]: one batch row's key mask.
    allowed: &'w mut [f32],
    kernels: Kernels,
}

/// `ctx = softmax(scores)·v` for every (batch row, head, query). Query rows are independent:
/// threads split them (each row owns its `scores` row), and the result is the same for any split.
#[allow(clippy::too_many_arguments)]
fn attend(
    c: &Config,
    distance: Option<&[f32]>,
    q: &[f32],
    kv: &KeyValues<'_>,
    batch: usize,
    seq: usize,
    past: usize,
    work: Work<'_>,
    ctx: &mut [f32],
) {
    let h = c.hidden_size as usize;
    let d = c.head_dim();
    let kv_len = past + seq;
    let scores = &mut work.scores[..seq * kv_len];
    let kt = &mut work.kt[..h * kv_len];
    let allowed = &mut work.allowed[..kv_len];
    let kernels = work.kernels;
    let scale = 1.0 / libm::sqrtf(d as f32);
    for b in 0..batch {
        let ctx_b = &mut ctx[b * seq * h..(b + 1) * seq * h];
        let q_b = &q[b * seq * h..(b + 1) * seq * h];
        let v_b = &kv.v[b * kv.stride * h..];
        if distance.is_none() {
            // Keys of this batch row transposed per head: kt[head·D + dim][j].
            transpose(&kv.k[b * kv.stride * h..][..kv_len * h], h, kt);
            for (j, a) in allowed.iter_mut().enumerate() {
                *a = if kv.allowed(b, j) { 1.0 } else { 0.0 };
            }
        }
        let (kt, allowed) = (&*kt, &*allowed);
        parallel::for_row_chunks2(ctx_b, h, scores, kv_len, 2 * kv_len * h, |i0, ctx_rows, score_rows| {
            let n = ctx_rows.len() / h;
            let q_rows = &q_b[i0 * h..(i0 + n) * h];
            match distance {
                // The causal rule: the query at absolute position past + i sees keys j ≤ past + i.
                None => {
                    let limit = if c.is_decoder { past + i0 + 1 } else { kv_len };
                    let a = generic::Attention { q: q_rows, kt, v: v_b, h, d, kv_len, scale, allowed, limit, causal: c.is_decoder };
                    kernels.attend(&a, score_rows, ctx_rows);
                }
                Some(dist) => {
                    for (r, (out, row)) in ctx_rows.chunks_exact_mut(h).zip(score_rows.chunks_exact_mut(kv_len)).enumerate() {
                        let i = i0 + r;
                        attend_row_relative(c, dist, &q_rows[r * h..(r + 1) * h], kv, b, past + i, row, out);
                    }
                }
            }
        });
    }
}

/// `t[i][j] = x[j][i]` for `x` [rows, cols] (`rows = x.len() / cols`), in blocks of 16 rows so
/// each write is a 64-byte line and the 16 source rows stay in L1.
fn transpose(x: &[f32], cols: usize, t: &mut [f32]) {
    const B: usize = 16;
    let rows = x.len() / cols;
    for j0 in (0..rows).step_by(B) {
        let w = B.min(rows - j0);
        let src = &x[j0 * cols..(j0 + w) * cols];
        for i in 0..cols {
            for (u, d) in t[i * rows + j0..][..w].iter_mut().enumerate() {
                *d = src[u * cols + i];
            }
        }
    }
}

/// One query row (absolute position `l`) over every head with relative position scores
/// (transformers 4.x): `out` [H], `row` [past+S] scratch.
#[allow(clippy::too_many_arguments)]
fn attend_row_relative(c: &Config, dist: &[f32], q: &[f32], kv: &KeyValues<'_>, b: usize, l: usize, row: &mut [f32], out: &mut [f32]) {
    let h = c.hidden_size as usize;
    let d = c.head_dim();
    let p = c.max_position_embeddings as usize;
    let inv_sqrt_d = 1.0 / libm::sqrtf(d as f32);
    let key_query = c.position_embedding_type == PositionEmbeddingType::RelativeKeyQuery;
    for head in 0..c.num_attention_heads as usize {
        let off = head * d;
        let qi = &q[off..off + d];
        for (j, s) in row.iter_mut().enumerate() {
            let allowed = kv.allowed(b, j) && (!c.is_decoder || j <= l);
            if !allowed {
                *s = f32::MIN;
                continue;
            }
            let kj = &kv.k[(b * kv.stride + j) * h + off..][..d];
            // R[l, j] = distance_embedding[l - j + P - 1]; l < P and j < P keep it in range.
            let r = &dist[(l + p - 1 - j) * d..][..d];
            let mut raw = dot(qi, kj) + dot(qi, r);
            if key_query {
                raw += dot(kj, r);
            }
            *s = raw * inv_sqrt_d;
        }
        generic::softmax_in_place(row);
        generic::weighted_sum(row, &kv.v[b * kv.stride * h..], h, off, d, out);
    }
}
