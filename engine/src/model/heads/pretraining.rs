//! `ElectraForPreTraining` (the discriminator, replaced-token detection, spec §5.1):
//! `logits = act(X·dense.Wᵀ + b)·dense_prediction.Wᵀ + b`, [B, S]; logit > 0 means "replaced".

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::Scratch;
use crate::ops::linear::{self, QuantBuf};
use crate::ops::parallel::{self, In, Out};
use crate::ops::activations;
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
    let kernels = bufs.quant.kernels;
    let qw = bufs.quant_width(tokens);
    let rows = (In(&bufs.x[..tokens * h], h), Out(&mut bufs.work[..tokens * h], h), Out(&mut out[..tokens], 1), Out(&mut bufs.quant.q[..tokens * qw], qw), Out(&mut bufs.quant.scales[..tokens], 1));
    // Local to each token row: one parallel region for both linears and the activation.
    parallel::for_rows(tokens, 8, h * h, rows, |_, (In(x, _), Out(hidden, _), Out(out, _), Out(q, _), Out(scales, _))| {
        let mut quant = QuantBuf { q, scales, kernels };
        let n = out.len();
        let input = linear::prepare(x, n, h, &[&head.dense], &mut quant);
        linear::linear_rows(&input, &head.dense, hidden);
        activations::activate_in_place(w.config.hidden_act, hidden, head.act_weight, kernels);
        let input = linear::prepare(hidden, n, h, &[&head.dense_prediction], &mut quant);
        linear::linear_rows(&input, &head.dense_prediction, out);
    });
    Ok(())
}
