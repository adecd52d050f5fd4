//! One core reading 9 MiB (L3) as 1–16 interleaved streams, with and without software prefetch at
//! several distances and hints, best of 30 (docs/performance.md, session 5). x86-64 with AVX-512F.
use std::time::Instant;
use std::arch::x86_64::*;
#[target_feature(enable = "avx512f")]
unsafe fn streams(buf: &[u8], ns: usize, pf: usize, kind: u8) -> __m512i {
    let seg = buf.len() / ns;
    let p = buf.as_ptr();
    let mut acc = _mm512_setzero_si512();
    let mut i = 0;
    while i + 64 <= seg {
        for s in 0..ns {
            let q = p.add(s * seg + i);
            if pf > 0 && i + pf < seg {
                match kind {
                    0 => _mm_prefetch::<_MM_HINT_T0>(q.add(pf).cast()),
                    1 => _mm_prefetch::<_MM_HINT_T1>(q.add(pf).cast()),
                    _ => _mm_prefetch::<_MM_HINT_T2>(q.add(pf).cast()),
                }
            }
            acc = _mm512_add_epi32(acc, _mm512_loadu_si512(q.cast()));
        }
        i += 64;
    }
    acc
}
fn main() {
    let mib = 9usize;
    let buf = vec![1u8; mib << 20];
    for ns in [1usize, 2, 4, 8, 16] {
        for (pf, kind) in [(0usize, 0u8), (512, 0), (1024, 0), (2048, 0), (1024, 1), (2048, 1), (4096, 1), (2048, 2)] {
            let mut best = f64::MAX;
            for _ in 0..30 {
                let t = Instant::now();
                let r = unsafe { streams(&buf, ns, pf, kind) };
                std::hint::black_box(r);
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("streams {ns} pf {pf} t{kind}: {:.1} GB/s", (mib << 20) as f64 / best / 1e9);
        }
    }
}
