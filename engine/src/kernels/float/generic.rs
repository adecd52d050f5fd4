//! The f32 kernels, written once. Every function is `#[inline(always)]` so that each ISA wrapper
//! (`x86_64/`, `aarch64/`) compiles its own copy with its own vector registers.
//!
//! Rules that make results reproducible: reductions with an explicit, fixed lane structure
//! (`LANES` partial sums combined in a fixed order), branch-free element-wise math, and
//! multiply-adds written as `madd::<FMA>` (Rust never contracts `a*b+c` by itself). With
//! `FMA = false` every copy, the scalar build included, gives the same bits. GELU, softmax and
//! attention also have `FMA = true` bodies, which the copies for CPUs with FMA run: they halve
//! those instructions and round once instead of twice, and differ from the unfused bodies by a
//! few ulp (tested to a bound). A given copy is deterministic whatever the thread count.

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

/// Pairwise tree over the partial sums: 16 → 8 → 4 → 2 → 1.
#[inline(always)]
pub(crate) fn reduce(mut acc: [f32; LANES]) -> f32 {
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
    exp_with::<false>(x)
}

/// `exp` with its multiply-adds fused when `FMA` (the copy for CPUs with FMA; within an ulp of
/// the unfused one).
#[inline(always)]
pub fn exp_with<const FMA: bool>(x: f32) -> f32 {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUNDER: f32 = 12_582_912.0; // 1.5·2^23: adding and subtracting it rounds to an integer
    let xc = x.clamp(-87.336_54, 88.376_26);
    // n = round(x / ln2) without a libm call, so the loop vectorizes.
    let n = madd::<FMA>(xc, LOG2E, ROUNDER) - ROUNDER;
    let r = madd::<FMA>(-n, LN2_LO, madd::<FMA>(-n, LN2_HI, xc));
    // e^r on [-ln2/2, ln2/2] (Cephes expf coefficients).
    let mut p = 1.987_569_1e-4f32;
    p = madd::<FMA>(p, r, 1.398_2e-3);
    p = madd::<FMA>(p, r, 8.333_452e-3);
    p = madd::<FMA>(p, r, 4.166_579_6e-2);
    p = madd::<FMA>(p, r, 1.666_666_5e-1);
    p = madd::<FMA>(p, r, 0.5);
    let er = madd::<FMA>(p * r, r, r) + 1.0;
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

/// `erf(x/√2)`, the Gaussian CDF part of GELU: `x·P(x²)/Q(x²)` on `|x| ≤ 5.2` (beyond, erf is
/// 1 to f32 precision), P odd of degree 9 and Q even of degree 10, fitted by us
/// (`tests/tools/fit_gelu_erf.py`: weighted least squares, max error 1.1e-7 in f64). Branch-free,
/// one division, 9 multiply-adds. Max absolute error in f32 against f64 erf: 4.7e-7 (tested ≤
/// 5e-7). Clamped below at -1 only: above, the result may exceed 1 by an ulp, which moves GELU
/// by half an ulp, while below -1 GELU would change sign.
#[inline(always)]
pub fn erf_over_sqrt2<const FMA: bool>(x: f32) -> f32 {
    const X_MAX: f32 = 5.2;
    let xc = x.clamp(-X_MAX, X_MAX);
    let x2 = xc * xc;
    let mut p = 1.168_091_8e-5f32;
    p = madd::<FMA>(p, x2, 6.285_072_3e-4);
    p = madd::<FMA>(p, x2, 1.103_734_4e-2);
    p = madd::<FMA>(p, x2, 9.918_525e-2);
    p = madd::<FMA>(p, x2, 7.978_838e-1);
    let mut q = 5.018_879e-7f32;
    q = madd::<FMA>(q, x2, 1.127_371_5e-4);
    q = madd::<FMA>(q, x2, 2.703_692_8e-3);
    q = madd::<FMA>(q, x2, 3.733_933e-2);
    q = madd::<FMA>(q, x2, 2.909_710_4e-1);
    q = madd::<FMA>(q, x2, 1.0);
    (xc * p / q).max(-1.0)
}

/// Exact-erf GELU of one value, `0.5·x·(1 + erf(x/√2))` written `h + h·erf(x/√2)` with
/// `h = x/2` (one multiply-add; exactly 0 where erf is -1).
#[inline(always)]
pub fn gelu<const FMA: bool>(x: f32) -> f32 {
    let h = 0.5 * x;
    madd::<FMA>(h, erf_over_sqrt2::<FMA>(x), h)
}

/// Exact-erf GELU, `0.5·x·(1 + erf(x/√2))` (torch's default `F.gelu`), in place.
#[inline(always)]
pub fn gelu_in_place(xs: &mut [f32]) {
    gelu_rows::<false>(xs)
}

/// `gelu_in_place` with its multiply-adds fused when `FMA` (the copies for CPUs with FMA run this).
#[inline(always)]
pub fn gelu_rows<const FMA: bool>(xs: &mut [f32]) {
    gelu_rows_prefetching::<FMA>(xs, &mut crate::kernels::prefetch::Prefetch::none())
}

/// `gelu_rows`, calling `pf.step()` after every 16 values (which changes no value).
#[inline(always)]
pub fn gelu_rows_prefetching<const FMA: bool>(xs: &mut [f32], pf: &mut crate::kernels::prefetch::Prefetch<'_>) {
    let mut c = xs.chunks_exact_mut(LANES);
    for v in c.by_ref() {
        let v: &mut [f32; LANES] = v.try_into().expect("LANES values");
        for x in v.iter_mut() {
            *x = gelu::<FMA>(*x);
        }
        pf.step();
    }
    for x in c.into_remainder() {
        *x = gelu::<FMA>(*x);
    }
}

/// `gelu_in_place` with `pf.step()` after every 16 values.
#[inline(always)]
pub fn gelu_prefetching(xs: &mut [f32], pf: &mut crate::kernels::prefetch::Prefetch<'_>) {
    gelu_rows_prefetching::<false>(xs, pf)
}

/// Keys per block of the transposed-key layout (see `kt_index`).
pub const KEY_BLOCK: usize = 16;

/// Where key `j`'s feature `f` lies in the transposed keys: blocks of `KEY_BLOCK` keys, each
/// `[h][KEY_BLOCK]`, so `[⌈kv_len/16⌉][h][16]`. A feature's 16 keys are contiguous (the score
/// kernels load them as vectors), and a block holds whole keys, so the thread that computed 16
/// keys can write their block alone.
#[inline(always)]
pub const fn kt_index(h: usize, j: usize, f: usize) -> usize {
    (j / KEY_BLOCK * h + f) * KEY_BLOCK + j % KEY_BLOCK
}

/// Floats of the transposed keys of `kv_len` keys of `h` features (whole blocks).
pub const fn kt_len(h: usize, kv_len: usize) -> usize {
    kv_len.div_ceil(KEY_BLOCK) * KEY_BLOCK * h
}

/// `kt[kt_index(h, j, f)] = k[j·h + f]` for the `n = k.len() / h` keys of `k` [n, h]; the lanes
/// of the last block past `n` become 0. Runs through 16 × 16 tiles so that rows are read and
/// written contiguously; whole tiles go through fixed-size arrays (with run-time lengths every
/// 16-float row was a `memmove` call). Panics if `kt` is shorter than `kt_len(h, n)`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn keys_blocked(k: &[f32], h: usize, kt: &mut [f32]) {
    const B: usize = KEY_BLOCK;
    let n = k.len().checked_div(h).unwrap_or(0);
    let kt = &mut kt[..kt_len(h, n)];
    let mut tile = [[0.0f32; B]; B];
    for j0 in (0..n).step_by(B) {
        let w = B.min(n - j0);
        for f0 in (0..h).step_by(B) {
            let wf = B.min(h - f0);
            let dst = &mut kt[(j0 / B * h + f0) * B..][..wf * B];
            if w == B && wf == B {
                for (u, row) in tile.iter_mut().enumerate() {
                    *row = *k[(j0 + u) * h + f0..].first_chunk::<B>().expect("key inside k");
                }
                for (c, d) in dst.chunks_exact_mut(B).enumerate() {
                    let d: &mut [f32; B] = d.try_into().expect("16 lanes");
                    *d = core::array::from_fn(|u| tile[u][c]);
                }
                continue;
            }
            for (u, row) in tile.iter_mut().enumerate() {
                if u < w {
                    row[..wf].copy_from_slice(&k[(j0 + u) * h + f0..][..wf]);
                } else {
                    *row = [0.0; B];
                }
            }
            for (c, d) in dst.chunks_exact_mut(B).enumerate() {
                for (u, v) in d.iter_mut().enumerate() {
                    *v = tile[u][c];
                }
            }
        }
    }
}

/// `keys_blocked` element by element, on targets without vector units to fill (32-bit ARM, the
/// Cortex-M among them): the 16 × 16 tile was 1 KiB of a microcontroller's stack. The same copy.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn keys_blocked(k: &[f32], h: usize, kt: &mut [f32]) {
    const B: usize = KEY_BLOCK;
    let n = k.len().checked_div(h).unwrap_or(0);
    let kt = &mut kt[..kt_len(h, n)];
    for (b, block) in kt.chunks_exact_mut(h * B).enumerate() {
        for (f, lanes) in block.chunks_exact_mut(B).enumerate() {
            for (u, v) in lanes.iter_mut().enumerate() {
                let j = b * B + u;
                *v = if j < n { k[j * h + f] } else { 0.0 };
            }
        }
    }
}

/// Softmax over a row, in place. A row whose every entry is `f32::MIN` (all keys masked) becomes
/// uniform, as eager attention in transformers gives.
#[inline(always)]
pub fn softmax_in_place(row: &mut [f32]) {
    softmax_rows::<false>(row)
}

/// `softmax_in_place` with `exp`'s multiply-adds fused when `FMA`. Three passes: the maximum,
/// `exp` with the sum in the same pass, the normalization (`softmax_max`, `softmax_exp`,
/// `scale_row`, which the attention row loop runs phase by phase over a block of rows).
#[inline(always)]
pub fn softmax_rows<const FMA: bool>(row: &mut [f32]) {
    let max = softmax_max(row);
    let inv = 1.0 / softmax_exp::<FMA>(row, max);
    scale_row(row, inv);
}

/// The maximum of a score row.
#[inline(always)]
pub fn softmax_max(row: &[f32]) -> f32 {
    // `a > b ? a : b` rather than `f32::max` (whose NaN rule keeps LLVM from using `maxps`);
    // scores are never NaN.
    let mut m = [f32::MIN; LANES];
    let c = row.chunks_exact(LANES);
    for (l, &v) in c.remainder().iter().enumerate() {
        m[l] = if v > m[l] { v } else { m[l] };
    }
    for x in c {
        for l in 0..LANES {
            m[l] = if x[l] > m[l] { x[l] } else { m[l] };
        }
    }
    // Pairwise tree over the lanes (max is exact: any order gives the same value).
    let mut w = LANES / 2;
    while w > 0 {
        for l in 0..w {
            m[l] = if m[l + w] > m[l] { m[l + w] } else { m[l] };
        }
        w /= 2;
    }
    m[0]
}

/// `row[j] = exp(row[j] − max)` in place; returns their sum (lane sums, pairwise tree).
#[inline(always)]
pub fn softmax_exp<const FMA: bool>(row: &mut [f32], max: f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut c = row.chunks_exact_mut(LANES);
    for x in c.by_ref() {
        for l in 0..LANES {
            x[l] = exp_with::<FMA>(x[l] - max);
            acc[l] += x[l];
        }
    }
    for (l, x) in c.into_remainder().iter_mut().enumerate() {
        *x = exp_with::<FMA>(*x - max);
        acc[l] += *x;
    }
    reduce(acc)
}

/// `row[j] *= inv`.
#[inline(always)]
pub fn scale_row(row: &mut [f32], inv: f32) {
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// Correctly rounded square root. With std this is `f32::sqrt`, which compiles to the
/// encoding of the surrounding code (`vsqrtss` in AVX copies); libm's x86 `sqrtf` is a legacy-SSE
/// `sqrtss` in inline asm, and mixing it into AVX-512 code (dirty upper register state) cost
/// LayerNorm more than the rest of its work. Both are IEEE square roots: same bits.
#[inline(always)]
fn sqrt(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.sqrt()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::sqrtf(x)
    }
}

/// Partial sums of the LayerNorm reductions: 4 × `LANES`, so the vectorized loops carry 4
/// independent add chains.
const WIDE: usize = 4 * LANES;

/// Σ f(a[i]) with `WIDE` partial sums combined by a pairwise tree.
#[inline(always)]
fn sum_wide(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; WIDE];
    let c = a.chunks_exact(WIDE);
    for (l, &v) in c.remainder().iter().enumerate() {
        acc[l] += f(v);
    }
    for x in c {
        for l in 0..WIDE {
            acc[l] += f(x[l]);
        }
    }
    let mut w = WIDE / 2;
    while w > 0 {
        for l in 0..w {
            acc[l] += acc[l + w];
        }
        w /= 2;
    }
    acc[0]
}

/// `x[r] = LayerNorm(x[r] + residual[r])` for every row of width `weight.len()`; `residual` may be
/// empty. Biased variance, `eps` inside the square root.
#[inline(always)]
pub fn add_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    let dim = weight.len();
    if dim == 0 {
        return;
    }
    let n = dim as f32;
    for (r, row) in x.chunks_exact_mut(dim).enumerate() {
        if !residual.is_empty() {
            for (v, res) in row.iter_mut().zip(&residual[r * dim..(r + 1) * dim]) {
                *v += res;
            }
        }
        let mean = sum_wide(row, |v| v) / n;
        let var = sum_wide(row, |v| (v - mean) * (v - mean)) / n;
        let inv = 1.0 / sqrt(var + eps);
        for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// Keys per register-resident block of scores, and head dimensions per block of the context:
/// with 4 query rows, 4 × 64 floats are 16 AVX-512 accumulators (independent FMA chains, and
/// each key/value load serves 4 rows).
const BLOCK: usize = 64;
/// The f32 GEMM of f32 and f16 files, unfused (`gemm_f32` holds it and its intrinsic copies).
#[inline(always)]
pub fn gemm_nt(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
    super::gemm_f32::gemm_nt::<false>(x, m, k, w, n, y)
}

/// `gemm_nt` for f16 weights (`k ≤ gemm_f32::F16_MAX_K`).
#[inline(always)]
pub fn gemm_nt_f16(x: &[f32], m: usize, k: usize, w: &[half::f16], n: usize, y: &mut [f32]) {
    super::gemm_f32::gemm_nt_f16::<false>(x, m, k, w, n, y)
}

/// Query rows computed together.
pub const ROWS: usize = 4;

/// `a·b + c`, fused into one rounding when `FMA` (only instantiated where the CPU has FMA and
/// `std` provides `mul_add`, which then compiles to the instruction).
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "std")]
    if FMA {
        return a.mul_add(b, c);
    }
    a * b + c
}

/// Scores of `R` query rows of one head: `rows[r][j] = q_r·k_j · scale`, keys transposed in
/// blocks (`kt`, see `kt_index`; `h` features per key); `q` holds the rows `q_stride` apart, this
/// head's D values at `off`. Each row's sums run in the same order whatever `R` is, so results do
/// not depend on grouping.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn scores<const R: usize, const FMA: bool>(
    q: &[f32],
    q_stride: usize,
    off: usize,
    d: usize,
    kt: &[f32],
    h: usize,
    kv_len: usize,
    scale: f32,
    rows: &mut [f32],
) {
    let mut j0 = 0;
    while j0 < kv_len {
        let w = BLOCK.min(kv_len - j0);
        let mut acc = [[0.0f32; BLOCK]; R];
        for dd in 0..d {
            // The block's keys for feature off + dd: runs of KEY_BLOCK contiguous values.
            for s0 in (0..w).step_by(KEY_BLOCK) {
                let ws = KEY_BLOCK.min(w - s0);
                let k = &kt[kt_index(h, j0 + s0, off + dd)..][..ws];
                for (r, a) in acc.iter_mut().enumerate() {
                    let qv = q[r * q_stride + off + dd];
                    for (x, kv) in a[s0..s0 + ws].iter_mut().zip(k) {
                        *x = madd::<FMA>(qv, *kv, *x);
                    }
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            for (s, x) in rows[r * kv_len + j0..][..w].iter_mut().zip(a) {
                *s = x * scale;
            }
        }
        j0 += w;
    }
}

/// Context of `R` rows of one head: `out[r][off..off+d] = Σ_j p_r[j]·v_j[off..off+d]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn context<const R: usize, const FMA: bool>(
    p: &[f32],
    kv_len: usize,
    v: &[f32],
    v_stride: usize,
    off: usize,
    d: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    let mut c0 = 0;
    while c0 < d {
        let w = BLOCK.min(d - c0);
        let mut acc = [[0.0f32; BLOCK]; R];
        if w == BLOCK {
            for j in 0..kv_len {
                let vj: &[f32; BLOCK] = v[j * v_stride + off + c0..][..BLOCK].try_into().expect("block");
                for (r, a) in acc.iter_mut().enumerate() {
                    let pj = p[r * kv_len + j];
                    for l in 0..BLOCK {
                        a[l] = madd::<FMA>(pj, vj[l], a[l]);
                    }
                }
            }
        } else {
            for j in 0..kv_len {
                let vj = &v[j * v_stride + off + c0..][..w];
                for (r, a) in acc.iter_mut().enumerate() {
                    let pj = p[r * kv_len + j];
                    for (x, vv) in a.iter_mut().zip(vj) {
                        *x = madd::<FMA>(pj, *vv, *x);
                    }
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            out[r * out_stride + off + c0..][..w].copy_from_slice(&a[..w]);
        }
        c0 += w;
    }
}

/// The shared inputs of attention over consecutive query rows of one batch row (absolute
/// positions).
#[derive(Clone, Copy)]
pub struct Attention<'a> {
    /// [rows, h] the query rows.
    pub q: &'a [f32],
    /// The keys transposed in blocks of 16 keys (`kt_index`; features head-major, `head·D + dim`),
    /// at least `kt_len(h, kv_len)` floats.
    pub kt: &'a [f32],
    /// [kv_len, h] the values, one row per key.
    pub v: &'a [f32],
    /// Hidden size (heads × D) and head size D.
    pub h: usize,
    pub d: usize,
    pub kv_len: usize,
    /// 1/√D.
    pub scale: f32,
    /// [kv_len] 1.0 where a key may be attended (the attention mask).
    pub allowed: &'a [f32],
    /// Keys visible to the first row are `j < limit`; with `causal`, row `i` sees `j < limit + i`.
    pub limit: usize,
    pub causal: bool,
}

/// Sets the scores of keys a row may not see to `f32::MIN`: keys `j ≥ lim` and keys whose
/// `allowed` is 0.
#[inline(always)]
pub fn mask_row(row: &mut [f32], allowed: &[f32], lim: usize) {
    let lim = lim.min(row.len());
    let (seen, unseen) = row.split_at_mut(lim);
    for (s, &ok) in seen.iter_mut().zip(allowed) {
        *s = if ok == 0.0 { f32::MIN } else { *s };
    }
    unseen.fill(f32::MIN);
}

/// `R` consecutive query rows (the first `R` rows of `a.q`) over every head.
#[inline(always)]
fn attend_block<const R: usize, const FMA: bool>(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    let (h, d, kv_len) = (a.h, a.d, a.kv_len);
    for head in 0..h / d {
        let off = head * d;
        scores::<R, FMA>(a.q, h, off, d, a.kt, h, kv_len, a.scale, rows);
        for r in 0..R {
            let row = &mut rows[r * kv_len..(r + 1) * kv_len];
            mask_row(row, a.allowed, if a.causal { a.limit + r } else { a.limit });
            softmax_rows::<FMA>(row);
        }
        context::<R, FMA>(rows, kv_len, a.v, h, off, d, out, h);
    }
}

/// Attention for every query row of `a.q`:
/// `out[i][head] = softmax(q_i,head·K_headᵀ·scale, masked)·V_head`; `rows` is scratch of
/// `kv_len` per query row. Rows go in groups of `ROWS`; a row's result does not depend on its
/// group.
#[inline(always)]
pub fn attend_rows<const FMA: bool>(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    let (h, kv_len) = (a.h, a.kv_len);
    let n = out.len() / h;
    let mut i = 0;
    while i < n {
        let at = Attention { q: &a.q[i * h..], limit: if a.causal { a.limit + i } else { a.limit }, ..*a };
        let (rows, out) = (&mut rows[i * kv_len..], &mut out[i * h..]);
        if i + ROWS <= n {
            attend_block::<ROWS, FMA>(&at, rows, out);
            i += ROWS;
        } else {
            attend_block::<1, FMA>(&at, rows, out);
            i += 1;
        }
    }
}

/// `attend_rows` without FMA, the copy every CPU can run (and the one the FMA copies of
/// `x86_64/` are tested against); the name each ISA module provides for the dispatcher.
#[inline(always)]
pub fn attend(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    attend_rows::<false>(a, rows, out)
}

/// `out[off..off+d] = Σ_j p[j]·v_j[off..off+d]` for one head of one query row (`v` rows of
/// `stride` floats); the relative-position path's context.
#[inline(always)]
pub fn weighted_sum(p: &[f32], v: &[f32], stride: usize, off: usize, d: usize, out: &mut [f32]) {
    context::<1, false>(p, p.len(), v, stride, off, d, out, 0);
}
