//! `ElectraEmbeddings` and `embeddings_project` (spec §4.2):
//! `x = project(LayerNorm((word[id] + token_type[tt]) + position[past + s]))`.

use super::weights::Weights;
use super::{Inputs, Scratch};
use crate::format::names::EmbTensor;
use crate::ops::linear::{self, QuantBuf};
use crate::ops::parallel::{self, Rows};
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
    let qw = bufs.quant.q.len() / t.max(1);
    let rows = EmbRows {
        emb: &mut bufs.emb[..t * e],
        x: &mut bufs.x[..t * h],
        quant_q: &mut bufs.quant.q[..t * qw],
        scales: &mut bufs.quant.scales[..t],
        e,
        h,
        qw,
    };
    // Every step is local to a token row: one parallel region (the lookup's cache misses and the
    // LayerNorm ran on one thread before the projection's GEMM).
    let work = e * h.max(16);
    parallel::for_rows(t, 8, work, rows, |r0, r| {
        for (u, row) in r.emb.chunks_exact_mut(e).enumerate() {
            let n = r0 + u;
            let id = inputs.input_ids[n] as usize;
            let tt = inputs.token_type_ids.map_or(0, |tt| tt[n] as usize);
            word.row_into(id, row);
            token_type.add_row_into(tt, row);
            if absolute {
                position.add_row_into(past + n % inputs.seq, row);
            }
        }
        kernels.add_layer_norm(r.emb, &[], ln.weight, ln.bias, eps);
        match &project {
            Some(project) => {
                let mut quant = QuantBuf { q: r.quant_q, scales: r.scales, kernels };
                let n = r.emb.len() / e.max(1);
                let input = linear::prepare(r.emb, n, e, &[project], &mut quant);
                linear::linear_rows(&input, project, r.x);
            }
            None => r.x.copy_from_slice(r.emb),
        }
    });
    Ok(())
}

/// The token rows the embeddings are computed on.
struct EmbRows<'a> {
    emb: &'a mut [f32],
    x: &'a mut [f32],
    quant_q: &'a mut [i8],
    scales: &'a mut [f32],
    e: usize,
    h: usize,
    qw: usize,
}

impl Rows for EmbRows<'_> {
    fn split_at_row(self, r: usize) -> (Self, Self) {
        let (e, h, qw) = (self.e, self.h, self.qw);
        let (m0, m1) = self.emb.split_at_mut(r * e);
        let (x0, x1) = self.x.split_at_mut(r * h);
        let (b0, b1) = self.quant_q.split_at_mut(r * qw);
        let (s0, s1) = self.scales.split_at_mut(r);
        (EmbRows { emb: m0, x: x0, quant_q: b0, scales: s0, e, h, qw }, EmbRows { emb: m1, x: x1, quant_q: b1, scales: s1, e, h, qw })
    }
}
