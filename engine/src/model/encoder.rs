//! `ElectraEncoder`: L post-LayerNorm transformer layers over `bufs.x` in place.

use super::kv_cache::KvCache;
use super::weights::Weights;
use super::{layer, Inputs, Scratch};
use crate::Error;

/// Where in a layer an `Observer` sees the hidden states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// The layer input, which Q, K and V read.
    AttentionInput,
    /// The attention block's output, which the FFN reads.
    FeedForwardInput,
    /// The layer output.
    LayerOutput,
}

/// Sees intermediate hidden states (`rows` is [tokens, hidden]); used for calibration and
/// per-layer error reports, never on the inference path.
pub trait Observer {
    fn observe(&mut self, layer: usize, site: Site, rows: &[f32]);
}

pub fn forward(
    w: &Weights<'_>,
    inputs: &Inputs<'_>,
    mut cache: Option<&mut KvCache<'_>>,
    bufs: &mut Scratch<'_>,
    mut observer: Option<&mut dyn Observer>,
) -> Result<(), Error> {
    let c = &w.config;
    let tokens = inputs.batch * inputs.seq;
    let th = tokens * c.hidden_size as usize;
    let layers = c.num_hidden_layers as usize;
    if layers == 0 {
        return Ok(());
    }
    // Several threads on one batch row: a team that stays together for the whole pass.
    #[cfg(feature = "std")]
    if let Some(members) = super::team::members(w, inputs, cache.is_some(), observer.is_some()) {
        return super::team::forward(w, inputs, bufs, members);
    }
    let mut lw = w.layer(0)?;
    let in_region = layer::keys_in_region(c, inputs, cache.is_some());
    layer::project(&lw, c, tokens, in_region, bufs);
    for layer_index in 0..layers {
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer_index, Site::AttentionInput, &bufs.x[..th]);
        }
        let next = if layer_index + 1 < layers { Some(w.layer(layer_index + 1)?) } else { None };
        if layer::forward(&lw, next.as_ref(), c, inputs, layer_index, cache.as_deref_mut(), bufs) == layer::NextKeys::Spare {
            // The next layer's keys and values (and, in region, its transposed keys) were written
            // to the spare buffers.
            core::mem::swap(&mut bufs.k, &mut bufs.k_next);
            core::mem::swap(&mut bufs.v, &mut bufs.v_next);
            if in_region {
                core::mem::swap(&mut bufs.kt, &mut bufs.kt_next);
            }
        }
        if let Some(o) = observer.as_deref_mut() {
            // The layer leaves its attention block's output in `a`, which the FFN read.
            o.observe(layer_index, Site::FeedForwardInput, &bufs.a[..th]);
            o.observe(layer_index, Site::LayerOutput, &bufs.x[..th]);
        }
        if let Some(n) = next {
            lw = n;
        }
    }
    Ok(())
}
