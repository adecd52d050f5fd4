//! `ElectraForQuestionAnswering` (spec §5.7): `qa = X·qa_outputs.Wᵀ + b` [B, S, 2];
//! `start_logits = qa[..., 0]`, `end_logits = qa[..., 1]`, each [B, S].

use crate::format::names::HeadTensor as T;
use crate::model::weights::{Linear, Weights};
use crate::model::Scratch;
use crate::ops::linear;
use crate::Error;

pub fn weights<'a>(w: &Weights<'a>) -> Result<Linear<'a>, Error> {
    w.head_linear(T::QaOutputsWeight, T::QaOutputsBias)
}

/// `out` holds `start_logits` [T] then `end_logits` [T].
pub fn forward(w: &Weights<'_>, tokens: usize, bufs: &mut Scratch<'_>, out: &mut [f32]) -> Result<(), Error> {
    let qa_outputs = weights(w)?;
    let qa = &mut bufs.work[..tokens * 2];
    linear::linear(bufs.x, tokens, &qa_outputs, qa, &mut bufs.quant);
    let (start, end) = out.split_at_mut(tokens);
    for (t, pair) in qa.chunks_exact(2).enumerate() {
        start[t] = pair[0];
        end[t] = pair[1];
    }
    Ok(())
}
