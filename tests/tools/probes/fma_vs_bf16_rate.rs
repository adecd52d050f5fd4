//! Issue rate of `vfmadd231ps zmm` against `vdpbf16ps zmm`: 12 independent chains each
//! (docs/performance.md, bf16 attention). x86-64 with AVX-512 BF16; run by `run.sh`.
use std::arch::asm;
use std::time::Instant;
fn main() {
    let n = 200_000_000u64 / 12;
    for round in 0..2 {
    let t = Instant::now();
    for _ in 0..n { unsafe { asm!("vfmadd231ps zmm0, zmm12, zmm13","vfmadd231ps zmm1, zmm12, zmm13","vfmadd231ps zmm2, zmm12, zmm13","vfmadd231ps zmm3, zmm12, zmm13","vfmadd231ps zmm4, zmm12, zmm13","vfmadd231ps zmm5, zmm12, zmm13","vfmadd231ps zmm6, zmm12, zmm13","vfmadd231ps zmm7, zmm12, zmm13","vfmadd231ps zmm8, zmm12, zmm13","vfmadd231ps zmm9, zmm12, zmm13","vfmadd231ps zmm10, zmm12, zmm13","vfmadd231ps zmm11, zmm12, zmm13", out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _, out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _, out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _); } }
    let fma = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..n { unsafe { asm!("vdpbf16ps zmm0, zmm12, zmm13","vdpbf16ps zmm1, zmm12, zmm13","vdpbf16ps zmm2, zmm12, zmm13","vdpbf16ps zmm3, zmm12, zmm13","vdpbf16ps zmm4, zmm12, zmm13","vdpbf16ps zmm5, zmm12, zmm13","vdpbf16ps zmm6, zmm12, zmm13","vdpbf16ps zmm7, zmm12, zmm13","vdpbf16ps zmm8, zmm12, zmm13","vdpbf16ps zmm9, zmm12, zmm13","vdpbf16ps zmm10, zmm12, zmm13","vdpbf16ps zmm11, zmm12, zmm13", out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _, out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _, out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _); } }
    let dp = t.elapsed().as_secs_f64();
    let ins = (n * 12) as f64;
    println!("round {round}: vfmadd231ps {:.2} G instr/s = {:.1} GMAC/s; vdpbf16ps {:.2} G instr/s = {:.1} GMAC/s", ins/fma/1e9, ins*16.0/fma/1e9, ins/dp/1e9, ins*32.0/dp/1e9);
    }
}
