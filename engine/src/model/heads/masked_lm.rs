//! `ElectraForMaskedLM` and `ElectraForCausalLM` (the generator, spec §5.2–5.3):
//! `logits = LayerNorm(gelu(X·dense.Wᵀ + b))·Wlmᵀ + lm_bias`, [B, S, V]. `gelu` is hard-coded;
//! `Wlm` is `generator_lm_head.weight`, or the word-embedding table when tied.

use crate::format::names::HeadTensor as T;
use crate::model::weights::{LayerNorm, Linear, Weights};
use crate::model::Scratch;
use crate::ops::{activations, linear};
use crate::Error;

pub struct GeneratorHead<'a> {
    pub dense: Linear<'a>,
    pub layer_norm: LayerNorm<'a>,
    pub lm_head: Linear<'a>,
}

pub fn weights<'a>(w: &Weights<'a>) -> Result<GeneratorHead<'a>, Error> {
    Ok(GeneratorHead {
        dense: w.head_linear(T::GeneratorDenseWeight, T::GeneratorDenseBias)?,
        layer_norm: w.head_layer_norm(T::GeneratorLayerNormWeight, T::GeneratorLayerNormBias)?,
        lm_head: w.lm_head()?,
    })
}

pub fn forward(w: &Weights<'_>, tokens: usize, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let head = weights(w)?;
    let e = w.config.embedding_size as usize;
    let g = &mut bufs.work[..tokens * e];
    linear::linear(bufs.x, tokens, &head.dense, g, &mut bufs.quant);
    activations::activate_in_place(crate::config::Activation::Gelu, g, 0.0, bufs.quant.kernels);
    let ln = head.layer_norm;
    bufs.quant.kernels.add_layer_norm(g, &[], ln.weight, ln.bias, w.config.layer_norm_eps as f32);
    linear::linear(g, tokens, &head.lm_head, out, &mut bufs.quant);
    Ok(())
}
