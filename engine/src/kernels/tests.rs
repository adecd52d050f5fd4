//! Every available kernel against the scalar specification, bit for bit.
//!
//! Each ISA has its own tests; on a CPU without that ISA they print
//! `skipped: <isa> not available on this CPU` (straight to stderr, so it shows without
//! `--nocapture`) and check nothing: read those lines, not the pass count, to know what ran.
//! `ELECTRA_EXPECT_ISA=<name>` makes `detect_picks_expected_isa` assert what detection chose (CI
//! sets it per emulated CPU).

extern crate std;

use std::io::Write;
use std::vec;
use std::vec::Vec;

use super::scalar::gemm_i8::gemm_i8_nt;
use super::{pack, Isa, Kernels};

fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn sym(&mut self) -> i8 {
        ((self.next() % 255) as i32 - 127) as i8
    }
    fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

#[derive(Clone, Copy, Debug)]
enum Values {
    Random,
    AllPos,
    AllNeg,
    MixedExtremes, // a = +127, w = -127
    Alternating,   // ±127 with different phases in a and w
}

const M_ALL: &[usize] = &[1, 2, 3, 4, 5, 7, 8, 13, 128];
const K_ALL: &[usize] = &[1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1024, 1536];
const N_ALL: &[usize] = &[1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 256];

/// The shapes × value patterns one ISA is checked on: random values on the whole grid, the four
/// ±127 patterns on all but the largest shapes (where all +127 alone stays). Under QEMU (aarch64)
/// the whole set takes about a minute per run.
fn cases() -> Vec<(usize, usize, usize, Values)> {
    let mut out = Vec::new();
    for &m in M_ALL {
        for &k in K_ALL {
            for &n in N_ALL {
                out.push((m, k, n, Values::Random));
                for v in [Values::AllPos, Values::AllNeg, Values::MixedExtremes, Values::Alternating] {
                    if m == 128 && k >= 1024 && !matches!(v, Values::AllPos) {
                        continue;
                    }
                    out.push((m, k, n, v));
                }
            }
        }
    }
    out
}

struct Case {
    a: Vec<i8>,
    sa: Vec<f32>,
    w: Vec<i8>,
    packed: Vec<i8>,
    sw: Vec<f32>,
    row_sums: Vec<i32>,
    bias: Vec<f32>,
}

fn make_case(m: usize, k: usize, n: usize, v: Values, rng: &mut Rng) -> Case {
    let (a, w): (Vec<i8>, Vec<i8>) = match v {
        Values::Random => ((0..m * k).map(|_| rng.sym()).collect(), (0..n * k).map(|_| rng.sym()).collect()),
        Values::AllPos => (vec![127; m * k], vec![127; n * k]),
        Values::AllNeg => (vec![-127; m * k], vec![-127; n * k]),
        Values::MixedExtremes => (vec![127; m * k], vec![-127; n * k]),
        Values::Alternating => (
            (0..m * k).map(|i| if i % 2 == 0 { 127 } else { -127 }).collect(),
            (0..n * k).map(|i| if (i / 3) % 2 == 0 { -127 } else { 127 }).collect(),
        ),
    };
    // Scales: mostly positive and small; random patterns also get negative and zero scales so the
    // sign of zero and the rounding of each multiply are exercised.
    let scale = |rng: &mut Rng| match (v, rng.next() % 16) {
        (Values::Random, 0) => 0.0,
        (Values::Random, 1) => -rng.f32(1e-4, 1e-1),
        _ => rng.f32(1e-4, 1e-1),
    };
    let sa: Vec<f32> = (0..m).map(|_| scale(rng)).collect();
    let sw: Vec<f32> = (0..n).map(|_| scale(rng)).collect();
    let bias: Vec<f32> = (0..n).map(|_| rng.f32(-2.0, 2.0)).collect();
    let mut packed = vec![0i8; pack::packed_len(n, k)];
    pack::pack_panel16x4(&w, n, k, &mut packed);
    let mut row_sums = vec![0i32; n];
    pack::row_sums(&w, n, k, &mut row_sums);
    Case { a, sa, w, packed, sw, row_sums, bias }
}

fn first_mismatch(want: &[f32], got: &[f32]) -> Option<usize> {
    want.iter().zip(got).position(|(x, y)| x.to_bits() != y.to_bits())
}

/// The first output where `kernels` differs from the scalar kernel on case `c` (with its bias),
/// the kernel writing over NaN.
fn mismatch_vs_scalar(kernels: Kernels, c: &Case, m: usize, k: usize, n: usize) -> Option<usize> {
    let mut want = vec![0.0f32; m * n];
    gemm_i8_nt(&c.a, &c.sa, m, k, &c.w, &c.sw, &c.bias, n, &mut want);
    let mut got = vec![f32::NAN; m * n];
    kernels.gemm_i8_packed(&c.a, &c.sa, m, k, &c.packed, &c.sw, &c.row_sums, &c.bias, n, &mut got);
    first_mismatch(&want, &got)
}

/// Checks `isa` on every case; returns the number of (case, bias) checks, or None if unavailable.
fn check_gemm(isa: Isa) -> Option<usize> {
    let kernels = match Kernels::force(isa) {
        Ok(k) => k,
        Err(_) => {
            report(format_args!("skipped: {} not available on this CPU", isa.name()));
            return None;
        }
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ isa as u64);
    let mut checks = 0;
    for (m, k, n, v) in cases() {
        let c = make_case(m, k, n, v, &mut rng);
        for with_bias in [false, true] {
            let bias: &[f32] = if with_bias { &c.bias } else { &[] };
            let mut want = vec![0.0f32; m * n];
            gemm_i8_nt(&c.a, &c.sa, m, k, &c.w, &c.sw, bias, n, &mut want);
            // Poison the output and give the kernel exactly-sized slices: a write past the end or
            // a missed element shows up.
            let mut got = vec![f32::NAN; m * n];
            kernels.gemm_i8_packed(&c.a, &c.sa, m, k, &c.packed, &c.sw, &c.row_sums, bias, n, &mut got);
            if let Some(i) = first_mismatch(&want, &got) {
                panic!(
                    "{}: m={m} k={k} n={n} {v:?} bias={with_bias}: y[{}, {}] = {} ({:#x}), scalar {} ({:#x})",
                    isa.name(),
                    i / n,
                    i % n,
                    got[i],
                    got[i].to_bits(),
                    want[i],
                    want[i].to_bits()
                );
            }
            checks += 1;
        }
    }
    report(format_args!("{}: gemm_i8_packed bit-exact vs scalar on {checks} cases", isa.name()));
    Some(checks)
}

/// The activations are read only up to `a[m·k - 1]`: place them at the very end of a page-sized
/// buffer region (here: exactly-sized slices cut from a larger buffer whose tail is poison we can
/// not detect by reading, so instead check results stay equal when the bytes after `a` change).
fn check_no_read_past_a(isa: Isa) {
    let Ok(kernels) = Kernels::force(isa) else { return };
    let mut rng = Rng(7);
    for &(m, k, n) in &[(1, 1, 1), (3, 5, 17), (7, 63, 33), (2, 257, 16), (5, 2050, 20)] {
        let c = make_case(m, k, n, Values::Random, &mut rng);
        let mut ys = Vec::new();
        for fill in [0i8, 127, -127] {
            let mut a = c.a.clone();
            a.extend(std::iter::repeat_n(fill, 256));
            let mut y = vec![0.0f32; m * n];
            kernels.gemm_i8_packed(&a[..m * k], &c.sa, m, k, &c.packed, &c.sw, &c.row_sums, &c.bias, n, &mut y);
            ys.push(y);
        }
        assert!(ys.windows(2).all(|p| p[0].iter().zip(&p[1]).all(|(x, y)| x.to_bits() == y.to_bits())));
    }
}

macro_rules! gemm_test {
    ($name:ident, $isa:expr) => {
        #[test]
        fn $name() {
            check_gemm($isa);
            check_no_read_past_a($isa);
        }
    };
}

gemm_test!(gemm_scalar_packed_matches_scalar, Isa::Scalar);
gemm_test!(gemm_sse41_matches_scalar, Isa::Sse41);
gemm_test!(gemm_avx2_matches_scalar, Isa::Avx2);
gemm_test!(gemm_avxvnni_matches_scalar, Isa::AvxVnni);
gemm_test!(gemm_avx512vnni_matches_scalar, Isa::Avx512Vnni);
gemm_test!(gemm_amx_matches_scalar, Isa::Amx);

/// The AMX kernel's own edges: k multiples of 64 (the only k it runs), rows around its 16- and
/// 32-row blocks, odd panel counts.
#[test]
fn gemm_amx_row_blocks_match_scalar() {
    let Ok(kernels) = Kernels::force(Isa::Amx) else {
        report(format_args!("skipped: amx not available on this CPU"));
        return;
    };
    let mut rng = Rng(0xA11);
    let mut checks = 0;
    for &m in &[1usize, 15, 16, 17, 31, 32, 33, 47, 48, 64, 65, 100] {
        for &k in &[64usize, 128, 256, 1024] {
            for &n in &[1usize, 16, 17, 32, 33, 48, 256] {
                for v in [Values::Random, Values::AllNeg, Values::Alternating] {
                    let c = make_case(m, k, n, v, &mut rng);
                    assert_eq!(mismatch_vs_scalar(kernels, &c, m, k, n), None, "amx m={m} k={k} n={n} {v:?}");
                    checks += 1;
                }
            }
        }
    }
    // Several column groups (512 KiB of weights each: 8 panels at k = 4096, 4 at k = 8192), with
    // a short last group and an odd panel count.
    for &(m, k, n) in &[(33usize, 4096usize, 149usize), (40, 8192, 83), (17, 4096, 272)] {
        let c = make_case(m, k, n, Values::Random, &mut rng);
        assert_eq!(mismatch_vs_scalar(kernels, &c, m, k, n), None, "amx groups m={m} k={k} n={n}");
        checks += 1;
    }
    report(format_args!("amx: row-block edges bit-exact vs scalar on {checks} cases"));
}
gemm_test!(gemm_neon_matches_scalar, Isa::Neon);
gemm_test!(gemm_dotprod_matches_scalar, Isa::Dotprod);
gemm_test!(gemm_dsp_matches_scalar, Isa::Dsp);

/// Every ISA the CPU has against the scalar kernel on these shapes and value patterns.
fn every_isa_matches_scalar(seed: u64, shapes: &[(usize, usize, usize)], values: &[Values]) {
    let mut rng = Rng(seed);
    for &(m, k, n) in shapes {
        for &v in values {
            let c = make_case(m, k, n, v, &mut rng);
            let mut want = vec![0.0f32; m * n];
            gemm_i8_nt(&c.a, &c.sa, m, k, &c.w, &c.sw, &c.bias, n, &mut want);
            for isa in Isa::ALL {
                let Ok(kernels) = Kernels::force(isa) else { continue };
                let mut got = vec![f32::NAN; m * n];
                kernels.gemm_i8_packed(&c.a, &c.sa, m, k, &c.packed, &c.sw, &c.row_sums, &c.bias, n, &mut got);
                assert_eq!(first_mismatch(&want, &got), None, "{} m={m} k={k} n={n} {v:?}", isa.name());
            }
        }
    }
}

/// k larger than the kernels' activation chunk (2048), so the chunked path runs too.
#[test]
fn gemm_long_k_every_isa() {
    every_isa_matches_scalar(99, &[(7, 4099, 33), (1, 2049, 16), (6, 6000, 17)], &[Values::Random, Values::AllPos, Values::Alternating]);
}

/// More than 512 KiB of packed weights: the register-blocked kernels walk several column blocks
/// (`GemmArgs::for_each_block`), each row block converted again in each; with more rows than any
/// register block, and (second shape) k past the activation chunk too. The other tests' weights
/// fit one block.
#[test]
fn gemm_column_blocks_every_isa() {
    let shapes = [(19, 1024, 600), (10, 2500, 241)];
    assert!(shapes.iter().all(|&(_, k, n)| pack::packed_len(n, k) > 512 << 10));
    every_isa_matches_scalar(0xB10C, &shapes, &[Values::Random]);
}

#[test]
fn gemm_degenerate_shapes() {
    for isa in Isa::ALL {
        let Ok(kernels) = Kernels::force(isa) else { continue };
        // m = 0 and n = 0 do nothing; k = 0 gives the bias.
        let mut y = [5.0f32; 2];
        kernels.gemm_i8_packed(&[], &[], 0, 3, &[0; 64], &[1.0], &[0], &[], 1, &mut y);
        assert_eq!(y, [5.0; 2]);
        kernels.gemm_i8_packed(&[], &[2.0, 3.0], 2, 0, &[], &[1.0], &[0], &[0.5], 1, &mut y);
        assert_eq!(y, [0.5, 0.5]);
    }
}

#[test]
#[should_panic(expected = "w_packed holds")]
fn gemm_rejects_short_weights() {
    Kernels::detect().gemm_i8_packed(&[1; 4], &[1.0], 1, 4, &[0; 63], &[1.0], &[0], &[], 1, &mut [0.0]);
}

// ---------------------------------------------------------------------------------------------
// Quantization.

fn quantize_rows_for(kernels: Kernels, x: &[f32], cols: usize, cs: Option<&[f32]>) -> (Vec<i8>, Vec<u32>) {
    let rows = x.len() / cols;
    let mut q = vec![99i8; rows * cols];
    let mut s = vec![f32::NAN; rows];
    kernels.quantize_rows_smoothed(x, cols, cs, &mut q, &mut s);
    (q, s.iter().map(|v| v.to_bits()).collect())
}

fn quantize_inputs() -> Vec<(Vec<f32>, usize, Option<Vec<f32>>)> {
    let mut rng = Rng(3);
    let mut out = Vec::new();
    for &cols in &[1usize, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 256, 1024] {
        let rows = 3;
        let x: Vec<f32> = (0..rows * cols).map(|_| rng.f32(-4.0, 4.0)).collect();
        let cs: Vec<f32> = (0..cols).map(|_| rng.f32(0.1, 3.0)).collect();
        out.push((x.clone(), cols, None));
        out.push((x, cols, Some(cs)));
    }
    // More rows than a group of the SIMD kernels' row loop (8, `for_each_row`), the last group
    // partial; each row with its own magnitude, so a scale or inverse given to the wrong row shows.
    for &(rows, cols) in &[(19usize, 33usize), (17, 256), (9, 1024)] {
        let x: Vec<f32> = (0..rows * cols).map(|i| rng.f32(-4.0, 4.0) * (1 + i / cols) as f32).collect();
        let cs: Vec<f32> = (0..cols).map(|_| rng.f32(0.1, 3.0)).collect();
        out.push((x.clone(), cols, None));
        out.push((x, cols, Some(cs)));
    }
    // Hard rows (cols = 24 so the SIMD body and the scalar tail both see them): a row max of
    // exactly 127 makes inv = 1, so the values are rounded as written.
    let mut hard = vec![127.0f32, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0.49999997, -0.49999997, -0.0];
    hard.extend([3.5, 4.5, 5.4999995, 8388607.5 / 65536.0, 1e-40, -1e-40, 64.5, -64.5, 100.5, 0.0, 1.0, -1.0]);
    out.push((hard.clone(), 24, None));
    // The same values four times in one row of 96, so the 32-wide SIMD body sees them too.
    out.push((hard.iter().cycle().take(96).copied().collect(), 96, None));
    // Scaled halves: max 254 → scale 2, inv 0.5; odd integers land on x.5.
    let halves: Vec<f32> = (0..48).map(|i| if i == 0 { 254.0 } else { (i as f32 * 2.0 + 1.0) * if i % 2 == 0 { 1.0 } else { -1.0 } }).collect();
    out.push((halves, 48, None));
    // Specials: NaN is ignored by the max and becomes 0; ±inf makes inv 0 (values 0, ∞ → NaN → 0);
    // all-zero row; a subnormal max (below `MIN_MAX`: scale 1, every value 0).
    let mut specials = vec![f32::NAN, 1.0, -3.0, 2.0, f32::NAN, 0.25, 0.0, -0.0, 9.0, -8.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    specials.extend(vec![0.0f32; 17]);
    specials.extend([f32::INFINITY, 1.0, -1.0, 0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, -5.0]);
    specials.extend([1e-44f32, -1e-45, 0.0, 1e-45, 5e-45, -3e-45, 0.0, 0.0, 1e-44, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    out.push((specials.clone(), 17, None));
    // Specials in rows of 68 (32-wide body, 8-wide body, scalar tail), with and without smoothing.
    let wide: Vec<f32> = specials.iter().cycle().take(68 * 3).copied().collect();
    let cs: Vec<f32> = (0..68).map(|i| 0.5 + (i % 5) as f32 * 0.5).collect();
    out.push((wide.clone(), 68, None));
    out.push((wide, 68, Some(cs)));
    // Subnormal-max rows wide enough for the SIMD bodies (they would overflow `inv` without the
    // `MIN_MAX` rule).
    let tiny: Vec<f32> = specials[51..68].iter().cycle().take(68 * 2).copied().collect();
    out.push((tiny, 68, None));
    out
}

fn check_quantize(isa: Isa) {
    let Ok(kernels) = Kernels::force(isa) else {
        report(format_args!("skipped: {} not available on this CPU (quantize)", isa.name()));
        return;
    };
    if cfg!(target_arch = "arm") && isa != Isa::Scalar {
        report(format_args!("skipped: {} on 32-bit ARM quantizes with the scalar kernel itself", isa.name()));
        return;
    }
    let inputs = quantize_inputs();
    for (x, cols, cs) in &inputs {
        let want = quantize_rows_for(Kernels::scalar(), x, *cols, cs.as_deref());
        let got = quantize_rows_for(kernels, x, *cols, cs.as_deref());
        assert_eq!(want, got, "{}: cols={cols} smoothed={}", isa.name(), cs.is_some());
    }
    report(format_args!("{}: quantize bit-exact vs scalar on {} row sets", isa.name(), inputs.len()));
}

#[test]
fn quantize_every_available_isa_matches_scalar() {
    for isa in Isa::ALL {
        check_quantize(isa);
    }
}

/// Values a rounding conversion is checked on: a stride through every bit pattern of magnitude
/// ≤ 2^22 (where `round_half_even` is defined), every float within 64 ulps of each x.5 in
/// [-300, 300], and NaN.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn rounding_inputs(stride: u32) -> Vec<f32> {
    let mut vals: Vec<f32> = (0..=u32::MAX / stride).map(|i| f32::from_bits(i.wrapping_mul(stride))).filter(|v| v.is_nan() || v.abs() <= 4_194_304.0).collect();
    for h in -300..300 {
        let c = h as f32 + 0.5;
        for d in -64i32..=64 {
            vals.push(f32::from_bits((c.to_bits() as i32 + d) as u32));
        }
    }
    vals.extend([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 4_194_303.5, -4_194_303.5, 4_194_304.0, f32::NAN]);
    vals
}

/// `round` (a vector conversion on `N` lanes) against the scalar `round_half_even` (NaN → 0) on
/// every value of `vals`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn check_rounding<const N: usize>(vals: &[f32], round: impl Fn([f32; N]) -> [i32; N]) {
    for ch in vals.chunks(N) {
        let mut x = [0.0f32; N];
        x[..ch.len()].copy_from_slice(ch);
        for (x, r) in x.iter().zip(round(x)) {
            assert_eq!(r, crate::kernels::scalar::quantize::round_half_even(*x) as i32, "round({x:e})");
        }
    }
}

/// The AVX2 conversion rounds as the scalar `round_half_even` on all of its domain.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx2_rounding_matches_scalar() {
    if !Isa::Avx2.is_available() {
        report(format_args!("skipped: avx2 not available on this CPU (rounding)"));
        return;
    }
    let vals = rounding_inputs(if cfg!(debug_assertions) { 65_521 } else { 4_099 });
    // SAFETY: AVX2 checked above.
    check_rounding(&vals, |x| unsafe { super::x86_64::avx2::quantize::round8(x) });
}

/// The SSE conversion (the `sse41` set's quantization) against the scalar rounding, as for AVX2.
#[cfg(target_arch = "x86_64")]
#[test]
fn sse41_rounding_matches_scalar() {
    if !Isa::Sse41.is_available() {
        report(format_args!("skipped: sse41 not available on this CPU (rounding)"));
        return;
    }
    let vals = rounding_inputs(if cfg!(debug_assertions) { 65_521 } else { 4_099 });
    // SAFETY: SSE4.1 checked above.
    check_rounding(&vals, |x| unsafe { super::x86_64::sse41::quantize::round4(x) });
}

/// The NEON conversion against the scalar rounding, as for AVX2.
#[cfg(target_arch = "aarch64")]
#[test]
fn neon_rounding_matches_scalar() {
    use core::arch::aarch64::{vdupq_n_f32, vld1q_f32, vst1q_s32};
    if !Isa::Neon.is_available() {
        report(format_args!("skipped: neon not available on this CPU (rounding)"));
        return;
    }
    check_rounding(&rounding_inputs(65_521), |x: [f32; 4]| {
        let mut r = [0i32; 4];
        // SAFETY: NEON checked above; 4-element arrays.
        unsafe { vst1q_s32(r.as_mut_ptr(), super::aarch64::neon::quantize::quantize4(vld1q_f32(x.as_ptr()), vdupq_n_f32(1.0))) };
        r
    });
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

#[test]
fn names_round_trip() {
    for isa in Isa::ALL {
        assert_eq!(Isa::from_name(isa.name()), Some(isa));
    }
    assert_eq!(Isa::from_name("sse2"), None);
    assert_eq!(Kernels::scalar().isa(), Isa::Scalar);
    assert!(Kernels::force(Isa::Scalar).is_ok());
}

#[test]
fn force_refuses_absent_isa() {
    for isa in Isa::ALL {
        match Kernels::force(isa) {
            Ok(k) => assert_eq!(k.isa(), isa),
            Err(e) => {
                assert!(!isa.is_available());
                assert!(std::format!("{e}").contains(isa.name()));
            }
        }
    }
    // The other architecture's ISAs are never available.
    #[cfg(target_arch = "x86_64")]
    assert!(Kernels::force(Isa::Neon).is_err() && Kernels::force(Isa::Dotprod).is_err());
    #[cfg(target_arch = "aarch64")]
    assert!(Kernels::force(Isa::Avx2).is_err());
}

#[test]
fn detect_picks_expected_isa() {
    let detected = Kernels::detect();
    let available: Vec<&str> = Isa::ALL.iter().filter(|i| i.is_available()).map(|i| i.name()).collect();
    report(format_args!("detected: {} (available: {})", detected.name(), available.join(", ")));
    match std::env::var("ELECTRA_EXPECT_ISA") {
        Ok(want) if !want.is_empty() => assert_eq!(detected.name(), want, "ELECTRA_EXPECT_ISA"),
        _ => report(format_args!("ELECTRA_EXPECT_ISA unset: detection not asserted")),
    }
    // The choice is the best available one, and every ISA but scalar is ranked.
    assert_eq!(detected.isa(), Kernels::PREFERENCE.into_iter().find(|i| i.is_available()).unwrap_or(Isa::Scalar));
    for isa in Isa::ALL {
        assert_eq!(isa == Isa::Scalar, !Kernels::PREFERENCE.contains(&isa), "{isa} ranked");
    }
}

#[cfg(feature = "std")]
#[test]
fn from_env_value_parses() {
    use super::IsaFromEnvError;
    assert_eq!(Kernels::from_env_value(None).unwrap(), Kernels::detect());
    assert_eq!(Kernels::from_env_value(Some("")).unwrap(), Kernels::detect());
    assert_eq!(Kernels::from_env_value(Some("scalar")).unwrap().isa(), Isa::Scalar);
    assert_eq!(Kernels::from_env_value(Some(" Scalar ")).unwrap().isa(), Isa::Scalar);
    assert!(matches!(Kernels::from_env_value(Some("avx3")), Err(IsaFromEnvError::Unknown(_))));
    let absent = Isa::ALL.into_iter().find(|i| !i.is_available()).unwrap();
    let err = Kernels::from_env_value(Some(absent.name())).unwrap_err();
    assert!(matches!(err, IsaFromEnvError::Unavailable(_)));
    assert!(std::format!("{err}").contains("not available"));
}

/// Every available ISA's register-only peak loops (the benches' % of peak) run and count their
/// multiply-accumulates in proportion to the iterations; on armv7 this also checks that the
/// `asm!` block's `vpush`/`vpop` of q8–q15 leaves the program running.
#[test]
fn peak_loops_run() {
    for isa in Isa::ALL {
        let Ok(kernels) = Kernels::force(isa) else { continue };
        for p in kernels.peak_loops() {
            let (one, ten) = ((p.run)(1), (p.run)(10));
            assert!(one > 0 && ten == 10 * one, "{}: {one} MACs for 1 iteration, {ten} for 10", p.name);
            report(format_args!("{}: {} MACs per iteration", p.name, one));
        }
    }
}
