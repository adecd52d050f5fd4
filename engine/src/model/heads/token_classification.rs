//! `ElectraForTokenClassification` (spec §5.6): `logits = X·classifier.Wᵀ + b`, [B, S, N].

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::Scratch;
use crate::ops::linear;
use crate::Error;

pub fn weights<'a>(w: &Weights<'a>) -> Result<Linear<'a>, Error> {
    w.head_linear(T::ClassifierWeight, T::ClassifierBias)
}

pub fn forward(w: &Weights<'_>, tokens: usize, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let classifier = weights(w)?;
    linear::linear(bufs.x, tokens, &classifier, out, &mut bufs.quant);
    Ok(())
}
