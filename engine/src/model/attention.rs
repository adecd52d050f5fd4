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
use crate::ops::{layer_norm, linear, softmax};

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

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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
            attend(c, lw.distance_embedding, bufs.q, &kv, batch, seq, 0, bufs.scores, bufs.ctx);
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
            attend(c, lw.distance_embedding, bufs.q, &kv, batch, seq, past, bufs.scores, bufs.ctx);
        }
    }

    linear::linear(bufs.ctx, t, &lw.attention_output, bufs.a, &mut bufs.quant);
    let ln = &lw.attention_layer_norm;
    layer_norm::add_layer_norm(&mut bufs.a[..t * h], &bufs.x[..t * h], ln.weight, ln.bias, c.layer_norm_eps as f32);
}

/// `ctx = softmax(scores)·v` for every (batch row, head, query).
#[allow(clippy::too_many_arguments)]
fn attend(
    c: &Config,
    distance: Option<&[f32]>,
    q: &[f32],
    kv: &KeyValues<'_>,
    batch: usize,
    seq: usize,
    past: usize,
    scores: &mut [f32],
    ctx: &mut [f32],
) {
    let h = c.hidden_size as usize;
    let d = c.head_dim();
    let p = c.max_position_embeddings as usize;
    let kv_len = past + seq;
    let inv_sqrt_d = 1.0 / libm::sqrtf(d as f32);
    let relative = c.position_embedding_type;
    for b in 0..batch {
        for head in 0..c.num_attention_heads as usize {
            let off = head * d;
            for i in 0..seq {
                let qi = &q[(b * seq + i) * h + off..][..d];
                // Absolute position of this query: the distance table and the causal rule use it.
                let l = past + i;
                let row = &mut scores[..kv_len];
                for (j, s) in row.iter_mut().enumerate() {
                    let allowed = kv.allowed(b, j) && (!c.is_decoder || j <= l);
                    if !allowed {
                        *s = f32::MIN;
                        continue;
                    }
                    let kj = &kv.k[(b * kv.stride + j) * h + off..][..d];
                    let mut raw = dot(qi, kj);
                    if let Some(dist) = distance {
                        // R[l, j] = distance_embedding[l - j + P - 1]; l < P and j < P keep it in range.
                        let r = &dist[(l + p - 1 - j) * d..][..d];
                        raw += dot(qi, r);
                        if relative == PositionEmbeddingType::RelativeKeyQuery {
                            raw += dot(kj, r);
                        }
                    }
                    *s = raw * inv_sqrt_d;
                }
                softmax::softmax_in_place(row);
                let out = &mut ctx[(b * seq + i) * h + off..][..d];
                out.fill(0.0);
                for (j, &pj) in row.iter().enumerate() {
                    if pj == 0.0 {
                        continue;
                    }
                    let vj = &kv.v[(b * kv.stride + j) * h + off..][..d];
                    for (o, v) in out.iter_mut().zip(vj) {
                        *o += pj * v;
                    }
                }
            }
        }
    }
}
