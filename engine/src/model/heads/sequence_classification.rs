//! `ElectraForSequenceClassification` (`ElectraClassificationHead`, spec §5.4):
//! `logits = gelu(X[:, 0]·dense.Wᵀ + b)·out_proj.Wᵀ + b`, [B, N]. `gelu` is hard-coded.

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::{Inputs, Scratch};
use crate::ops::{activations, linear};
use crate::Error;

pub struct ClassificationHead<'a> {
    pub dense: Linear<'a>,
    pub out_proj: Linear<'a>,
}

pub fn weights<'a>(w: &Weights<'a>) -> Result<ClassificationHead<'a>, Error> {
    Ok(ClassificationHead {
        dense: w.head_linear(T::ClassifierDenseWeight, T::ClassifierDenseBias)?,
        out_proj: w.head_linear(T::ClassifierOutProjWeight, T::ClassifierOutProjBias)?,
    })
}

pub fn forward(w: &Weights<'_>, inputs: &Inputs<'_>, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let head = weights(w)?;
    let (b, s, h) = (inputs.batch, inputs.seq, w.config.hidden_size as usize);
    let (first, hidden) = bufs.work.split_at_mut(b * h);
    // x = X[:, 0, :], the [CLS] position with right padding.
    for r in 0..b {
        first[r * h..(r + 1) * h].copy_from_slice(&bufs.x[r * s * h..][..h]);
    }
    let hidden = &mut hidden[..b * h];
    linear::linear(first, b, &head.dense, hidden, &mut bufs.quant);
    activations::activate_in_place(crate::config::Activation::Gelu, hidden, 0.0, bufs.quant.kernels);
    linear::linear(hidden, b, &head.out_proj, out, &mut bufs.quant);
    Ok(())
}
