//! `ElectraForMultipleChoice` (spec §5.5): inputs [B, C, S] run as B·C rows; each row is
//! summarised (`summary_type`), optionally projected, activated, then scored by a [1, H]
//! classifier; logits are viewed as [B, C].

use crate::config::SummaryType;
use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::{Inputs, Scratch};
use crate::ops::{activations, linear};
use crate::Error;

pub struct MultipleChoiceHead<'a> {
    /// `sequence_summary.summary` when `summary_use_proj`.
    pub summary: Option<Linear<'a>>,
    pub classifier: Linear<'a>,
}

pub fn weights<'a>(w: &Weights<'a>) -> Result<MultipleChoiceHead<'a>, Error> {
    let summary = if w.config.summary_use_proj {
        Some(w.head_linear(T::SummaryWeight, T::SummaryBias)?)
    } else {
        None
    };
    Ok(MultipleChoiceHead { summary, classifier: w.head_linear(T::ClassifierWeight, T::ClassifierBias)? })
}

pub fn forward(w: &Weights<'_>, inputs: &Inputs<'_>, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let head = weights(w)?;
    let c = &w.config;
    let (rows, s, h) = (inputs.batch, inputs.seq, c.hidden_size as usize);
    let (summary, projected) = bufs.work.split_at_mut(rows * h);
    for r in 0..rows {
        let x = &bufs.x[r * s * h..(r + 1) * s * h];
        let dst = &mut summary[r * h..(r + 1) * h];
        match c.summary_type {
            SummaryType::First => dst.copy_from_slice(&x[..h]),
            // `last` and `cls_index` without an index: the literal last position, padding included.
            SummaryType::Last | SummaryType::ClsIndex => dst.copy_from_slice(&x[(s - 1) * h..]),
            // Mean over all S positions; padding is NOT excluded.
            SummaryType::Mean => {
                dst.fill(0.0);
                for pos in x.chunks_exact(h) {
                    for (d, v) in dst.iter_mut().zip(pos) {
                        *d += v;
                    }
                }
                for d in dst.iter_mut() {
                    *d /= s as f32;
                }
            }
        }
    }
    let projected = &mut projected[..rows * h];
    match &head.summary {
        Some(proj) => linear::linear(summary, rows, proj, projected, &mut bufs.quant),
        None => projected.copy_from_slice(summary),
    }
    if let Some(act) = c.summary_activation {
        activations::activate_in_place(act, projected, 0.0, bufs.quant.kernels);
    }
    linear::linear(projected, rows, &head.classifier, out, &mut bufs.quant);
    Ok(())
}
