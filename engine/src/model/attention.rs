//! Multi-head self-attention (`attention.self` + `attention.output`, spec §4.3–4.5):
//!
//! ```text
//! q, k, v = x·Wqᵀ+bq, x·Wkᵀ+bk, x·Wvᵀ+bv                  [T, H], head h = features h·D..(h+1)·D
//! scores  = (q·kᵀ [+ q·Rᵀ] [+ k·Rᵀ]) / √D, masked → f32::MIN   [S, past+S] per (row, head)
//! ctx     = softmax(scores)·v
//! a       = LayerNorm(ctx·Woᵀ + bo + x)
//! ```
//!
//! The layer (`layer.rs`) runs it in three steps: `project_qkv` on its share of the rows, then
//! `keys` once (cache append, key transposition, key mask), then `attend` and `output` on its
//! share of the query rows.

use super::kv_cache::KvCache;
use super::weights::LayerWeights;
use crate::config::{Config, PositionEmbeddingType};
use crate::kernels::float::generic::{self, dot, kt_len, KEY_BLOCK};
use crate::kernels::Kernels;
use crate::ops::linear::{self, QuantBuf};
use crate::ops::parallel;

/// `q, k, v = x·Wᵀ + b` for some rows; `x` and the outputs hold the same rows.
pub fn project_qkv(lw: &LayerWeights<'_>, x: &[f32], q: &mut [f32], k: &mut [f32], v: &mut [f32], quant: &mut QuantBuf<'_>) {
    let (h, rows) = (lw.query.in_features, q.len() / lw.query.out_features.max(1));
    // Q, K and V share their input: quantize it once.
    let input = linear::prepare(x, rows, h, &[&lw.query, &lw.key, &lw.value], quant);
    linear::linear_rows(&input, &lw.query, q);
    linear::linear_rows(&input, &lw.key, k);
    linear::linear_rows(&input, &lw.value, v);
}

/// Keys and values every query row may see, prepared once per layer.
pub struct KeyValues<'k> {
    /// `[batch][stride rows][H]` keys and values (this call's, or the cache's).
    pub k: &'k [f32],
    pub v: &'k [f32],
    /// Rows between two batch rows (seq without a cache, capacity with one).
    pub stride: usize,
    /// Keys transposed per batch row in blocks of 16 keys (`generic::kt_index`; `kt_len(H,
    /// kv_len)` floats each), absolute positions only.
    pub kt: &'k [f32],
    /// `[batch][kv_len]` 1.0 where a key may be attended.
    pub allowed: &'k [f32],
    /// Cached positions before this call's tokens; keys are `past + seq` long.
    pub past: usize,
    pub kv_len: usize,
}

/// Appends this call's keys and values to the cache (if any), then (with `transpose`; else the
/// layer's threads did it, see `layer::keys_in_region`) transposes every batch row's keys into
/// `kt` and writes the key mask into `allowed`.
#[allow(clippy::too_many_arguments)]
pub fn keys<'k>(
    c: &Config,
    attention_mask: Option<&[u32]>,
    batch: usize,
    seq: usize,
    layer: usize,
    cache: Option<&'k mut KvCache<'_>>,
    k: &'k [f32],
    v: &'k [f32],
    kt: &'k mut [f32],
    transpose: bool,
    allowed: &'k mut [f32],
    kernels: Kernels,
) -> KeyValues<'k> {
    let h = c.hidden_size as usize;
    let (k, v, stride, past, cache_mask): (&[f32], &[f32], usize, usize, Option<&[f32]>) = match cache {
        None => (k, v, seq, 0, None),
        Some(cache) => {
            let (past, cap) = (cache.len(), cache.capacity());
            let (ck, cv, mask) = cache.layer_mut(layer);
            for b in 0..batch {
                let dst = (b * cap + past) * h;
                ck[dst..dst + seq * h].copy_from_slice(&k[b * seq * h..(b + 1) * seq * h]);
                cv[dst..dst + seq * h].copy_from_slice(&v[b * seq * h..(b + 1) * seq * h]);
            }
            (&*ck, &*cv, cap, past, Some(mask))
        }
    };
    let kv_len = past + seq;
    let ktl = kt_len(h, kv_len);
    let kt = &mut kt[..batch * ktl];
    let allowed = &mut allowed[..batch * kv_len];
    for b in 0..batch {
        let mask_b = &mut allowed[b * kv_len..(b + 1) * kv_len];
        for (j, a) in mask_b.iter_mut().enumerate() {
            let ok = match cache_mask {
                Some(m) => m[b * stride + j] != 0.0,
                None => attends(attention_mask, b * seq + j),
            };
            *a = if ok { 1.0 } else { 0.0 };
        }
        if transpose && c.position_embedding_type == PositionEmbeddingType::Absolute {
            // kt[b] in blocks of 16 keys (`generic::kt_index`), blocks split across threads.
            let kb = &k[b * stride * h..][..kv_len * h];
            let width = h * KEY_BLOCK;
            parallel::for_row_chunks(&mut kt[b * ktl..(b + 1) * ktl], width, 1, 4 * width, |b0, blocks| {
                let j0 = b0 * KEY_BLOCK;
                let j1 = (j0 + blocks.len() / width * KEY_BLOCK).min(kv_len);
                kernels.keys_blocked(&kb[j0 * h..j1 * h], h, blocks)
            });
        }
    }
    KeyValues { k, v, stride, kt, allowed, past, kv_len }
}

/// Whether token `i` of the inputs may be attended: its `attention_mask` is non-zero, or there is
/// no mask.
pub fn attends(attention_mask: Option<&[u32]>, i: usize) -> bool {
    attention_mask.is_none_or(|m| m[i] != 0)
}

/// Absolute-position attention (scaled by 1/√D, with the causal rule of decoders) of query rows
/// `q` whose first sits at position `first`, over `kv_len` keys (`kt` transposed in blocks, `v`
/// rows), for the heads whose features are the `h` columns of `q`, `kt`, `v` and `ctx`: all of
/// them, or a thread team member's (`team`).
#[allow(clippy::too_many_arguments)]
pub fn attend_absolute(c: &Config, h: usize, first: usize, q: &[f32], kt: &[f32], v: &[f32], kv_len: usize, allowed: &[f32], scores: &mut [f32], ctx: &mut [f32], kernels: Kernels) {
    let d = c.head_dim();
    // The causal rule: the query at absolute position p sees keys j ≤ p.
    let limit = if c.is_decoder { first + 1 } else { kv_len };
    let a = generic::Attention { q, kt, v, h, d, kv_len, scale: 1.0 / libm::sqrtf(d as f32), allowed, limit, causal: c.is_decoder };
    kernels.attend(&a, scores, ctx);
}

/// `ctx = softmax(scores)·v` for the query rows `r0..r0 + n` of the `[batch·seq]` token rows
/// (`q`, `scores` and `ctx` hold just those rows). Rows are independent: the result of a row
/// does not depend on which other rows are computed with it.
#[allow(clippy::too_many_arguments)]
pub fn attend(c: &Config, distance: Option<&[f32]>, kv: &KeyValues<'_>, seq: usize, r0: usize, q: &[f32], scores: &mut [f32], ctx: &mut [f32], kernels: Kernels) {
    let h = c.hidden_size as usize;
    let kv_len = kv.kv_len;
    let n = ctx.len() / h;
    // One batch row at a time: rows r..end share their keys.
    let mut r = r0;
    while r < r0 + n {
        let (b, i0) = (r / seq, r % seq);
        let end = (r0 + n).min((b + 1) * seq);
        let local = (r - r0)..(end - r0);
        let (q_rows, ctx_rows) = (&q[local.start * h..local.end * h], &mut ctx[local.start * h..local.end * h]);
        let score_rows = &mut scores[local.start * kv_len..local.end * kv_len];
        let allowed = &kv.allowed[b * kv_len..(b + 1) * kv_len];
        match distance {
            None => {
                let ktl = kt_len(h, kv_len);
                let kt = &kv.kt[b * ktl..(b + 1) * ktl];
                let v = &kv.v[b * kv.stride * h..];
                attend_absolute(c, h, kv.past + i0, q_rows, kt, v, kv_len, allowed, score_rows, ctx_rows, kernels);
            }
            Some(dist) => {
                for (u, (out, row)) in ctx_rows.chunks_exact_mut(h).zip(score_rows.chunks_exact_mut(kv_len)).enumerate() {
                    attend_row_relative(c, dist, &q_rows[u * h..(u + 1) * h], kv, b, kv.past + i0 + u, row, out);
                }
            }
        }
        r = end;
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
    let allowed = &kv.allowed[b * kv.kv_len..(b + 1) * kv.kv_len];
    for head in 0..c.num_attention_heads as usize {
        let off = head * d;
        let qi = &q[off..off + d];
        for (j, s) in row.iter_mut().enumerate() {
            if allowed[j] == 0.0 || (c.is_decoder && j > l) {
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

/// `a = LayerNorm(ctx·Woᵀ + bo + x)` for some rows.
pub fn output(lw: &LayerWeights<'_>, c: &Config, ctx: &[f32], x: &[f32], a: &mut [f32], quant: &mut QuantBuf<'_>) {
    let h = c.hidden_size as usize;
    let rows = a.len() / h;
    let input = linear::prepare(ctx, rows, h, &[&lw.attention_output], quant);
    output_prepared(lw, c, &input, x, a);
}

/// `output` on the context already prepared for `Wo` (`linear::prepare`).
pub fn output_prepared(lw: &LayerWeights<'_>, c: &Config, ctx: &linear::Prepared<'_>, x: &[f32], a: &mut [f32]) {
    linear::linear_rows(ctx, &lw.attention_output, a);
    let ln = &lw.attention_layer_norm;
    ctx.kernels.add_layer_norm(a, x, ln.weight, ln.bias, c.layer_norm_eps as f32);
}
