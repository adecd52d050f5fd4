//! `ElectraEmbeddings` and `embeddings_project` (spec §4.2):
//! `x = project(LayerNorm((word[id] + token_type[tt]) + position[past + s]))`.

use super::weights::Weights;
use super::{Inputs, Scratch};
use crate::format::names::EmbTensor;
use crate::ops::linear::{self, QuantBuf};
use crate::ops::parallel::{self, Out};
use crate::Error;

pub fn forward(w: &Weights<'_>, inputs: &Inputs<'_>, past: usize, bufs: &mut Scratch<'_>) -> Result<(), Error> {
    let c = &w.config;
    let (e, h) = (c.embedding_size as usize, c.hidden_size as usize);
    let word = w.emb_table(EmbTensor::Word)?;
    let token_type = w.emb_table(EmbTensor::TokenType)?;
    let position = w.emb_table(EmbTensor::Position)?;
    let ln = w.emb_layer_norm()?;
    let project = w.embeddings_project()?;
    let absolute = !c.is_relative();
    let eps = c.layer_norm_eps as f32;
    let t = inputs.batch * inputs.seq;
    let kernels = bufs.quant.kernels;
    let qw = bufs.quant_width(t);
    let rows = (Out(&mut bufs.work[..t * e], e), Out(&mut bufs.x[..t * h], h), Out(&mut bufs.quant.q[..t * qw], qw), Out(&mut bufs.quant.scales[..t], 1));
    // Every step is local to a token row: one parallel region (the lookup's cache misses and the
    // LayerNorm ran on one thread before the projection's GEMM).
    let work = e * h; // the projection's MACs per row
    parallel::for_rows(t, 8, work, rows, |r0, (Out(emb, _), Out(x, _), Out(quant_q, _), Out(scales, _))| {
        for (u, row) in emb.chunks_exact_mut(e).enumerate() {
            let n = r0 + u;
            let id = inputs.input_ids[n] as usize;
            let tt = inputs.token_type_ids.map_or(0, |tt| tt[n] as usize);
            word.row_into(id, row);
            token_type.add_row_into(tt, row);
            if absolute {
                position.add_row_into(past + n % inputs.seq, row);
            }
        }
        kernels.add_layer_norm(emb, &[], ln.weight, ln.bias, eps);
        match &project {
            Some(project) => {
                let mut quant = QuantBuf { q: quant_q, scales, kernels };
                let n = emb.len() / e.max(1);
                let input = linear::prepare(emb, n, e, &[project], &mut quant);
                linear::linear_rows(&input, project, x);
            }
            None => x.copy_from_slice(emb),
        }
    });
    Ok(())
}
