//! `ElectraEmbeddings` and `embeddings_project` (spec §4.2):
//! `x = project(LayerNorm((word[id] + token_type[tt]) + position[past + s]))`.

use super::weights::Weights;
use super::{Inputs, Scratch};
use crate::format::names::EmbTensor;
use crate::ops::linear;
use crate::Error;

pub fn forward(w: &Weights<'_>, inputs: &Inputs<'_>, past: usize, bufs: &mut Scratch<'_>) -> Result<(), Error> {
    let c = &w.config;
    let e = c.embedding_size as usize;
    let word = w.emb_table(EmbTensor::Word)?;
    let token_type = w.emb_table(EmbTensor::TokenType)?;
    let position = w.emb_table(EmbTensor::Position)?;
    let absolute = !c.is_relative();
    let t = inputs.batch * inputs.seq;
    for (n, row) in bufs.emb[..t * e].chunks_exact_mut(e).enumerate() {
        let id = inputs.input_ids[n] as usize;
        let tt = inputs.token_type_ids.map_or(0, |tt| tt[n] as usize);
        word.row_into(id, row);
        token_type.add_row_into(tt, row);
        if absolute {
            position.add_row_into(past + n % inputs.seq, row);
        }
    }
    let ln = w.emb_layer_norm()?;
    bufs.quant.kernels.add_layer_norm(&mut bufs.emb[..t * e], &[], ln.weight, ln.bias, c.layer_norm_eps as f32);
    match w.embeddings_project()? {
        Some(project) => linear::linear(bufs.emb, t, &project, bufs.x, &mut bufs.quant),
        None => bufs.x[..t * e].copy_from_slice(&bufs.emb[..t * e]),
    }
    Ok(())
}
