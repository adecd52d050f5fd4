//! AVX-512 key transposition, `generic::keys_blocked`'s contract: whole 16 × 16 tiles (16 keys ×
//! 16 features) in registers, a partial last block and hidden sizes that are not a multiple of
//! 16 through the generic code. Moving values is exact, so the result is the generic one.
//!
//! A tile is 16 row loads, 64 shuffles and 16 stores of one block's feature rows (the former
//! transposition, a `memmove` per 16 floats, was 3.7% of a seq-128 pass in `perf`; 1.7% now):
//!
//! ```text
//! unpack{lo,hi}_ps  rows 2r, 2r+1        → pairs of rows, per 128-bit lane
//! unpack{lo,hi}_pd  those, 2 apart       → 4 rows × one column, per 128-bit lane
//! shuffle_f32x4     twice                → gathers a column's 4 lanes from 4 row groups
//! ```

use core::arch::x86_64::*;

use crate::kernels::float::generic::{self, kt_len, KEY_BLOCK};

const B: usize = KEY_BLOCK;

/// See `generic::keys_blocked`.
///
/// # Safety
/// The CPU must support AVX-512F. (Bounds are checked here.)
#[target_feature(enable = "avx512f")]
pub unsafe fn keys_blocked(k: &[f32], h: usize, kt: &mut [f32]) {
    let n = k.len().checked_div(h).unwrap_or(0);
    if n == 0 || !h.is_multiple_of(B) {
        return generic::keys_blocked(k, h, kt);
    }
    let kt = &mut kt[..kt_len(h, n)];
    let full = n / B * B;
    for j0 in (0..full).step_by(B) {
        for f0 in (0..h).step_by(B) {
            // SAFETY: keys j0..j0+16 ≤ n at features f0..f0+16 ≤ h are inside k (n·h ≤ k.len());
            // the block's rows f0..f0+16 of 16 floats start at (j0/16·h + f0)·16 and end within
            // kt_len(h, n) (checked by the slice above).
            unsafe { tile(k.as_ptr().add(j0 * h + f0), h, kt.as_mut_ptr().add((j0 / B * h + f0) * B), B) };
        }
    }
    if full < n {
        generic::keys_blocked(&k[full * h..n * h], h, &mut kt[full * h..]);
    }
}

/// `dst[c·dst_stride + r] = src[r·src_stride + c]` for r, c < 16.
///
/// # Safety
/// AVX-512F; 16 rows of 16 floats readable at `src` (stride `src_stride`), writable at `dst`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn tile(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    // SAFETY: the loads and stores stay in the 16 × 16 blocks the caller guarantees.
    unsafe {
        let r: [__m512; B] = core::array::from_fn(|u| _mm512_loadu_ps(src.add(u * src_stride)));
        // a[2p] / a[2p+1]: rows 2p and 2p+1 interleaved (lanes: r2p[4L], r2p+1[4L], r2p[4L+1], ...).
        let mut a = [_mm512_setzero_ps(); B];
        for p in 0..B / 2 {
            a[2 * p] = _mm512_unpacklo_ps(r[2 * p], r[2 * p + 1]);
            a[2 * p + 1] = _mm512_unpackhi_ps(r[2 * p], r[2 * p + 1]);
        }
        // b[4g + m]: rows 4g..4g+4 at column 4L + m in 128-bit lane L.
        let mut b = [_mm512_setzero_ps(); B];
        for g in 0..B / 4 {
            let pd = |v: __m512| _mm512_castps_pd(v);
            let (a0, a1, a2, a3) = (pd(a[4 * g]), pd(a[4 * g + 1]), pd(a[4 * g + 2]), pd(a[4 * g + 3]));
            b[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
            b[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
            b[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
            b[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
        }
        // Column 4L + m = lane L of b[m], b[4+m], b[8+m], b[12+m].
        for m in 0..4 {
            let c_even = _mm512_shuffle_f32x4::<0x88>(b[m], b[4 + m]); // lanes 0, 2 of each
            let c_odd = _mm512_shuffle_f32x4::<0xDD>(b[m], b[4 + m]); // lanes 1, 3 of each
            let d_even = _mm512_shuffle_f32x4::<0x88>(b[8 + m], b[12 + m]);
            let d_odd = _mm512_shuffle_f32x4::<0xDD>(b[8 + m], b[12 + m]);
            let col = [
                _mm512_shuffle_f32x4::<0x88>(c_even, d_even), // L = 0
                _mm512_shuffle_f32x4::<0x88>(c_odd, d_odd),   // L = 1
                _mm512_shuffle_f32x4::<0xDD>(c_even, d_even), // L = 2
                _mm512_shuffle_f32x4::<0xDD>(c_odd, d_odd),   // L = 3
            ];
            for (l, v) in col.into_iter().enumerate() {
                _mm512_storeu_ps(dst.add((4 * l + m) * dst_stride), v);
            }
        }
    }
}
