//! The FFN half of an encoder layer: `x = LayerNorm(act(a·Wiᵀ + bi)·Woᵀ + bo + a)`.

use super::weights::LayerWeights;
use crate::config::{Activation, Config};
use crate::ops::linear::QuantBuf;
use crate::ops::{activations, linear, parallel};

/// `a` [T, H] is the attention block's output; the layer's output goes to `x` [T, H].
pub fn forward(
    lw: &LayerWeights<'_>,
    c: &Config,
    tokens: usize,
    a: &[f32],
    inter: &mut [f32],
    x: &mut [f32],
    quant: &mut QuantBuf<'_>,
) {
    let (h, i) = (c.hidden_size as usize, c.intermediate_size as usize);
    let inter = &mut inter[..tokens * i];
    linear::linear(a, tokens, &lw.intermediate, inter, quant);
    if c.hidden_act == Activation::Gelu {
        let k = quant.kernels;
        parallel::for_row_chunks(inter, i, 1, 32 * i, |_, rows| k.gelu_in_place(rows));
    } else {
        activations::activate_in_place(c.hidden_act, inter, lw.intermediate_act_weight);
    }
    let x = &mut x[..tokens * h];
    linear::linear(inter, tokens, &lw.output, x, quant);
    let ln = &lw.output_layer_norm;
    let (k, eps) = (quant.kernels, c.layer_norm_eps as f32);
    parallel::for_row_chunks(x, h, 1, 16 * h, |r0, rows| {
        let residual = &a[r0 * h..r0 * h + rows.len()];
        k.add_layer_norm(rows, residual, ln.weight, ln.bias, eps);
    });
}
