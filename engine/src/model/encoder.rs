//! `ElectraEncoder`: L post-LayerNorm transformer layers over `bufs.x` in place.

use super::kv_cache::KvCache;
use super::weights::Weights;
use super::{attention, feed_forward, Inputs, Scratch};
use crate::Error;

pub fn forward(
    w: &Weights<'_>,
    inputs: &Inputs<'_>,
    mut cache: Option<&mut KvCache<'_>>,
    bufs: &mut Scratch<'_>,
) -> Result<(), Error> {
    let c = &w.config;
    let tokens = inputs.batch * inputs.seq;
    for layer in 0..c.num_hidden_layers as usize {
        let lw = w.layer(layer)?;
        attention::forward(&lw, c, inputs, layer, cache.as_deref_mut(), bufs);
        feed_forward::forward(&lw, c, tokens, bufs.a, bufs.inter, bufs.x);
    }
    Ok(())
}
