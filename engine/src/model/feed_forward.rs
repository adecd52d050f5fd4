//! The FFN half of an encoder layer: `x = LayerNorm(act(a·Wiᵀ + bi)·Woᵀ + bo + a)`.

use super::weights::LayerWeights;
use crate::config::Config;
use crate::kernels::prefetch::Prefetch;
use crate::ops::activations;
use crate::ops::linear::{self, QuantBuf};

/// Up to this many rows, the output projection streams its weights from L3 (it reads them once
/// per 32-row block) and the activation asks for them ahead: in chunks of `ACT_CHUNK` values, each
/// followed by `LINES_PER_CHUNK` cache lines, so 16 rows of 1024 ask for 128 KiB, the first half
/// of ELECTRA-small's matrix. Measured (docs/performance.md): 3% off a seq-16 pass with 64 lines
/// per chunk (session 5); once GELU got faster (session 6), 32 lines measured 1.5% better than
/// 64. With 64 rows per thread (seq 128, 2 threads) it cost 2–3%, so more rows run the activation
/// in one call.
const PREFETCH_ROWS: usize = 32;
const ACT_CHUNK: usize = 256;
const LINES_PER_CHUNK: usize = 32;

/// For some rows: `a` [rows, H] is the attention block's output, `inter` [rows, I] scratch; the
/// layer's output goes to `x` [rows, H].
pub fn forward(lw: &LayerWeights<'_>, c: &Config, a: &[f32], inter: &mut [f32], x: &mut [f32], quant: &mut QuantBuf<'_>) {
    let h = c.hidden_size as usize;
    let rows = x.len() / h;
    let input = linear::prepare(a, rows, h, &[&lw.intermediate], quant);
    linear::linear_rows(&input, &lw.intermediate, inter);
    // The activation runs a few rows at a time, each group quantized while in L1; with few rows,
    // in chunks, each followed by a burst of the output projection's weights (`kernels::prefetch`):
    // that matrix then streams from L3 while the activation runs.
    let (act, prelu, kernels) = (c.hidden_act, lw.intermediate_act_weight, quant.kernels);
    let mut next = Prefetch::new(if rows <= PREFETCH_ROWS { lw.output.weight.bytes() } else { &[] });
    let input = linear::prepare_mapped(inter, rows, lw.output.in_features, &[&lw.output], quant, |group| {
        if next.remaining() == 0 {
            return activations::activate_in_place(act, group, prelu, kernels);
        }
        for part in group.chunks_mut(ACT_CHUNK) {
            activations::activate_in_place(act, part, prelu, kernels);
            next.lines(LINES_PER_CHUNK);
        }
    });
    linear::linear_rows(&input, &lw.output, x);
    let ln = &lw.output_layer_norm;
    quant.kernels.add_layer_norm(x, a, ln.weight, ln.bias, c.layer_norm_eps as f32);
}
