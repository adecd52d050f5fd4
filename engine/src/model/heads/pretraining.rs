//! `ElectraForPreTraining` (the discriminator, replaced-token detection, spec §5.1):
//! `logits = act(X·dense.Wᵀ + b)·dense_prediction.Wᵀ + b`, [B, S]; logit > 0 means "replaced".

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::Scratch;
use crate::ops::{activations, linear};
use crate::Error;

pub struct PreTrainingHead<'a> {
    pub dense: Linear<'a>,
    pub dense_prediction: Linear<'a>,
    /// PReLU slope when `hidden_act` is `prelu` (`discriminator_predictions.activation.weight`).
    pub act_weight: f32,
}

pub fn weights<'a>(w: &Weights<'a>) -> Result<PreTrainingHead<'a>, Error> {
    Ok(PreTrainingHead {
        dense: w.head_linear(T::DiscriminatorDenseWeight, T::DiscriminatorDenseBias)?,
        dense_prediction: w.head_linear(T::DiscriminatorPredictionWeight, T::DiscriminatorPredictionBias)?,
        act_weight: w.head_f32s(T::DiscriminatorActWeight)?.and_then(|a| a.first().copied()).unwrap_or(0.0),
    })
}

pub fn forward(w: &Weights<'_>, tokens: usize, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let head = weights(w)?;
    let h = w.config.hidden_size as usize;
    let hidden = &mut bufs.head[..tokens * h];
    linear::linear(bufs.x, tokens, &head.dense, hidden, &mut bufs.quant);
    activations::activate_in_place(w.config.hidden_act, hidden, head.act_weight, bufs.quant.kernels);
    linear::linear(hidden, tokens, &head.dense_prediction, out, &mut bufs.quant);
    Ok(())
}
