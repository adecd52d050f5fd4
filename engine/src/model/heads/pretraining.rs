//! `ElectraForPreTraining` (the discriminator, replaced-token detection, spec §5.1):
//! `logits = act(X·dense.Wᵀ + b)·dense_prediction.Wᵀ + b`, [B, S]; logit > 0 means "replaced".

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::Scratch;
use crate::ops::linear::{self, QuantBuf};
use crate::ops::parallel::{self, Rows};
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
    let qw = bufs.quant.q.len() / tokens.max(1);
    let rows = HeadRows {
        x: &bufs.x[..tokens * h],
        hidden: &mut bufs.head[..tokens * h],
        out: &mut out[..tokens],
        quant_q: &mut bufs.quant.q[..tokens * qw],
        scales: &mut bufs.quant.scales[..tokens],
        h,
        qw,
    };
    // Local to each token row: one parallel region for both linears and the activation.
    parallel::for_rows(tokens, 8, h * h, rows, |_, r| {
        let mut quant = QuantBuf { q: r.quant_q, scales: r.scales, kernels };
        let n = r.out.len();
        let input = linear::prepare(r.x, n, h, &[&head.dense], &mut quant);
        linear::linear_rows(&input, &head.dense, r.hidden);
        activations::activate_in_place(w.config.hidden_act, r.hidden, head.act_weight, kernels);
        let input = linear::prepare(r.hidden, n, h, &[&head.dense_prediction], &mut quant);
        linear::linear_rows(&input, &head.dense_prediction, r.out);
    });
    Ok(())
}

/// The token rows the head runs on: one logit per row.
struct HeadRows<'a> {
    x: &'a [f32],
    hidden: &'a mut [f32],
    out: &'a mut [f32],
    quant_q: &'a mut [i8],
    scales: &'a mut [f32],
    h: usize,
    qw: usize,
}

impl Rows for HeadRows<'_> {
    fn split_at_row(self, r: usize) -> (Self, Self) {
        let (h, qw) = (self.h, self.qw);
        let (x0, x1) = self.x.split_at(r * h);
        let (g0, g1) = self.hidden.split_at_mut(r * h);
        let (o0, o1) = self.out.split_at_mut(r);
        let (b0, b1) = self.quant_q.split_at_mut(r * qw);
        let (s0, s1) = self.scales.split_at_mut(r);
        (
            HeadRows { x: x0, hidden: g0, out: o0, quant_q: b0, scales: s0, h, qw },
            HeadRows { x: x1, hidden: g1, out: o1, quant_q: b1, scales: s1, h, qw },
        )
    }
}
