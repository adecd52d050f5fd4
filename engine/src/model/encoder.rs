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
    for layer_index in 0..c.num_hidden_layers as usize {
        let lw = w.layer(layer_index)?;
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer_index, Site::AttentionInput, &bufs.x[..th]);
        }
        layer::forward(&lw, c, inputs, layer_index, cache.as_deref_mut(), bufs);
        if let Some(o) = observer.as_deref_mut() {
            // The layer leaves its attention block's output in `a`, which the FFN read.
            o.observe(layer_index, Site::FeedForwardInput, &bufs.a[..th]);
        }
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer_index, Site::LayerOutput, &bufs.x[..th]);
        }
    }
    Ok(())
}
