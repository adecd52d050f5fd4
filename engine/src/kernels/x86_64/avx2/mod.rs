//! AVX2 (Haswell and later, Zen): exact i16 route, see `gemm_i8.rs`.

pub mod gemm_i8;
pub mod peak;
pub mod quantize;

use core::arch::x86_64::{__m256, __m256i, _mm256_maskstore_ps, _mm256_storeu_ps};

/// Stores `v` at `p`: all 8 lanes with a plain store when `whole`, else the lanes of `mask`. The
/// AVX2 kernels whose outputs the next kernel loads at once (the int8 GEMM epilogues, attention's
/// scores) store whole vectors this way: a load cannot take its bytes from a masked store still
/// in the store buffer (the AVX-512 twin is `avx512vnni::store_ps`).
///
/// # Safety
/// AVX; 8 floats writable at `p` when `whole`, else the lanes of `mask`.
#[inline(always)]
pub(crate) unsafe fn store_ps(p: *mut f32, mask: __m256i, whole: bool, v: __m256) {
    // SAFETY: the caller's contract.
    unsafe {
        if whole {
            _mm256_storeu_ps(p, v)
        } else {
            _mm256_maskstore_ps(p, mask, v)
        }
    }
}
