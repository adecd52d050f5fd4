//! Can software prefetch stream weights from L3 into L2 while f32 work runs, and what does it
//! cost that work? (docs/performance.md, session 6.) x86-64 with AVX-512F.
//!
//! Work: a GELU-like loop over 16 KiB in L1 (load, 12 FMAs, store per 16 values), 4096 vectors.
//! Prefetch: `prefetcht1` of a 2 MiB region that was read into L3 and then pushed out of L2, one
//! line after every `every` vectors. Afterwards the prefetched lines are read back and timed: at
//! L2 speed if the prefetches landed, at L3 speed if not ("not prefetched" reads a second region
//! prepared the same way). Best of 21 per row; "extra per line" is the loop's time over the
//! row without prefetches, divided by the lines asked for. `burst` rows ask for 64 lines after
//! every 256 values instead (the session-5 scheme).
use std::arch::x86_64::*;
use std::time::Instant;

#[target_feature(enable = "avx512f,fma")]
unsafe fn work(x: &mut [f32], reps: usize, pf: *const u8, every: usize, burst: usize, max_lines: usize) -> usize {
    let c = [_mm512_set1_ps(0.1), _mm512_set1_ps(0.2), _mm512_set1_ps(0.3), _mm512_set1_ps(0.4)];
    let (mut issued, mut k) = (0usize, 0usize);
    for _ in 0..reps {
        let mut i = 0;
        while i < x.len() {
            let v = _mm512_loadu_ps(x.as_ptr().add(i));
            let mut p = c[0];
            for j in 0..12 {
                p = _mm512_fmadd_ps(p, v, c[j & 3]);
            }
            _mm512_storeu_ps(x.as_mut_ptr().add(i), _mm512_mul_ps(p, _mm512_set1_ps(1e-3)));
            k += 1;
            if k == every {
                k = 0;
                for _ in 0..burst {
                    if issued < max_lines {
                        _mm_prefetch::<_MM_HINT_T1>(pf.add(issued * 64) as *const i8);
                        issued += 1;
                    }
                }
            }
            i += 16;
        }
    }
    issued
}

#[target_feature(enable = "avx512f")]
unsafe fn read(buf: &[u8], lines: usize) -> f64 {
    let t = Instant::now();
    let mut acc = _mm512_setzero_si512();
    for l in 0..lines {
        acc = _mm512_add_epi32(acc, _mm512_loadu_si512(buf.as_ptr().add(l * 64) as *const _));
    }
    std::hint::black_box(acc);
    t.elapsed().as_secs_f64()
}

fn touch(b: &[u8]) {
    let s: u64 = b.iter().step_by(64).map(|&v| v as u64).sum();
    std::hint::black_box(s);
}

fn main() {
    let (w, w2, evict) = (vec![1u8; 2 << 20], vec![3u8; 2 << 20], vec![2u8; 8 << 20]);
    let mut x = vec![0.5f32; 4096];
    let reps = 16;
    println!("lines asked for      | loop us | lines | extra per line | read-back GB/s");
    let mut base = 0.0;
    for &(every, burst, label) in &[(usize::MAX, 0usize, "none"), (1, 1, "1 per 16 values"), (1, 2, "2 per 16 values"), (2, 1, "1 per 32 values"), (4, 1, "1 per 64 values"), (16, 64, "burst 64 per 256"), (16, 32, "burst 32 per 256")] {
        let mut best = (f64::MAX, 0usize, 0.0f64, 0.0f64);
        for _ in 0..21 {
            touch(&w);
            touch(&w2);
            touch(&evict);
            // SAFETY: AVX-512F is required of the machine (see the header); every prefetch and
            // read stays inside `w`/`w2` (at most 8192 lines of 64 bytes, 2 MiB).
            unsafe {
                let t = Instant::now();
                let lines = work(&mut x, reps, w.as_ptr(), every, burst, 8192);
                let took = t.elapsed().as_secs_f64();
                let n = if lines == 0 { 4096 } else { lines };
                let (rd, rc) = (read(&w, n), read(&w2, n));
                if took < best.0 {
                    best = (took, lines, (n * 64) as f64 / rd / 1e9, (n * 64) as f64 / rc / 1e9);
                }
            }
        }
        if best.1 == 0 {
            base = best.0;
        }
        let per_line = if best.1 == 0 { 0.0 } else { (best.0 - base) / best.1 as f64 * 1e9 };
        println!("{label:20} | {:7.2} | {:5} | {per_line:8.2} ns | {:5.1} (not prefetched {:5.1})", best.0 * 1e6, best.1, best.2, best.3);
    }
}
