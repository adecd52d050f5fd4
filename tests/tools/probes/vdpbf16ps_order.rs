//! Which sequential model `vdpbf16ps` follows: 320,000 lanes against four (the odd product first,
//! each sum rounded, matches all). x86-64 with AVX-512 BF16; run by `run.sh`.
use std::arch::asm;
fn bf16(x: f32) -> u16 { let b = x.to_bits(); ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16 }
fn f(b: u16) -> f32 { f32::from_bits((b as u32) << 16) }
fn main() {
    let mut s = 12345u64;
    let mut rnd = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0 };
    let mut mism = [0usize; 4]; let mut total = 0;
    for trial in 0..20000 {
        let scale = if trial % 3 == 0 { 1000.0 } else { 1.0 };
        let a: [u16; 32] = std::array::from_fn(|_| bf16(rnd() * scale));
        let b: [u16; 32] = std::array::from_fn(|_| bf16(rnd()));
        let c0: [f32; 16] = std::array::from_fn(|_| rnd() * 0.01);
        let mut c = c0;
        unsafe { asm!("vmovups zmm0, [{c}]", "vmovups zmm1, [{a}]", "vmovups zmm2, [{b}]", "vdpbf16ps zmm0, zmm1, zmm2", "vmovups [{c}], zmm0", c = in(reg) c.as_mut_ptr(), a = in(reg) a.as_ptr(), b = in(reg) b.as_ptr(), out("zmm0") _, out("zmm1") _, out("zmm2") _); }
        for i in 0..16 {
            let (a0, a1, b0, b1) = (f(a[2*i]), f(a[2*i+1]), f(b[2*i]), f(b[2*i+1]));
            let t1 = (c0[i] + a0*b0) + a1*b1;
            let t3 = (c0[i] + a1*b1) + a0*b0;
            let t2 = (c0[i] as f64 + a0 as f64*b0 as f64 + a1 as f64*b1 as f64) as f32;
            let t4 = c0[i] + ((a0 as f64*b0 as f64 + a1 as f64*b1 as f64) as f32);
            total += 1;
            for (k, t) in [t1, t2, t3, t4].iter().enumerate() { if c[i].to_bits() != t.to_bits() { mism[k] += 1; } }
        }
    }
    println!("total {total} mismatches: even-then-odd {} fused3 {} odd-then-even {} pair-rounded {}", mism[0], mism[1], mism[2], mism[3]);
}
