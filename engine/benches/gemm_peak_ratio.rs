//! % of peak on a noisy machine: for each available ISA and shape, alternate the register-only peak
//! loop and the GEMM (so both see the same clock and the same neighbours) and print the median of
//! the per-round ratios, plus the median GMAC/s of each.
//!
//! ```text
//! cargo bench -p electra-engine --bench gemm_peak_ratio            # all ISAs the CPU has
//! ELECTRA_ISA=avx512vnni cargo bench -p electra-engine --bench gemm_peak_ratio
//! ```

use electra_engine::kernels::{pack, Isa, Kernels};
use std::hint::black_box;
use std::time::Instant;

mod common;
use common::AlignedI8;

const SHAPES: &[(&str, usize, usize)] = &[
    ("small_qkv_out", 256, 256),
    ("small_ffn_up", 1024, 256),
    ("small_ffn_down", 256, 1024),
    ("base_qkv_out", 768, 768),
    ("base_ffn_up", 3072, 768),
];
const ROUNDS: usize = 31;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let only = std::env::var("ELECTRA_ISA").ok().and_then(|v| Isa::from_name(&v));
    println!("| kernel | shape (n, k) | m | GMAC/s (median) | peak GMAC/s (median) | % of peak (median of ratios) |");
    println!("|---|---|---|---|---|---|");
    for isa in Isa::ALL {
        if isa == Isa::Scalar || only.is_some_and(|o| o != isa) {
            continue;
        }
        let Ok(kernels) = Kernels::force(isa) else { continue };
        // The ISA's own ceiling (for AVX2: the exact route the kernel uses, the last loop).
        let Some(peak) = kernels.peak_loops().last() else { continue };
        for &(name, n, k) in SHAPES {
            let mut seed = 7u64;
            let mut rnd = || {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (((seed >> 33) % 255) as i32 - 127) as i8
            };
            let w: Vec<i8> = (0..n * k).map(|_| rnd()).collect();
            let mut packed = AlignedI8::zeroed(pack::packed_len(n, k));
            pack::pack_panel16x4(&w, n, k, &mut packed);
            let mut sums = vec![0i32; n];
            pack::row_sums(&w, n, k, &mut sums);
            let (sw, bias) = (vec![0.01f32; n], vec![0.5f32; n]);
            for m in [128usize, 16] {
                let a = AlignedI8::from_fn(m * k, &mut rnd);
                let sa = vec![0.02f32; m];
                let mut y = vec![0.0f32; m * n];
                let macs = (m * n * k) as f64;
                // ~2 ms of GEMM per round, ~1 ms of peak loop per round.
                let reps = ((2e-3 * 200e9 / macs) as usize).max(1);
                let peak_iters = 20_000u64;
                let (mut g, mut p, mut r) = (Vec::new(), Vec::new(), Vec::new());
                for round in 0..ROUNDS + 2 {
                    let t = Instant::now();
                    let done = (peak.run)(black_box(peak_iters));
                    let pr = done as f64 / t.elapsed().as_secs_f64() / 1e9;
                    let t = Instant::now();
                    for _ in 0..reps {
                        kernels.gemm_i8_packed(black_box(&a), &sa, m, k, black_box(&packed), &sw, &sums, &bias, n, &mut y);
                    }
                    let gr = macs * reps as f64 / t.elapsed().as_secs_f64() / 1e9;
                    if round >= 2 {
                        g.push(gr);
                        p.push(pr);
                        r.push(gr / pr);
                    }
                }
                println!(
                    "| {} | {name} ({n}, {k}) | {m} | {:.1} | {:.1} | {:.0}% |",
                    isa.name(),
                    median(&mut g),
                    median(&mut p),
                    100.0 * median(&mut r)
                );
            }
        }
    }
}
