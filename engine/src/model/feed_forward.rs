//! The FFN half of an encoder layer: `x = LayerNorm(act(a·Wiᵀ + bi)·Woᵀ + bo + a)`.

use super::weights::LayerWeights;
use crate::config::Config;
use crate::ops::activations;
use crate::ops::linear::{self, QuantBuf};

/// For some rows: `a` [rows, H] is the attention block's output, `inter` [rows, I] scratch; the
/// layer's output goes to `x` [rows, H].
pub fn forward(lw: &LayerWeights<'_>, c: &Config, a: &[f32], inter: &mut [f32], x: &mut [f32], quant: &mut QuantBuf<'_>) {
    let h = c.hidden_size as usize;
    let rows = x.len() / h;
    let input = linear::prepare(a, rows, h, &[&lw.intermediate], quant);
    linear::linear_rows(&input, &lw.intermediate, inter);
    activations::activate_in_place(c.hidden_act, inter, lw.intermediate_act_weight, quant.kernels);
    let input = linear::prepare(inter, rows, lw.output.in_features, &[&lw.output], quant);
    linear::linear_rows(&input, &lw.output, x);
    let ln = &lw.output_layer_norm;
    quant.kernels.add_layer_norm(x, a, ln.weight, ln.bias, c.layer_norm_eps as f32);
}
