//! One core's read bandwidth from L2 and L3: a plain AVX-512 read loop over 1–64 MiB, best of 30
//! (docs/performance.md, "Why seq 16 misses"). x86-64 with AVX-512F; run by `run.sh`.
use std::time::Instant;
use std::arch::x86_64::*;
#[target_feature(enable = "avx512f")]
unsafe fn sum(buf: &[u8]) -> __m512i {
    let mut acc = [_mm512_setzero_si512(); 4];
    let p = buf.as_ptr();
    let mut i = 0;
    while i + 256 <= buf.len() {
        for u in 0..4 { acc[u] = _mm512_add_epi32(acc[u], _mm512_loadu_si512(p.add(i + 64 * u).cast())); }
        i += 256;
    }
    _mm512_add_epi32(_mm512_add_epi32(acc[0], acc[1]), _mm512_add_epi32(acc[2], acc[3]))
}
fn main() {
    for mib in [1usize, 4, 9, 16, 64] {
        let buf = vec![1u8; mib << 20];
        let mut best = f64::MAX;
        for _ in 0..30 {
            let t = Instant::now();
            let r = unsafe { sum(&buf) };
            std::hint::black_box(r);
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{mib} MiB: {:.1} GB/s (best of 30)", (mib << 20) as f64 / best / 1e9);
    }
}
