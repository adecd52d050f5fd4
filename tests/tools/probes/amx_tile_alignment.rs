//! AMX `tdpbssd` latency and throughput, and one 32 × 32 × 256 block (16 tile loads, 16 `tdpbssd`,
//! 4 stores) with its operands at a given byte offset from a 64-byte boundary (argument; 0 and 48,
//! the activations' old offset, in `run.sh`). Linux x86-64 with AMX-INT8.
use std::arch::asm;
use std::time::Instant;
#[repr(C, align(64))] struct Cfg([u8; 64]);
fn main() {
    let ret: i64; unsafe { asm!("syscall", inlateout("rax") 158i64 => ret, in("rdi") 0x1023i64, in("rsi") 18i64, lateout("rcx") _, lateout("r11") _); }
    assert_eq!(ret, 0);
    let mut cfg = Cfg([0; 64]); cfg.0[0] = 1;
    for t in 0..8 { cfg.0[16 + 2*t] = 64; cfg.0[48 + t] = 16; }
    let ops = vec![1i8; 1024];
    let n = 2_000_000u64;
    unsafe { asm!("ldtilecfg [{0}]", in(reg) cfg.0.as_ptr()); asm!("tileloadd tmm4, [{0} + {1}*1]", "tileloadd tmm5, [{0} + {1}*1]", in(reg) ops.as_ptr(), in(reg) 64usize); }
    for round in 0..2 {
        let t = Instant::now();
        for _ in 0..n { unsafe { asm!("tdpbssd tmm0, tmm4, tmm5", "tdpbssd tmm0, tmm4, tmm5", "tdpbssd tmm0, tmm4, tmm5", "tdpbssd tmm0, tmm4, tmm5"); } }
        let dep = t.elapsed().as_secs_f64() / (4 * n) as f64;
        let t = Instant::now();
        for _ in 0..n { unsafe { asm!("tdpbssd tmm0, tmm4, tmm5", "tdpbssd tmm1, tmm4, tmm5", "tdpbssd tmm2, tmm4, tmm5", "tdpbssd tmm3, tmm4, tmm5"); } }
        let ind = t.elapsed().as_secs_f64() / (4 * n) as f64;
        let t = Instant::now();
        for _ in 0..n { unsafe { asm!("tdpbssd tmm0, tmm4, tmm5", "tdpbssd tmm1, tmm4, tmm5"); } }
        let two = t.elapsed().as_secs_f64() / (2 * n) as f64;
        // a block-like sequence: zero, 4 k-steps x 4 tdp with loads, store 4 tiles
        let mut bufv = vec![0i32; 4 * 256 + 16]; let o2 = ((64 - (bufv.as_ptr() as usize % 64)) % 64) / 4; let buf = &mut bufv[o2..];
        let bv = vec![1i8; 17 * 1024 + 128]; let off = (64 - (bv.as_ptr() as usize % 64)) % 64 + std::env::args().nth(1).map(|a| a.parse::<usize>().unwrap()).unwrap_or(0); let b = &bv[off..];
        let t = Instant::now();
        for _ in 0..n / 16 { unsafe {
            asm!("tilezero tmm0", "tilezero tmm1", "tilezero tmm2", "tilezero tmm3");
            for kk in 0..4usize {
                asm!("tileloadd tmm4, [{a} + {s}*1]", "tileloadd tmm6, [{b} + {s}*1]", "tdpbssd tmm0, tmm4, tmm6", "tileloadd tmm7, [{b} + {s}*1 + 1024]", "tdpbssd tmm1, tmm4, tmm7", "tileloadd tmm5, [{a} + {s}*1 + 1024]", "tdpbssd tmm2, tmm5, tmm6", "tdpbssd tmm3, tmm5, tmm7", a = in(reg) b.as_ptr().add(kk * 2048), b = in(reg) b.as_ptr().add(8192 + kk * 2048), s = in(reg) 64usize);
            }
            asm!("tilestored [{p} + {s}*1], tmm0", "tilestored [{p} + {s}*1 + 1024], tmm1", "tilestored [{p} + {s}*1 + 2048], tmm2", "tilestored [{p} + {s}*1 + 3072], tmm3", p = in(reg) buf.as_mut_ptr(), s = in(reg) 64usize);
        } }
        let blk = t.elapsed().as_secs_f64() / (n / 16) as f64;
        println!("round {round}: dependent tdpbssd {:.2} ns, 4 independent {:.2} ns, 2 independent {:.2} ns per instr; block (16 tdp + loads + stores) {:.1} ns = {:.2} ns per tdp", dep*1e9, ind*1e9, two*1e9, blk*1e9, blk*1e9/16.0);
    }
    unsafe { asm!("tilerelease"); }
}
