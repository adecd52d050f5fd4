//! f32 kernels of the forward pass: attention rows, GELU, softmax, LayerNorm, and the GEMM of
//! f32 and f16 model files (`gemm_f32.rs`).
//!
//! Written once in `generic.rs` as plain Rust and compiled again for each x86 ISA with
//! `#[target_feature]` (`x86_64/`), so LLVM vectorizes the same code with AVX2 or AVX-512
//! registers; aarch64's baseline already has NEON (`aarch64/`). Attention has explicit AVX-512,
//! AVX2 and NEON intrinsics (`x86_64/attention_avx512.rs`, `attention_avx2.rs`,
//! `aarch64/attention_neon.rs`).
//!
//! Two rules keep results reproducible:
//! - reductions have a fixed lane structure, so the order of every sum is part of the code, not of
//!   the vector width;
//! - multiply-adds are fused exactly where the generic body says so (`madd::<FMA>`): GELU,
//!   softmax's `exp` and attention run fused on CPUs with FMA (x86 with FMA, every aarch64) and
//!   unfused on the rest. Each copy is tested bit for bit against the generic body with the same
//!   choice, and the fused body within a few ulp of the unfused one. LayerNorm never fuses, so
//!   it gives the same bits everywhere.

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod attention;
pub mod gemm_f32;
pub mod generic;
#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use super::Kernels;

/// Runs `$f` from the widest copy the `Kernels` token allows.
macro_rules! dispatch {
    ($k:expr, $f:ident ( $($arg:expr),* )) => {
        match $k.isa() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with an AVX-512 ISA exists only after detection saw AVX-512F
            // (which every CPU pairs with FMA; `fma()` checks it anyway).
            $crate::kernels::Isa::Avx512Vnni | $crate::kernels::Isa::Amx if fma() => unsafe { x86_64::avx512::$f($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with these ISAs exists only after detection saw AVX2; FMA is
            // checked here.
            $crate::kernels::Isa::Avx2 | $crate::kernels::Isa::AvxVnni if fma() => unsafe { x86_64::avx2::$f($($arg),*) },
            #[cfg(target_arch = "aarch64")]
            $crate::kernels::Isa::Neon | $crate::kernels::Isa::Dotprod => aarch64::$f($($arg),*),
            _ => generic::$f($($arg),*),
        }
    };
}

/// FMA present (run time with std, build time without).
#[cfg(target_arch = "x86_64")]
#[inline]
fn fma() -> bool {
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(target_feature = "fma")
    }
}

impl Kernels {
    /// Exact-erf GELU in place (|erf error| ≤ 5e-7, see `generic::erf_over_sqrt2`).
    pub fn gelu_in_place(&self, xs: &mut [f32]) {
        self.gelu_prefetching(xs, &mut crate::kernels::prefetch::Prefetch::none())
    }

    /// `gelu_in_place`, calling `pf.step()` after every 16 values: the prefetches of a later
    /// GEMM's weights run paced through the loop (same values as `gelu_in_place`).
    pub fn gelu_prefetching(&self, xs: &mut [f32], pf: &mut crate::kernels::prefetch::Prefetch<'_>) {
        dispatch!(self, gelu_prefetching(xs, pf))
    }

    /// `y[m, n] = x[m, k] · w[n, k]ᵀ` for f32 weights (`gemm_f32::gemm_nt`, fused multiply-adds
    /// where the other f32 kernels fuse them). Panics if a slice is shorter than its shape.
    pub fn gemm_f32_nt(&self, x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
        dispatch!(self, gemm_nt(x, m, k, w, n, y))
    }

    /// `gemm_f32_nt` for f16 weights, widened exactly to f32 two rows at a time; rows longer than
    /// `gemm_f32::F16_MAX_K` take the scalar reference (`scalar::gemm_f32::gemm_nt_f16`).
    /// Never inlined: its widening buffer (4 KiB without `std`) then takes stack only while an f16
    /// linear runs, not in every caller's frame (a Cortex-M's int8 passes paid for it).
    #[inline(never)]
    pub fn gemm_f16_nt(&self, x: &[f32], m: usize, k: usize, w: &[half::f16], n: usize, y: &mut [f32]) {
        if k > gemm_f32::F16_MAX_K {
            return crate::kernels::scalar::gemm_f32::gemm_nt_f16(x, m, k, w, n, y);
        }
        dispatch!(self, gemm_nt_f16(x, m, k, w, n, y))
    }

    /// Softmax over one row in place.
    pub fn softmax_in_place(&self, row: &mut [f32]) {
        dispatch!(self, softmax_in_place(row))
    }

    /// `x[r] = LayerNorm(x[r] + residual[r])` row by row (`residual` may be empty).
    pub fn add_layer_norm(&self, x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
        dispatch!(self, add_layer_norm(x, residual, weight, bias, eps))
    }

    /// The keys `k` [n, h] transposed in blocks of 16 (`generic::keys_blocked`; exact: every copy
    /// gives the same result).
    pub fn keys_blocked(&self, k: &[f32], h: usize, kt: &mut [f32]) {
        match self.isa() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with an AVX-512 ISA exists only after detection saw AVX-512F.
            crate::kernels::Isa::Avx512Vnni | crate::kernels::Isa::Amx => unsafe { x86_64::transpose_avx512::keys_blocked(k, h, kt) },
            _ => generic::keys_blocked(k, h, kt),
        }
    }

    /// Consecutive query rows of multi-head attention, see `generic::attend_rows`.
    pub fn attend(&self, a: &generic::Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
        // generic::attend is unfused, the x86 copies with FMA and the aarch64 ones fuse (see the
        // module notes).
        match self.isa() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with an AVX-512 ISA exists only after detection saw AVX-512F; FMA
            // is checked here.
            crate::kernels::Isa::Avx512Vnni | crate::kernels::Isa::Amx if fma() => unsafe { x86_64::avx512_attend(a, rows, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: detection saw AVX2 for these ISAs; FMA is checked here.
            crate::kernels::Isa::Avx2 | crate::kernels::Isa::AvxVnni if fma() => unsafe { x86_64::avx2_attend(a, rows, out) },
            #[cfg(target_arch = "x86_64")]
            crate::kernels::Isa::Sse41 => x86_64::sse_attend(a, rows, out),
            #[cfg(target_arch = "aarch64")]
            crate::kernels::Isa::Neon | crate::kernels::Isa::Dotprod => aarch64::attend(a, rows, out),
            _ => generic::attend(a, rows, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::generic;
    use crate::kernels::{Isa, Kernels};

    fn rng(seed: u64) -> impl FnMut() -> f32 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
    }

    /// The f32 GEMM of every ISA against the specification body with the same fusion, bit for bit,
    /// on odd shapes (k tails of every length mod 16, odd m and n); rows computed one at a time
    /// equal rows computed together (threads split rows); f16 weights equal their f32 widening;
    /// and the result is close to the plain reference (`scalar::gemm_f32`).
    #[test]
    fn gemm_f32_every_isa_matches_its_specification() {
        use super::gemm_f32;
        let mut r = rng(7);
        for (m, k, n) in [(1usize, 1usize, 1usize), (2, 7, 3), (3, 15, 2), (4, 16, 5), (5, 17, 4), (7, 31, 1), (9, 64, 6), (6, 100, 7), (13, 256, 9), (4, 1024, 3), (8, 129, 2)] {
            let x: Vec<f32> = (0..m * k).map(|_| r()).collect();
            let w: Vec<f32> = (0..n * k).map(|_| r()).collect();
            let wh: Vec<half::f16> = w.iter().map(|&v| half::f16::from_f32(v)).collect();
            let ww: Vec<f32> = wh.iter().map(|v| v.to_f32()).collect();
            let mut reference = vec![0.0; m * n];
            crate::kernels::scalar::gemm_f32::gemm_nt(&x, m, k, &w, n, &mut reference);
            for isa in Isa::ALL {
                let Ok(kern) = Kernels::force(isa) else { continue };
                let fused = cfg!(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64"))) && !matches!(isa, Isa::Scalar | Isa::Sse41);
                let mut want = vec![0.0; m * n];
                if fused {
                    gemm_f32::gemm_nt::<true>(&x, m, k, &w, n, &mut want);
                } else {
                    gemm_f32::gemm_nt::<false>(&x, m, k, &w, n, &mut want);
                }
                let mut got = vec![f32::NAN; m * n];
                kern.gemm_f32_nt(&x, m, k, &w, n, &mut got);
                assert!(want.iter().zip(&got).all(|(a, b)| a.to_bits() == b.to_bits()), "{} gemm_f32 m={m} k={k} n={n}", isa.name());
                for i in 0..m {
                    let mut one = vec![f32::NAN; n];
                    kern.gemm_f32_nt(&x[i * k..(i + 1) * k], 1, k, &w, n, &mut one);
                    assert!(one.iter().zip(&got[i * n..(i + 1) * n]).all(|(a, b)| a.to_bits() == b.to_bits()), "{} gemm_f32 row {i} alone, k={k}", isa.name());
                }
                let (mut h, mut hw) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
                kern.gemm_f16_nt(&x, m, k, &wh, n, &mut h);
                kern.gemm_f32_nt(&x, m, k, &ww, n, &mut hw);
                assert!(h.iter().zip(&hw).all(|(a, b)| a.to_bits() == b.to_bits()), "{} gemm_f16 m={m} k={k} n={n}", isa.name());
                for (g, e) in got.iter().zip(&reference) {
                    assert!((g - e).abs() <= 1e-5 * (1.0 + e.abs()) * (k as f32).sqrt(), "{} gemm_f32 vs reference: {g} {e}", isa.name());
                }
            }
        }
    }

    #[test]
    fn erf_and_exp_are_accurate() {
        let mut worst_erf = 0.0f64;
        let mut worst_exp = 0.0f32;
        for i in -100_000..=100_000 {
            let x = i as f32 * 1e-4 * 8.0; // [-8, 8]
            let want = libm::erf(x as f64 / core::f64::consts::SQRT_2);
            for got in [generic::erf_over_sqrt2::<false>(x), generic::erf_over_sqrt2::<true>(x)] {
                worst_erf = worst_erf.max((got as f64 - want).abs());
            }
            let y = i as f32 * 1e-3; // [-100, 100]
            if y < 80.0 {
                let want = libm::expf(y);
                let rel = if want > 0.0 { ((generic::exp(y) - want) / want).abs() } else { generic::exp(y).abs() };
                worst_exp = worst_exp.max(if want < 1e-37 { 0.0 } else { rel });
            }
        }
        eprintln!("erf(x/√2) max abs error {worst_erf:e}, exp max rel error {worst_exp:e}");
        assert!(worst_erf <= 5e-7, "erf(x/√2) max abs error {worst_erf}");
        assert!(worst_exp <= 4e-7, "exp max rel error {worst_exp}");
        assert_eq!(generic::exp(f32::MIN), 0.0);
        assert_eq!(generic::exp(0.0), 1.0);
    }

    /// Every ISA's copy gives the same bits as the generic build; absent ISAs are skipped.
    #[test]
    fn every_isa_matches_generic_bit_for_bit() {
        let mut r = rng(7);
        for isa in Isa::ALL {
            let Ok(k) = Kernels::force(isa) else {
                eprintln!("skipped: {} not available on this CPU", isa.name());
                continue;
            };
            // Key transposition against its definition: whole tiles, a partial last block,
            // fewer than 16 keys, hidden sizes that are not a multiple of 16.
            for (n, h) in [(128usize, 256usize), (37, 64), (16, 16), (5, 7), (33, 48), (1, 16), (48, 35), (20, 80)] {
                let keys: Vec<f32> = (0..n * h).map(|_| r()).collect();
                let mut kt = vec![f32::NAN; generic::kt_len(h, n)];
                k.keys_blocked(&keys, h, &mut kt);
                for j in 0..n.div_ceil(16) * 16 {
                    for f in 0..h {
                        let want = if j < n { keys[j * h + f] } else { 0.0 };
                        assert_eq!(kt[generic::kt_index(h, j, f)].to_bits(), want.to_bits(), "{} keys_blocked n={n} h={h}: key {j} feature {f}", isa.name());
                    }
                }
            }
            for n in [1usize, 3, 15, 16, 17, 64, 255, 1024] {
                let x: Vec<f32> = (0..n).map(|_| r() * 8.0).collect();
                let (mut a, mut b) = (x.clone(), x.clone());
                // GELU's x86 copies fuse multiply-adds (bit-identical to the generic body with
                // FMA), within a few ulp of the unfused generic copy.
                let fused = cfg!(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64"))) && !matches!(isa, Isa::Scalar | Isa::Sse41);
                if fused {
                    generic::gelu_rows::<true>(&mut a);
                } else {
                    generic::gelu_in_place(&mut a);
                }
                k.gelu_in_place(&mut b);
                assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{} gelu n={n}", isa.name());
                // The prefetching copy: the same values, and 2 lines asked for per 16 values.
                let (mut p, lines) = (x.clone(), [0u8; 64 * 300]);
                let mut pf = crate::kernels::prefetch::Prefetch::new(&lines).per_step(2);
                k.gelu_prefetching(&mut p, &mut pf);
                assert!(p.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{} gelu_prefetching n={n}", isa.name());
                assert_eq!(pf.remaining(), lines.len() - (n / 16 * 2 * 64).min(lines.len()), "{} gelu_prefetching n={n}", isa.name());
                let mut c = x.clone();
                generic::gelu_in_place(&mut c);
                let worst = c.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
                assert!(worst <= 4e-6, "{} gelu fused vs unfused n={n}: {worst}", isa.name());
                let (mut a, mut b) = (x.clone(), x.clone());
                if fused {
                    generic::softmax_rows::<true>(&mut a);
                } else {
                    generic::softmax_in_place(&mut a);
                }
                k.softmax_in_place(&mut b);
                assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{} softmax n={n}", isa.name());
                let mut c = x.clone();
                generic::softmax_in_place(&mut c);
                let worst = c.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
                assert!(worst <= 1e-6, "{} softmax fused vs unfused n={n}: {worst}", isa.name());
                let w: Vec<f32> = (0..n).map(|_| r()).collect();
                let bias: Vec<f32> = (0..n).map(|_| r()).collect();
                // 9 rows: AVX-512 LayerNorm's groups of 4 and a tail.
                let rows: Vec<f32> = (0..9 * n).map(|_| r() * 4.0).collect();
                let res: Vec<f32> = (0..9 * n).map(|_| r()).collect();
                let (mut a, mut b) = (rows.clone(), rows.clone());
                generic::add_layer_norm(&mut a, &res, &w, &bias, 1e-12);
                k.add_layer_norm(&mut b, &res, &w, &bias, 1e-12);
                assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{} layer norm n={n}", isa.name());
                // Without a residual (the embeddings' LayerNorm).
                let (mut a, mut b) = (rows.clone(), rows.clone());
                generic::add_layer_norm(&mut a, &[], &w, &bias, 1e-12);
                k.add_layer_norm(&mut b, &[], &w, &bias, 1e-12);
                assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{} layer norm without residual n={n}", isa.name());
            }
            // Key counts cover every register-block width: 1, 2, 3 and 4 blocks of 16 keys,
            // alone and after whole 64-key blocks.
            for (d, heads, kv, n, causal) in
                [(64usize, 4usize, 128usize, 9usize, false), (12, 3, 7, 5, true), (32, 2, 17, 4, false), (8, 1, 1, 1, false), (96, 2, 70, 6, true), (64, 4, 200, 11, true), (80, 1, 65, 3, false), (16, 2, 64, 8, false), (64, 4, 16, 16, false), (32, 2, 45, 7, true), (64, 2, 100, 6, false)]
            {
                let h = d * heads;
                let q: Vec<f32> = (0..n * h).map(|_| r()).collect();
                let keys: Vec<f32> = (0..kv * h).map(|_| r()).collect();
                let mut kt = vec![f32::NAN; generic::kt_len(h, kv)];
                generic::keys_blocked(&keys, h, &mut kt);
                let v: Vec<f32> = (0..h * kv).map(|_| r()).collect();
                // Odd key counts see every key (the kernels then skip the mask pass), even ones
                // have masked keys.
                let allowed: Vec<f32> = (0..kv).map(|j| if kv % 2 == 0 && j % 5 == 3 { 0.0 } else { 1.0 }).collect();
                let limit = if causal { kv + 1 - n } else { kv };
                let (mut ra, mut rb) = (vec![0.0; n * kv], vec![0.0; n * kv]);
                let (mut oa, mut ob) = (vec![0.0; n * h], vec![0.0; n * h]);
                // Some shapes get a large scale: scores hundreds apart, so that `exp` meets its
                // clamp and its underflow to 0 on keys that are not masked.
                let scale = if kv % 3 == 1 { 40.0 } else { 0.125 };
                let a = generic::Attention { q: &q, kt: &kt, v: &v, h, d, kv_len: kv, scale, allowed: &allowed, limit, causal };
                generic::attend(&a, &mut ra, &mut oa);
                k.attend(&a, &mut rb, &mut ob);
                // FMA copies round once per multiply-add: a few ulp from the unfused result (scores
                // 320× larger carry those ulps into the exponentials).
                let worst = oa.iter().zip(&ob).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
                let tol = if scale > 1.0 { 1e-3 } else { 1e-5 };
                assert!(worst <= tol, "{} attention d={d}: max abs diff {worst}", isa.name());
                // The FMA copies (AVX-512 intrinsics, AVX2 autovectorized, NEON intrinsics) are
                // the generic body with FMA, bit for bit. (armv7 and SSE4.1, whose CPUs have no
                // FMA, run the generic body.)
                #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64")))]
                if !matches!(k.isa(), Isa::Scalar | Isa::Sse41) {
                    let (mut rf, mut of) = (vec![0.0; n * kv], vec![0.0; n * h]);
                    generic::attend_rows::<true>(&a, &mut rf, &mut of);
                    assert!(of.iter().zip(&ob).all(|(p, q)| p.to_bits() == q.to_bits()), "{} attention vs generic FMA d={d}", isa.name());
                    // The last head's probabilities too: an `exp` of 1e-38 where the generic body
                    // gives 0 would vanish in the outputs.
                    assert!(rf.iter().zip(&rb).all(|(p, q)| p.to_bits() == q.to_bits()), "{} probabilities vs generic FMA d={d}", isa.name());
                }
                // SSE (and scalar) run the unfused copy: bit for bit.
                if matches!(k.isa(), Isa::Scalar | Isa::Sse41) {
                    assert!(oa.iter().zip(&ob).all(|(p, q)| p.to_bits() == q.to_bits()), "{} attention vs generic d={d}", isa.name());
                }
                // A row's result does not depend on how rows are grouped (threads split them).
                let mut oc = vec![0.0; n * h];
                for i in 0..n {
                    let lim = if causal { limit + i } else { limit };
                    let one = generic::Attention { q: &q[i * h..(i + 1) * h], limit: lim, ..a };
                    k.attend(&one, &mut rb[..kv], &mut oc[i * h..(i + 1) * h]);
                }
                assert!(ob.iter().zip(&oc).all(|(p, q)| p.to_bits() == q.to_bits()), "{} grouping", isa.name());
            }
        }
    }
}
