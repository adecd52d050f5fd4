//! Register-only ceiling of `vpdpbusd zmm`: 24 independent accumulators, no memory traffic.

use core::arch::x86_64::*;
use core::hint::black_box;

/// Runs `iters` × 24 `vpdpbusd zmm`; returns the MACs done (64 per instruction).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub fn vpdpbusd_zmm(iters: u64) -> u64 {
    let a = _mm512_set1_epi8(black_box(3));
    let b = _mm512_set1_epi8(black_box(-5));
    let mut acc = [_mm512_setzero_si512(); 24];
    for _ in 0..iters {
        for acc in acc.iter_mut() {
            *acc = _mm512_dpbusd_epi32(*acc, a, b);
        }
    }
    let mut s = _mm512_setzero_si512();
    for acc in acc {
        s = _mm512_add_epi32(s, acc);
    }
    black_box(_mm512_reduce_add_epi32(s));
    iters * 24 * 64
}
