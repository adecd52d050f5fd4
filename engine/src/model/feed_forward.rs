//! The FFN half of an encoder layer: `x = LayerNorm(act(a·Wiᵀ + bi)·Woᵀ + bo + a)`.

use super::weights::LayerWeights;
use crate::config::Config;
use crate::kernels::prefetch::Prefetch;
use crate::ops::activations;
use crate::ops::linear::{self, QuantBuf};

/// Up to this many rows, the output projection streams its weights from L3 (it reads them once
/// per 32-row block), so the activation asks for them ahead, `LINES_PER_16` cache lines after
/// every 16 values (`kernels::prefetch`): at 16 rows of 1024, 2048 lines, the first 128 KiB of
/// ELECTRA-small's 256 KiB matrix. Paced through the loop, the misses overlap the activation;
/// bursts of 32 or 64 lines between 256-value chunks stall the core once its miss queue is full
/// (docs/performance.md: the paced form measured 0.967 of the bursts at seq 16, 1 line per 16
/// values 1.009, 3 lines 0.977). With 64 rows per thread (seq 128, 2 threads) the bursts cost
/// 2–3%, hence the row limit.
const PREFETCH_ROWS: usize = 32;
const LINES_PER_16: usize = 2;

/// For some rows: `a` [rows, H] is the attention block's output, `inter` [rows, I] scratch; the
/// layer's output goes to `x` [rows, H].
pub fn forward(lw: &LayerWeights<'_>, c: &Config, a: &[f32], inter: &mut [f32], x: &mut [f32], quant: &mut QuantBuf<'_>) {
    let h = c.hidden_size as usize;
    let rows = x.len() / h;
    let input = linear::prepare(a, rows, h, &[&lw.intermediate], quant);
    linear::linear_rows(&input, &lw.intermediate, inter);
    // The activation runs a few rows at a time, each group quantized while in L1; with few rows
    // it asks for the output projection's weights as it goes (`kernels::prefetch`).
    let (act, prelu, kernels) = (c.hidden_act, lw.intermediate_act_weight, quant.kernels);
    let mut next = Prefetch::new(if rows <= PREFETCH_ROWS { lw.output.weight.bytes() } else { &[] }).per_step(LINES_PER_16);
    let input = linear::prepare_mapped(inter, rows, lw.output.in_features, &[&lw.output], quant, |group| {
        activations::activate_in_place_prefetching(act, group, prelu, kernels, &mut next)
    });
    linear::linear_rows(&input, &lw.output, x);
    let ln = &lw.output_layer_norm;
    quant.kernels.add_layer_norm(x, a, ln.weight, ln.bias, c.layer_norm_eps as f32);
}
