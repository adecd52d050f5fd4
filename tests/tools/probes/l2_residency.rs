//! Can part of a 9 MiB weight stream stay in L2 across passes while the rest streams past it?
//! Each pass reads the first `resident` bytes with plain loads and the rest either with plain
//! loads, with `prefetchnta` (fills L1, not L2) or `prefetcht0` ahead, or followed by `cldemote`
//! (push the line out toward L3); medians of 40 passes (docs/performance.md, session 7).
//! x86-64 with AVX-512F (and CLDEMOTE for kind 3: a CPU without it treats it as a NOP).
use std::arch::x86_64::*;
use std::time::Instant;

#[target_feature(enable = "avx512f")]
unsafe fn pass(buf: &[u8], resident: usize, pf: usize, kind: u8) -> __m512i {
    let p = buf.as_ptr();
    let n = buf.len();
    let mut acc = _mm512_setzero_si512();
    let mut i = 0;
    while i < resident {
        acc = _mm512_add_epi32(acc, _mm512_loadu_si512(p.add(i).cast()));
        i += 64;
    }
    while i + 64 <= n {
        if i + pf < n {
            match kind {
                1 => _mm_prefetch::<_MM_HINT_NTA>(p.add(i + pf).cast()),
                2 => _mm_prefetch::<_MM_HINT_T0>(p.add(i + pf).cast()),
                _ => {}
            }
        }
        acc = _mm512_add_epi32(acc, _mm512_loadu_si512(p.add(i).cast()));
        if kind == 3 {
            std::arch::asm!("cldemote [{0}]", in(reg) p.add(i), options(nostack, preserves_flags));
        }
        i += 64;
    }
    acc
}

fn main() {
    let n = 9usize << 20;
    let buf = vec![1u8; n];
    let kinds = ["plain", "prefetchnta", "prefetcht0", "cldemote"];
    for resident in [0usize, 1536 << 10, 1792 << 10] {
        for (pf, kind) in [(0usize, 0u8), (1024, 1), (4096, 1), (1024, 2), (0, 3)] {
            let mut ts = vec![];
            for _ in 0..40 {
                let t = Instant::now();
                std::hint::black_box(unsafe { pass(&buf, resident, pf, kind) });
                ts.push(t.elapsed().as_secs_f64());
            }
            ts.sort_by(|a, b| a.total_cmp(b));
            let med = ts[ts.len() / 2];
            println!(
                "resident {:4} KiB, rest {:11} (distance {pf:4}): {:7.1} us a pass, {:5.1} GB/s",
                resident >> 10,
                kinds[kind as usize],
                med * 1e6,
                n as f64 / med / 1e9
            );
        }
    }
}
