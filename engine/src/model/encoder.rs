//! `ElectraEncoder`: L post-LayerNorm transformer layers over `bufs.x` in place.

use super::kv_cache::KvCache;
use super::weights::Weights;
use super::{attention, feed_forward, Inputs, Scratch};
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
    for layer in 0..c.num_hidden_layers as usize {
        let lw = w.layer(layer)?;
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer, Site::AttentionInput, &bufs.x[..th]);
        }
        attention::forward(&lw, c, inputs, layer, cache.as_deref_mut(), bufs);
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer, Site::FeedForwardInput, &bufs.a[..th]);
        }
        feed_forward::forward(&lw, c, tokens, bufs.a, bufs.inter, bufs.x, &mut bufs.quant);
        if let Some(o) = observer.as_deref_mut() {
            o.observe(layer, Site::LayerOutput, &bufs.x[..th]);
        }
    }
    Ok(())
}
