//! The ELECTRA heads (spec §5), one file each. Each reads the encoder output `bufs.x` [T, H].

pub mod masked_lm;
pub mod multiple_choice;
pub mod pretraining;
pub mod question_answering;
pub mod sequence_classification;
pub mod token_classification;

use super::weights::Weights;
use super::{Inputs, OutputSpec, Scratch};
use crate::config::{Config, Head};
use crate::Error;

fn spec(name: &'static str, dims: &[usize]) -> OutputSpec {
    let mut shape = [1usize; 3];
    shape[..dims.len()].copy_from_slice(dims);
    OutputSpec { name, rank: dims.len(), shape }
}

/// Output names and shapes for `batch` encoder rows of `seq` tokens (`choices` per example).
pub fn outputs(head: Head, c: &Config, batch: usize, seq: usize, choices: usize) -> ([OutputSpec; 2], usize) {
    let (h, v, n) = (c.hidden_size as usize, c.vocab_size as usize, c.num_labels as usize);
    let none = spec("", &[0]);
    match head {
        Head::Base => ([spec("last_hidden_state", &[batch, seq, h]), none], 1),
        Head::PreTraining => ([spec("logits", &[batch, seq]), none], 1),
        Head::MaskedLm | Head::CausalLm => ([spec("logits", &[batch, seq, v]), none], 1),
        Head::SequenceClassification => ([spec("logits", &[batch, n]), none], 1),
        Head::MultipleChoice => {
            let choices = choices.max(1);
            ([spec("logits", &[batch / choices, choices]), none], 1)
        }
        Head::TokenClassification => ([spec("logits", &[batch, seq, n]), none], 1),
        Head::QuestionAnswering => ([spec("start_logits", &[batch, seq]), spec("end_logits", &[batch, seq])], 2),
    }
}

/// Resolves the head's weights once at load, so `forward` cannot meet a missing tensor.
pub fn check(w: &Weights<'_>, head: Head) -> Result<(), Error> {
    match head {
        Head::Base => Ok(()),
        Head::PreTraining => pretraining::weights(w).map(|_| ()),
        Head::MaskedLm | Head::CausalLm => masked_lm::weights(w).map(|_| ()),
        Head::SequenceClassification => sequence_classification::weights(w).map(|_| ()),
        Head::MultipleChoice => multiple_choice::weights(w).map(|_| ()),
        Head::TokenClassification => token_classification::weights(w).map(|_| ()),
        Head::QuestionAnswering => question_answering::weights(w).map(|_| ()),
    }
}

pub fn forward(
    w: &Weights<'_>,
    head: Head,
    inputs: &Inputs<'_>,
    bufs: &mut Scratch<'_>,
    out: &mut [f32],
) -> Result<(), Error> {
    let tokens = inputs.batch * inputs.seq;
    let h = w.config.hidden_size as usize;
    match head {
        Head::Base => {
            out.copy_from_slice(&bufs.x[..tokens * h]);
            Ok(())
        }
        Head::PreTraining => pretraining::forward(w, tokens, bufs, out),
        Head::MaskedLm | Head::CausalLm => masked_lm::forward(w, tokens, bufs, out),
        Head::SequenceClassification => sequence_classification::forward(w, inputs, bufs, out),
        Head::MultipleChoice => multiple_choice::forward(w, inputs, bufs, out),
        Head::TokenClassification => token_classification::forward(w, tokens, bufs, out),
        Head::QuestionAnswering => question_answering::forward(w, tokens, bufs, out),
    }
}
