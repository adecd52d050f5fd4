//! Streaming 9 MiB (a pass's int8 weights) from L3 through 4 KiB pages against 2 MiB pages
//! (anonymous memory with MADV_HUGEPAGE), medians of 40 passes, alternating
//! (docs/performance.md, session 7). x86-64 Linux with AVX-512F.
use std::arch::x86_64::*;
use std::time::Instant;

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
}
const PROT_READ_WRITE: i32 = 3;
const MAP_PRIVATE_ANONYMOUS: i32 = 0x22;
const MADV_HUGEPAGE: i32 = 14;

#[target_feature(enable = "avx512f")]
unsafe fn pass(p: *const u8, n: usize) -> __m512i {
    let mut acc = _mm512_setzero_si512();
    let mut i = 0;
    while i + 64 <= n {
        acc = _mm512_add_epi32(acc, _mm512_loadu_si512(p.add(i).cast()));
        i += 64;
    }
    acc
}

fn main() {
    let n = 9usize << 20;
    let mut bufs = vec![];
    for huge in [false, true] {
        // SAFETY (probe): a fresh private anonymous map, 2 MiB-aligned inside, written before use.
        unsafe {
            let raw = mmap(std::ptr::null_mut(), n + (4 << 20), PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
            assert!(!raw.is_null() && raw as isize != -1, "mmap failed");
            let p = ((raw as usize + (2 << 20) - 1) & !((2 << 20) - 1)) as *mut u8;
            if huge && madvise(p, n, MADV_HUGEPAGE) != 0 {
                println!("madvise(MADV_HUGEPAGE) refused: transparent huge pages off?");
            }
            std::ptr::write_bytes(p, 1, n);
            bufs.push((huge, p));
        }
    }
    let smaps = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    for l in smaps.lines().filter(|l| l.starts_with("AnonHugePages")) {
        println!("{l}");
    }
    for round in 0..4 {
        for &(huge, p) in &bufs {
            let mut ts = vec![];
            for _ in 0..40 {
                let t = Instant::now();
                std::hint::black_box(unsafe { pass(p, n) });
                ts.push(t.elapsed().as_secs_f64());
            }
            ts.sort_by(|a, b| a.total_cmp(b));
            let med = ts[ts.len() / 2];
            let pages = if huge { "2 MiB" } else { "4 KiB" };
            println!("round {round}, {pages} pages: {:6.1} us a pass, {:5.1} GB/s", med * 1e6, n as f64 / med / 1e9);
        }
    }
}
