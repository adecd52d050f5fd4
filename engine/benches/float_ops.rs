//! The f32 work of an ELECTRA-small layer at seq 128, per kernel set: GELU over the FFN's
//! [128 × 1024], LayerNorm with residual over [128 × 256], activation quantization of [128 × 256]
//! softmax over the 4 heads × 128 rows of 128 scores, and attention (4 heads of 64, 128 and 16
//! keys).
//!
//! ```text
//! cargo bench -p electra-engine --bench float_ops
//! ```
//!
//! Throughput is in elements: values for GELU, LayerNorm and quantization, multiply-accumulates
//! (Q·Kᵀ plus P·V) for attention.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use electra_engine::kernels::float::generic::Attention;
use electra_engine::kernels::{Isa, Kernels};
use std::hint::black_box;
use std::time::Duration;

const SEQ: usize = 128;
const H: usize = 256;
const I: usize = 1024;
const D: usize = 64;

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 6.0 - 3.0
        })
        .collect()
}

fn kernel_sets() -> Vec<Kernels> {
    Isa::ALL.into_iter().filter_map(|isa| Kernels::force(isa).ok()).collect()
}

fn float_ops(c: &mut Criterion) {
    let inter = values(SEQ * I, 1);
    let x = values(SEQ * H, 2);
    let res = values(SEQ * H, 3);
    let (w, b) = (values(H, 4), values(H, 5));
    let smooth: Vec<f32> = values(H, 6).iter().map(|v| v.abs() + 0.5).collect();
    let (q, kt, v) = (values(SEQ * H, 7), values(SEQ * H, 8), values(SEQ * H, 9));
    let allowed = vec![1.0f32; SEQ];
    for k in kernel_sets() {
        let name = k.name();
        let mut g = c.benchmark_group("gelu/128x1024");
        g.throughput(Throughput::Elements((SEQ * I) as u64));
        let mut buf = inter.clone();
        g.bench_function(BenchmarkId::from_parameter(name), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&inter);
                k.gelu_in_place(black_box(&mut buf));
            })
        });
        g.finish();

        let mut g = c.benchmark_group("layer_norm/128x256");
        g.throughput(Throughput::Elements((SEQ * H) as u64));
        let mut buf = x.clone();
        g.bench_function(BenchmarkId::from_parameter(name), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&x);
                k.add_layer_norm(black_box(&mut buf), &res, &w, &b, 1e-12);
            })
        });
        g.finish();

        let mut g = c.benchmark_group("quantize/128x256");
        g.throughput(Throughput::Elements((SEQ * H) as u64));
        let (mut qb, mut sb) = (vec![0i8; SEQ * H], vec![0.0f32; SEQ]);
        g.bench_function(BenchmarkId::from_parameter(name), |bch| {
            bch.iter(|| k.quantize_rows_smoothed(black_box(&x), H, Some(&smooth), &mut qb, &mut sb))
        });
        g.finish();

        let mut g = c.benchmark_group("softmax/512x128");
        g.throughput(Throughput::Elements((4 * SEQ * SEQ) as u64));
        let scores = values(4 * SEQ * SEQ, 10);
        let mut buf = scores.clone();
        g.bench_function(BenchmarkId::from_parameter(name), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&scores);
                for row in buf.chunks_exact_mut(SEQ) {
                    k.softmax_in_place(black_box(row));
                }
            })
        });
        g.finish();

        // Seq 128, and seq 16 (where a pass's attention is 16 keys per row: the softmax and the
        // short product chains, not the multiply-adds, set its time).
        for seq in [SEQ, 16] {
            let mut g = c.benchmark_group(format!("attention/4x64_seq{seq}"));
            g.throughput(Throughput::Elements((2 * seq * seq * H) as u64));
            let (mut rows, mut out) = (vec![0.0f32; seq * seq], vec![0.0f32; seq * H]);
            let a = Attention { q: &q[..seq * H], kt: &kt[..seq * H], v: &v[..seq * H], h: H, d: D, kv_len: seq, scale: 0.125, allowed: &allowed[..seq], limit: seq, causal: false };
            g.bench_function(BenchmarkId::from_parameter(name), |bch| bch.iter(|| k.attend(black_box(&a), &mut rows, &mut out)));
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(20);
    targets = float_ops
}
criterion_main!(benches);
