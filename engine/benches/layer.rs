//! One ELECTRA-small encoder layer, end to end, per kernel set: every GEMM, attention, LayerNorm,
//! GELU and quantization of a layer, as `Model::forward` runs them, on one thread.
//!
//! ```text
//! cargo bench -p electra-engine --bench layer
//! ```
//!
//! Two int8 models with random weights (ELECTRA-small shapes: E 128, H 256, 4 heads, I 1024) are
//! built in memory, with no encoder layer and with one, both with the base head (the output is
//! the last hidden state). `layers/0` is the embeddings (lookup, LayerNorm, projection to H);
//! `layers/1 − layers/0` is one encoder layer. Both at seq 16 and 128, batch 1. The layer's
//! 768 KiB of weights come from L2 or L3 here, as the bench loop leaves them, not from the 9 MiB
//! stream of a real 12-layer pass; `electra bench` on a converted file measures whole passes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use electra_engine::buffer::AlignedBytes;
use electra_engine::config::{Activation, Config, Head, PositionEmbeddingType, SummaryType};
use electra_engine::format::names::{self, Role};
use electra_engine::format::write::{FileBuilder, HeaderInfo};
use electra_engine::format::DType;
use electra_engine::kernels::{pack, Isa, Kernels};
use electra_engine::{Inputs, Model, ModelFile};
use std::hint::black_box;
use std::time::Duration;

const SEQS: [usize; 2] = [16, 128];

fn electra_small(layers: u32) -> Config {
    Config {
        vocab_size: 30522,
        embedding_size: 128,
        hidden_size: 256,
        num_hidden_layers: layers,
        num_attention_heads: 4,
        intermediate_size: 1024,
        hidden_act: Activation::Gelu,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        position_embedding_type: PositionEmbeddingType::Absolute,
        is_decoder: false,
        num_labels: 2,
        summary_type: SummaryType::First,
        summary_use_proj: true,
        summary_activation: None,
        pad_token_id: 0,
    }
}

/// xorshift64: deterministic weights.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn i8(&mut self) -> i8 {
        ((self.next() % 255) as i32 - 127) as i8
    }
    fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

/// An int8 model file of `config` with random weights: matrices packed as the converter packs
/// them, tables row-major, LayerNorm weights near 1, other parameters small.
fn model_bytes(config: &Config) -> AlignedBytes {
    let mut rng = Rng(0x5EED);
    let mut b = FileBuilder::new();
    for spec in names::expected(config, Head::Base, false).filter(|s| !s.optional) {
        let name = spec.name();
        let dims = spec.dims();
        let cols = *dims.last().unwrap_or(&1) as usize;
        let rows = dims.iter().map(|&d| d as usize).product::<usize>() / cols.max(1);
        match spec.role {
            Role::Param => {
                let layer_norm_weight = name.as_str().ends_with("LayerNorm.weight");
                let x: Vec<f32> =
                    (0..rows * cols).map(|_| if layer_norm_weight { rng.f32(0.8, 1.2) } else { rng.f32(-0.1, 0.1) }).collect();
                b.add_f32(name.as_str(), dims, &x);
            }
            Role::Matrix | Role::Table => {
                let q: Vec<i8> = (0..rows * cols).map(|_| rng.i8()).collect();
                let scales: Vec<f32> = (0..rows).map(|_| rng.f32(0.5, 1.0) / (127.0 * (cols as f32).sqrt())).collect();
                let mut sums = vec![0i32; rows];
                pack::row_sums(&q, rows, cols, &mut sums);
                if spec.role == Role::Matrix {
                    let mut packed = vec![0i8; pack::packed_len(rows, cols)];
                    pack::pack_panel16x4(&q, rows, cols, &mut packed);
                    b.add_i8_panel(name.as_str(), [rows as u32, cols as u32], &packed, &scales, &sums);
                } else {
                    b.add_i8(name.as_str(), dims, &q, &scales, &sums);
                }
            }
        }
    }
    let info = HeaderInfo {
        config: config.clone(),
        head: Head::Base,
        weight_dtype: DType::I8,
        lm_head_tied: false,
        labels: Vec::new(),
        tokenizer: None,
        producer: "benches/layer.rs".into(),
    };
    b.build(&info).expect("the bench model builds")
}

fn layer(c: &mut Criterion) {
    let files: Vec<(u32, AlignedBytes)> = [0, 1].map(|l| (l, model_bytes(&electra_small(l)))).into();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a 1-thread pool");
    for seq in SEQS {
        let ids: Vec<u32> = (0..seq as u32).map(|i| 1000 + i * 211 % 29000).collect();
        let inputs = Inputs::new(&ids, 1, seq);
        for (layers, bytes) in &files {
            let mut g = c.benchmark_group(format!("layers/{layers}/seq{seq}"));
            g.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
            for isa in Isa::ALL {
                let Ok(kernels) = Kernels::force(isa) else { continue };
                let model = Model::with_kernels(ModelFile::parse(bytes).expect("parses"), kernels).expect("loads");
                let mut scratch = vec![0.0f32; model.scratch_len(1, seq, 0)];
                let mut out = vec![0.0f32; model.output_len(1, seq, 1)];
                g.bench_function(BenchmarkId::from_parameter(kernels.name()), |b| {
                    pool.install(|| b.iter(|| model.forward(black_box(&inputs), &mut scratch, &mut out).expect("runs")))
                });
                assert!(out.iter().all(|v| v.is_finite()), "{} layers, {}: non-finite output", layers, kernels.name());
            }
            g.finish();
        }
    }
}

criterion_group!(benches, layer);
criterion_main!(benches);
