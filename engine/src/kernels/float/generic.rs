//! The f32 kernels, written once. Every function is `#[inline(always)]` so that each ISA wrapper
//! (`x86_64.rs`, `aarch64.rs`) compiles its own copy with its own vector registers.
//!
//! Rules that make every copy give bit-identical results: no FMA (Rust never contracts `a*b+c`),
//! reductions with an explicit, fixed lane structure (`LANES` partial sums combined in a fixed
//! order), and branch-free element-wise math. The scalar build runs the same code.
//!
//! The exception is attention (`attend_row::<true>`), the one place where the multiply-adds
//! dominate: copies for CPUs with FMA fuse them, which halves the instructions and rounds once
//! instead of twice. Those copies differ from the unfused one by a few ulp (tested to a bound);
//! a given copy is still deterministic, whatever the thread count.

/// Partial sums per reduction; 16 fills one AVX-512 register, two AVX2 or four NEON registers.
pub const LANES: usize = 16;

/// Σ a[i]·b[i] with `LANES` partial sums combined pairwise.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] += x * y;
    }
    reduce(acc)
}

/// Σ a[i] with `LANES` partial sums.
#[inline(always)]
pub fn sum(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let c = a.chunks_exact(LANES);
    let r = c.remainder();
    for x in c {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    for (l, x) in r.iter().enumerate() {
        acc[l] += x;
    }
    reduce(acc)
}

/// Pairwise tree over the partial sums: 16 → 8 → 4 → 2 → 1.
#[inline(always)]
fn reduce(mut acc: [f32; LANES]) -> f32 {
    let mut w = LANES / 2;
    while w > 0 {
        for l in 0..w {
            acc[l] += acc[l + w];
        }
        w /= 2;
    }
    acc[0]
}

/// `e^x` for f32, branch-free (vectorizes): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6
/// polynomial, 2^n through the exponent bits. Max relative error about 2 ulp over the range that
/// does not overflow; inputs below -87.3 give 0 (as `f32::MIN` masking needs), above 88.7 give
/// `f32::MAX`-ish finite values (never reached: softmax inputs are ≤ 0).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUNDER: f32 = 12_582_912.0; // 1.5·2^23: adding and subtracting it rounds to an integer
    let xc = x.clamp(-87.336_54, 88.376_26);
    // n = round(x / ln2) without a libm call, so the loop vectorizes.
    let n = (xc * LOG2E + ROUNDER) - ROUNDER;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // e^r on [-ln2/2, ln2/2] (Cephes expf coefficients).
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let er = p * r * r + r + 1.0;
    // 2^n for n in [-126, 127]: n + 127 lands in the low mantissa bits of (n + 127) + 2^23, and
    // a shift by 23 moves them into the exponent field (integer ops only, so it vectorizes).
    let two_n = f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23);
    let y = er * two_n;
    // Below the clamp the true value underflows: return exactly 0 (masked scores).
    if x < -87.336_54 {
        0.0
    } else {
        y
    }
}

/// erf(x) = sign(x)·(1 − erfc(|x|)), branch-free (vectorizes), with erfc by the Chebyshev fit of
/// Numerical Recipes (`erfcc`: `t·exp(−z² + P(t))`, `t = 1/(1 + z/2)`, relative error < 1.2e-7)
/// on our `exp`. One division and one `exp` per value. Max absolute error against libm's erff:
/// 1.8e-7 (about 2 ulp at 1; tested ≤ 2e-7).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let z = x.abs().min(10.0);
    let t = 1.0 / (1.0 + 0.5 * z);
    let mut c = 0.170_872_77f32;
    c = c * t + -0.822_152_23;
    c = c * t + 1.488_515_9;
    c = c * t + -1.135_203_98;
    c = c * t + 0.278_868_07;
    c = c * t + -0.186_288_06;
    c = c * t + 0.096_784_18;
    c = c * t + 0.374_091_96;
    c = c * t + 1.000_023_7;
    c = c * t + -1.265_512_2;
    let erfc = t * exp(-z * z + c);
    (1.0 - erfc).copysign(x)
}

/// Exact-erf GELU, `0.5·x·(1 + erf(x/√2))`, in place.
#[inline(always)]
pub fn gelu_in_place(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        let v = *x;
        *x = 0.5 * v * (1.0 + erf(v * core::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Softmax over a row, in place. A row whose every entry is `f32::MIN` (all keys masked) becomes
/// uniform, as eager attention in transformers gives.
#[inline(always)]
pub fn softmax_in_place(row: &mut [f32]) {
    let mut m = [f32::MIN; LANES];
    let c = row.chunks_exact(LANES);
    for (l, v) in c.remainder().iter().enumerate() {
        m[l] = m[l].max(*v);
    }
    for x in c {
        for l in 0..LANES {
            m[l] = m[l].max(x[l]);
        }
    }
    let max = m.iter().copied().fold(f32::MIN, f32::max);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// `x[r] = LayerNorm(x[r] + residual[r])` for every row of width `weight.len()`; `residual` may be
/// empty. Biased variance, `eps` inside the square root.
#[inline(always)]
pub fn add_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    let dim = weight.len();
    if dim == 0 {
        return;
    }
    for (r, row) in x.chunks_exact_mut(dim).enumerate() {
        if !residual.is_empty() {
            for (v, res) in row.iter_mut().zip(&residual[r * dim..(r + 1) * dim]) {
                *v += res;
            }
        }
        let n = dim as f32;
        let mean = sum(row) / n;
        let mut acc = [0.0f32; LANES];
        let c = row.chunks_exact(LANES);
        for (l, v) in c.remainder().iter().enumerate() {
            acc[l] += (v - mean) * (v - mean);
        }
        for v in c {
            for l in 0..LANES {
                acc[l] += (v[l] - mean) * (v[l] - mean);
            }
        }
        let var = reduce(acc) / n;
        let inv = 1.0 / libm::sqrtf(var + eps);
        for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// Keys per register-resident block of scores: 128 keys are 8 AVX-512 accumulators, enough
/// independent chains to hide the add/FMA latency.
const BLOCK: usize = 128;
/// Head dimensions per register-resident block of the context (a head is usually 64 wide); the
/// keys alternate between two accumulator sets for the same reason.
const DBLOCK: usize = 64;

/// `a·b + c`, fused into one rounding when `FMA` (only instantiated where the CPU has FMA and
/// `std` provides `mul_add`, which then compiles to the instruction).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "std")]
    if FMA {
        return a.mul_add(b, c);
    }
    a * b + c
}

/// Scores of one query row of one head against every key: `row[j] = q·k_j · scale`, with the
/// keys of this head transposed (`kt` [D][kv_len]): each block of 64 keys accumulates in
/// registers over the head dimension, then is stored once.
#[inline(always)]
pub fn scores_transposed<const FMA: bool>(q: &[f32], kt: &[f32], kv_len: usize, scale: f32, row: &mut [f32]) {
    let row = &mut row[..kv_len];
    let mut j0 = 0;
    while j0 + BLOCK <= kv_len {
        let mut acc = [0.0f32; BLOCK];
        for (d, &qd) in q.iter().enumerate() {
            let k: &[f32; BLOCK] = kt[d * kv_len + j0..][..BLOCK].try_into().expect("block");
            for l in 0..BLOCK {
                acc[l] = madd::<FMA>(qd, k[l], acc[l]);
            }
        }
        for (s, a) in row[j0..j0 + BLOCK].iter_mut().zip(acc) {
            *s = a * scale;
        }
        j0 += BLOCK;
    }
    let w = kv_len - j0;
    if w > 0 {
        let mut acc = [0.0f32; BLOCK];
        for (d, &qd) in q.iter().enumerate() {
            let k = &kt[d * kv_len + j0..][..w];
            for (a, kv) in acc.iter_mut().zip(k) {
                *a = madd::<FMA>(qd, *kv, *a);
            }
        }
        for (s, a) in row[j0..].iter_mut().zip(acc) {
            *s = a * scale;
        }
    }
}

/// `out = Σ_j p[j]·v_j` for one head: `v` rows of `stride` floats, this head's `d = out.len()`
/// values at offset `off`. Blocks of 64 dimensions accumulate in registers over the keys, even
/// and odd keys in two sets (independent chains) added at the end.
#[inline(always)]
pub fn weighted_sum<const FMA: bool>(p: &[f32], v: &[f32], stride: usize, off: usize, out: &mut [f32]) {
    let d = out.len();
    let mut c0 = 0;
    while c0 < d {
        let w = DBLOCK.min(d - c0);
        let mut even = [0.0f32; DBLOCK];
        let mut odd = [0.0f32; DBLOCK];
        if w == DBLOCK {
            let pairs = p.chunks_exact(2);
            let last = pairs.remainder();
            for (jj, pair) in pairs.enumerate() {
                let j = 2 * jj;
                let v0: &[f32; DBLOCK] = v[j * stride + off + c0..][..DBLOCK].try_into().expect("block");
                let v1: &[f32; DBLOCK] = v[(j + 1) * stride + off + c0..][..DBLOCK].try_into().expect("block");
                for l in 0..DBLOCK {
                    even[l] = madd::<FMA>(pair[0], v0[l], even[l]);
                    odd[l] = madd::<FMA>(pair[1], v1[l], odd[l]);
                }
            }
            if let [pj] = last {
                let j = p.len() - 1;
                let vj: &[f32; DBLOCK] = v[j * stride + off + c0..][..DBLOCK].try_into().expect("block");
                for l in 0..DBLOCK {
                    even[l] = madd::<FMA>(*pj, vj[l], even[l]);
                }
            }
        } else {
            for (j, &pj) in p.iter().enumerate() {
                let vj = &v[j * stride + off + c0..][..w];
                let acc = if j % 2 == 0 { &mut even } else { &mut odd };
                for (a, x) in acc.iter_mut().zip(vj) {
                    *a = madd::<FMA>(pj, *x, *a);
                }
            }
        }
        for ((o, e), q) in out[c0..c0 + w].iter_mut().zip(even).zip(odd) {
            *o = e + q;
        }
        c0 += w;
    }
}

/// One query row of attention over every head (absolute positions):
/// `out[h] = softmax(q_h·K_hᵀ·scale, masked)·V_h`. `kt` [heads][D][kv_len] holds the keys
/// transposed; `v` the values, one row of `v_stride` floats per key; key `j` is visible when
/// `allowed[j] != 0` and `j < limit` (the causal rule). `row` [kv_len] is scratch.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn attend_row<const FMA: bool>(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    v_stride: usize,
    d: usize,
    kv_len: usize,
    scale: f32,
    allowed: &[f32],
    limit: usize,
    row: &mut [f32],
    out: &mut [f32],
) {
    let row = &mut row[..kv_len];
    for (h, (qh, oh)) in q.chunks_exact(d).zip(out.chunks_exact_mut(d)).enumerate() {
        scores_transposed::<FMA>(qh, &kt[h * d * kv_len..(h + 1) * d * kv_len], kv_len, scale, row);
        for (j, (s, &a)) in row.iter_mut().zip(allowed).enumerate() {
            if a == 0.0 || j >= limit {
                *s = f32::MIN;
            }
        }
        softmax_in_place(row);
        weighted_sum::<FMA>(row, v, v_stride, h * d, oh);
    }
}

/// `attend_row` without FMA, the copy every CPU can run (and the one the FMA copies of
/// `x86_64.rs` are tested against); the name each ISA module provides for the dispatcher.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn attend(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    v_stride: usize,
    d: usize,
    kv_len: usize,
    scale: f32,
    allowed: &[f32],
    limit: usize,
    row: &mut [f32],
    out: &mut [f32],
) {
    attend_row::<false>(q, kt, v, v_stride, d, kv_len, scale, allowed, limit, row, out)
}
