//! The row loop shared by the attention kernels with intrinsics (`x86_64/attention_avx512.rs`,
//! `x86_64/attention_avx2.rs`, `aarch64/attention_neon.rs`): for each head, blocks of 6, 4 and 1
//! query rows run the ISA's register-blocked `scores`, then mask and softmax (the generic FMA
//! body), then the ISA's `context`. A row's result does not depend on its block (each of its sums
//! runs in the same order), so threads may split rows anywhere.

use super::generic::{kt_len, mask_row, scale_row, softmax_exp, softmax_max, Attention, KEY_BLOCK};

/// One ISA's register-blocked products for `R` query rows of one head.
pub(crate) trait Products {
    /// Whether the products fuse their multiply-adds (and the softmax with them, as
    /// `generic::attend_rows::<FMA>`): false only for SSE, whose CPUs have no FMA.
    const FMA: bool;

    /// `rows[r][j] = scale · Σ_dd q[r][dd] · k_j[dd]` for every key `j`, one FMA per term in
    /// `dd` order (bit-identical to `generic`'s scores with FMA). The keys are transposed in
    /// blocks of 16 (`generic::kt_index`): `kt` points at this head's first feature in block 0,
    /// feature `dd` of keys `16b..16b+16` lies at `kt + b·block_stride + 16·dd`.
    ///
    /// # Safety
    /// The ISA's features are enabled in the caller; `q` readable for `R` rows of `q_stride` at
    /// columns 0..d; for every block `b < ⌈kv_len/16⌉` and `dd < d`, 16 floats readable at
    /// `kt + b·block_stride + 16·dd`; `rows` writable for `R · kv_len`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn scores<const R: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, kv_len: usize, scale: f32, rows: *mut f32);

    /// `out[r][c] = Σ_j p[r][j] · v[j][c]` for the `d` columns of one head, one FMA per term in
    /// `j` order.
    ///
    /// # Safety
    /// The ISA's features are enabled in the caller; `p` readable for `R · kv_len`, `v` for
    /// `kv_len` rows of `v_stride` at columns 0..d, `out` writable for `R` rows of `out_stride` at
    /// columns 0..d.
    #[allow(clippy::too_many_arguments)]
    unsafe fn context<const R: usize>(p: *const f32, kv_len: usize, v: *const f32, v_stride: usize, d: usize, out: *mut f32, out_stride: usize);

    /// Softmax of `R` rows of `kv_len` masked scores in place (`rows`: `R · kv_len`), as
    /// `generic::softmax_rows::<FMA>` on each (with `FMA` only under `std`, as there): the
    /// generic body, phase by phase over the block, so that the rows' reductions, independent
    /// latency chains, sit next to each other. An ISA may override it with the same operations on
    /// its vectors.
    ///
    /// # Safety
    /// The ISA's features are enabled in the caller.
    #[inline(always)]
    unsafe fn softmax<const R: usize>(rows: &mut [f32], kv_len: usize) {
        let mut max = [0.0f32; R];
        for (row, m) in rows.chunks_exact(kv_len).zip(max.iter_mut()) {
            *m = softmax_max(row);
        }
        let mut sum = [0.0f32; R];
        for ((row, s), &m) in rows.chunks_exact_mut(kv_len).zip(sum.iter_mut()).zip(&max) {
            *s = if Self::FMA { softmax_exp::<{ cfg!(feature = "std") }>(row, m) } else { softmax_exp::<false>(row, m) };
        }
        for (row, &s) in rows.chunks_exact_mut(kv_len).zip(&sum) {
            scale_row(row, 1.0 / s);
        }
    }
}

/// `R` consecutive query rows (from row `i` of `a.q`) of one head.
///
/// # Safety
/// As `attend`, for rows `i..i+R`.
#[inline(always)]
unsafe fn block<P: Products, const R: usize>(a: &Attention<'_>, all_allowed: bool, head: usize, i: usize, rows: &mut [f32], out: &mut [f32]) {
    let (h, d, kv_len) = (a.h, a.d, a.kv_len);
    let rows = &mut rows[i * kv_len..(i + R) * kv_len];
    let off = head * d;
    // SAFETY: `attend` checked that q has rows i..i+R of h values, kt `kt_len(h, kv_len)` floats
    // (⌈kv_len/16⌉ blocks of h·16, and off + d ≤ h), v kv_len rows of h, out rows i..i+R of h.
    unsafe { P::scores::<R>(a.q.as_ptr().add(i * h + off), h, d, a.kt.as_ptr().add(off * KEY_BLOCK), h * KEY_BLOCK, kv_len, a.scale, rows.as_mut_ptr()) };
    // Mask, then softmax (the generic body with FMA, as `generic::attend_rows::<true>`, where `P`
    // fuses; `mul_add` needs std).
    for (r, row) in rows.chunks_exact_mut(kv_len).enumerate() {
        let lim = if a.causal { a.limit + i + r } else { a.limit };
        // A row that sees every key has nothing to mask (the common case: no padding, not
        // causal); skipping the pass changes no value.
        if !(all_allowed && lim >= kv_len) {
            mask_row(row, a.allowed, lim);
        }
    }
    // SAFETY: features: caller.
    unsafe { P::softmax::<R>(rows, kv_len) };
    // SAFETY: as above.
    unsafe { P::context::<R>(rows.as_ptr(), kv_len, a.v.as_ptr().add(off), h, d, out.as_mut_ptr().add(i * h + off), h) };
}

/// Attention for every query row of `a.q` into `out` (`rows`: `kv_len` scratch per row), the
/// contract of `generic::attend_rows`. Heads are the outer loop, so one head's keys and values
/// (2 · D · kv_len floats) stay cached while every row block reads them.
///
/// # Safety
/// The features `P`'s products need are enabled in the caller (this inlines into its
/// `#[target_feature]` function).
#[inline(always)]
pub(crate) unsafe fn attend<P: Products>(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    let (h, d, kv_len) = (a.h, a.d, a.kv_len);
    let n = out.len().checked_div(h).unwrap_or(0);
    if n == 0 || d == 0 || kv_len == 0 {
        return;
    }
    // The bounds every raw access relies on (the model sizes these buffers).
    assert!(h % d == 0 && a.q.len() >= n * h && a.kt.len() >= kt_len(h, kv_len) && a.v.len() >= kv_len * h);
    assert!(rows.len() >= n * kv_len && a.allowed.len() >= kv_len);
    let all_allowed = a.allowed[..kv_len].iter().all(|&ok| ok != 0.0);
    for head in 0..h / d {
        let mut i = 0;
        while i < n {
            // SAFETY: rows i..i+R ≤ n, inside the bounds asserted above; features: caller.
            unsafe {
                if i + 6 <= n {
                    block::<P, 6>(a, all_allowed, head, i, rows, out);
                    i += 6;
                } else if i + 4 <= n {
                    block::<P, 4>(a, all_allowed, head, i, rows, out);
                    i += 4;
                } else {
                    block::<P, 1>(a, all_allowed, head, i, rows, out);
                    i += 1;
                }
            }
        }
    }
}
