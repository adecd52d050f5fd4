//! int8 GEMM throughput of every kernel set the CPU has, at ELECTRA shapes, and the register-only
//! ceiling of each instruction set (to report % of peak).
//!
//! ```text
//! cargo bench -p electra-engine --bench gemm                    # everything available
//! cargo bench -p electra-engine --bench gemm -- 'gemm/avx512vnni'   # one ISA (criterion filter)
//! ```
//!
//! Throughput is in elements = multiply-accumulates (criterion prints `Gelem/s` = GMAC/s). The
//! medians for docs/kernels.md are read from `target/criterion/*/new/estimates.json`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use electra_engine::kernels::{pack, Isa, Kernels};
use std::hint::black_box;
use std::time::Duration;

mod common;
use common::AlignedI8;

/// (name, n, k): ELECTRA-small (H 256, I 1024) and ELECTRA-base (H 768, I 3072) linears.
const SHAPES: &[(&str, usize, usize)] = &[
    ("small_qkv_out", 256, 256),
    ("small_ffn_up", 1024, 256),
    ("small_ffn_down", 256, 1024),
    ("base_qkv_out", 768, 768),
    ("base_ffn_up", 3072, 768),
];
const TOKENS: &[usize] = &[128, 64, 16];

fn lcg(seed: &mut u64) -> i8 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (((*seed >> 33) % 255) as i32 - 127) as i8
}

fn kernel_sets() -> Vec<Kernels> {
    Isa::ALL.into_iter().filter_map(|isa| Kernels::force(isa).ok()).collect()
}

fn gemm(c: &mut Criterion) {
    let mut seed = 1u64;
    for &(name, n, k) in SHAPES {
        let w: Vec<i8> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let mut packed = AlignedI8::zeroed(pack::packed_len(n, k));
        pack::pack_panel16x4(&w, n, k, &mut packed);
        let mut sums = vec![0i32; n];
        pack::row_sums(&w, n, k, &mut sums);
        let sw = vec![0.01f32; n];
        let bias = vec![0.5f32; n];
        for &m in TOKENS {
            let a = AlignedI8::from_fn(m * k, || lcg(&mut seed));
            let sa = vec![0.02f32; m];
            let mut y = vec![0.0f32; m * n];
            let mut g = c.benchmark_group(format!("gemm/{name}/m{m}"));
            g.throughput(Throughput::Elements((m * n * k) as u64));
            for kernels in kernel_sets() {
                if kernels.isa() == Isa::Scalar && m * n * k > 128 * 256 * 256 {
                    g.sample_size(10);
                }
                g.bench_function(BenchmarkId::from_parameter(kernels.name()), |b| {
                    b.iter(|| {
                        kernels.gemm_i8_packed(black_box(&a), &sa, m, k, black_box(&packed), &sw, &sums, &bias, n, &mut y);
                    })
                });
            }
            g.finish();
        }
    }
}

fn peak(c: &mut Criterion) {
    const ITERS: u64 = 10_000;
    for kernels in kernel_sets() {
        for l in kernels.peak_loops() {
            let macs = (l.run)(1) * ITERS;
            let mut g = c.benchmark_group("peak");
            g.throughput(Throughput::Elements(macs));
            g.bench_function(BenchmarkId::from_parameter(l.name), |b| b.iter(|| (l.run)(black_box(ITERS))));
            g.finish();
        }
    }
}

fn quantize(c: &mut Criterion) {
    for (rows, cols) in [(128usize, 256usize), (128, 1024), (16, 256)] {
        let x: Vec<f32> = (0..rows * cols).map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0).collect();
        let cs: Vec<f32> = (0..cols).map(|i| 0.5 + (i % 7) as f32 * 0.25).collect();
        let (mut q, mut s) = (vec![0i8; rows * cols], vec![0.0f32; rows]);
        let mut g = c.benchmark_group(format!("quantize/{rows}x{cols}"));
        g.throughput(Throughput::Elements((rows * cols) as u64));
        for kernels in kernel_sets() {
            g.bench_function(BenchmarkId::from_parameter(kernels.name()), |b| {
                b.iter(|| kernels.quantize_rows_smoothed(black_box(&x), cols, Some(&cs), &mut q, &mut s))
            });
        }
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(30)
}

/// The model's case: weights not in cache. Each iteration multiplies by the next of enough
/// copies of the matrix to overflow L2 (2 MiB here), so every call streams its weights from L3,
/// as a forward pass does layer after layer.
fn gemm_cold(c: &mut Criterion) {
    let mut seed = 3u64;
    for &(name, n, k) in &SHAPES[..3] {
        let w: Vec<i8> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let len = pack::packed_len(n, k);
        let copies = (8usize << 20).div_ceil(len);
        let mut all = AlignedI8::zeroed(len * copies);
        for chunk in all.chunks_exact_mut(len) {
            pack::pack_panel16x4(&w, n, k, chunk);
        }
        let mut sums = vec![0i32; n];
        pack::row_sums(&w, n, k, &mut sums);
        let (sw, bias) = (vec![0.01f32; n], vec![0.5f32; n]);
        for &m in TOKENS {
            let a = AlignedI8::from_fn(m * k, || lcg(&mut seed));
            let sa = vec![0.02f32; m];
            let mut y = vec![0.0f32; m * n];
            let mut g = c.benchmark_group(format!("gemm_cold/{name}/m{m}"));
            g.throughput(Throughput::Elements((m * n * k) as u64));
            for kernels in kernel_sets().into_iter().filter(|k| k.isa() != Isa::Scalar) {
                let mut i = 0;
                g.bench_function(BenchmarkId::from_parameter(kernels.name()), |b| {
                    b.iter(|| {
                        i = (i + 1) % copies;
                        kernels.gemm_i8_packed(black_box(&a), &sa, m, k, black_box(&all[i * len..(i + 1) * len]), &sw, &sums, &bias, n, &mut y);
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group! { name = benches; config = config(); targets = peak, gemm, gemm_cold, quantize }
criterion_main!(benches);
