//! How fast one core can issue software prefetches over 9 MiB not in L2 (each run first reads 16
//! MiB elsewhere), per hint and stride, best of 20 (docs/performance.md, session 5). x86-64.
use std::time::Instant;
use std::arch::x86_64::*;
unsafe fn pf(buf: &[u8], kind: u8, stride: usize) {
    let p = buf.as_ptr();
    let mut i = 0;
    while i < buf.len() {
        match kind {
            0 => _mm_prefetch::<_MM_HINT_T0>(p.add(i).cast()),
            1 => _mm_prefetch::<_MM_HINT_T1>(p.add(i).cast()),
            2 => _mm_prefetch::<_MM_HINT_T2>(p.add(i).cast()),
            _ => _mm_prefetch::<_MM_HINT_NTA>(p.add(i).cast()),
        }
        i += stride;
    }
}
fn main() {
    let mib = 9usize;
    let buf = vec![1u8; mib << 20];
    let evict = vec![2u8; 16 << 20];
    for kind in 0..4u8 {
        for stride in [64usize, 128, 256] {
            let mut best = f64::MAX;
            for _ in 0..20 {
                // evict L2 by reading 16 MiB elsewhere
                let s: u64 = evict.iter().step_by(64).map(|&x| x as u64).sum();
                std::hint::black_box(s);
                let t = Instant::now();
                unsafe { pf(&buf, kind, stride) };
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("prefetch hint {kind} every {stride} B: issue rate {:.1} GB/s (lines touched/time)", (mib << 20) as f64 / best / 1e9 * 64.0 / stride as f64);
        }
    }
}
