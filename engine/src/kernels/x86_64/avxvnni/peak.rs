//! Register-only ceiling of `vpdpbusd ymm` (AVX-VNNI): 12 independent accumulators.

use core::arch::x86_64::*;
use core::hint::black_box;

/// Runs `iters` × 12 `vpdpbusd ymm`; returns the MACs done (32 per instruction).
#[target_feature(enable = "avx2,avxvnni")]
pub fn vpdpbusd_ymm(iters: u64) -> u64 {
    let a = _mm256_set1_epi8(black_box(3));
    let b = _mm256_set1_epi8(black_box(-5));
    let mut acc = [_mm256_setzero_si256(); 12];
    for _ in 0..iters {
        for acc in acc.iter_mut() {
            *acc = _mm256_dpbusd_avx_epi32(*acc, a, b);
        }
    }
    let mut s = _mm256_setzero_si256();
    for acc in acc {
        s = _mm256_add_epi32(s, acc);
    }
    black_box(s);
    iters * 12 * 32
}
