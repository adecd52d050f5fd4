//! Attention rows with SSE (the x86-64 baseline, for CPUs without AVX): `generic::attend`, the
//! unfused copy, with its accumulators pinned in registers (LLVM spills the generic body's
//! 4 × 64 blocks on the 16 xmm registers).
//!
//! The row loop is `float/attention.rs` (with the unfused softmax, `Products::FMA` = false);
//! here are the products for blocks of up to 6 query rows × 8 columns = 12 xmm accumulators, each
//! summed as `acc = x · y + acc` (a multiply, then an add) in the generic copy's order, so the
//! results are bit-identical to `generic::attend` (tested). Key tails read whole vectors inside the
//! 16-key block (blocks are zero-padded) and store only the keys that exist; value columns past the
//! last multiple of 8 run the same sums one column at a time.

use core::arch::x86_64::*;

use crate::kernels::float::attention::{self, Products};
use crate::kernels::float::generic::Attention;

/// Columns per register block: 2 xmm of 4 floats.
const COLS: usize = 8;

impl Products for Sse {
    const FMA: bool = false;

    /// # Safety
    /// SSE (x86-64 baseline); the contract of `Products::scores`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn scores<const R: usize>(q: *const f32, q_stride: usize, d: usize, kt: *const f32, block_stride: usize, kv_len: usize, scale: f32, rows: *mut f32) {
        let mut j0 = 0;
        while j0 < kv_len {
            let w = COLS.min(kv_len - j0);
            // SAFETY: keys j0..j0+8 lie in block j0/16 at offset j0 % 16 (0 or 8), so both loads
            // stay inside the block's 16 floats at feature dd (the contract: whole blocks are
            // readable); query values inside row `r` of `q`; stores inside `rows[r]` at j0..j0+w.
            unsafe {
                let base = kt.add(j0 / 16 * block_stride + j0 % 16);
                let mut acc = [[_mm_setzero_ps(); 2]; R];
                for dd in 0..d {
                    let krow = base.add(16 * dd);
                    let k = [_mm_loadu_ps(krow), _mm_loadu_ps(krow.add(4))];
                    for (r, a) in acc.iter_mut().enumerate() {
                        let qv = _mm_set1_ps(*q.add(r * q_stride + dd));
                        a[0] = _mm_add_ps(_mm_mul_ps(qv, k[0]), a[0]);
                        a[1] = _mm_add_ps(_mm_mul_ps(qv, k[1]), a[1]);
                    }
                }
                let s = _mm_set1_ps(scale);
                for (r, a) in acc.iter().enumerate() {
                    let mut t = [0.0f32; COLS];
                    _mm_storeu_ps(t.as_mut_ptr(), _mm_mul_ps(a[0], s));
                    _mm_storeu_ps(t.as_mut_ptr().add(4), _mm_mul_ps(a[1], s));
                    core::ptr::copy_nonoverlapping(t.as_ptr(), rows.add(r * kv_len + j0), w);
                }
            }
            j0 += w;
        }
    }

    /// # Safety
    /// SSE (x86-64 baseline); the contract of `Products::context`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn context<const R: usize>(p: *const f32, kv_len: usize, v: *const f32, v_stride: usize, d: usize, out: *mut f32, out_stride: usize) {
        let mut c0 = 0;
        while c0 + COLS <= d {
            // SAFETY: loads inside value row `j` at columns c0..c0+8 ≤ d, probabilities inside
            // `p[r]`, stores inside `out[r]` at columns c0..c0+8.
            unsafe {
                let mut acc = [[_mm_setzero_ps(); 2]; R];
                for j in 0..kv_len {
                    let vrow = v.add(j * v_stride + c0);
                    let vj = [_mm_loadu_ps(vrow), _mm_loadu_ps(vrow.add(4))];
                    for (r, a) in acc.iter_mut().enumerate() {
                        let pj = _mm_set1_ps(*p.add(r * kv_len + j));
                        a[0] = _mm_add_ps(_mm_mul_ps(pj, vj[0]), a[0]);
                        a[1] = _mm_add_ps(_mm_mul_ps(pj, vj[1]), a[1]);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    let o = out.add(r * out_stride + c0);
                    _mm_storeu_ps(o, a[0]);
                    _mm_storeu_ps(o.add(4), a[1]);
                }
            }
            c0 += COLS;
        }
        for c in c0..d {
            for r in 0..R {
                let mut s = 0.0f32;
                // SAFETY: as above, one column at a time.
                unsafe {
                    for j in 0..kv_len {
                        s += *p.add(r * kv_len + j) * *v.add(j * v_stride + c);
                    }
                    *out.add(r * out_stride + c) = s;
                }
            }
        }
    }
}

/// The SSE products.
pub struct Sse;

/// Attention for every query row of `a.q` into `out` (`rows`: `kv_len` scratch per row), the
/// contract of `generic::attend_rows`, bit-identical to `generic::attend`.
pub fn attend(a: &Attention<'_>, rows: &mut [f32], out: &mut [f32]) {
    // SAFETY: SSE and SSE2 are part of x86-64, enabled in every x86-64 build.
    unsafe { attention::attend::<Sse>(a, rows, out) }
}
