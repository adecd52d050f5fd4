//! AVX-512 VNNI (Ice Lake / Cascade Lake server and later, Zen 4): `vpdpbusd zmm`, and activation
//! quantization with 16-lane AVX-512F (twice the AVX2 kernel's rate on L1-resident rows).

pub mod gemm_i8;
pub mod peak;
pub mod quantize;

use core::arch::x86_64::{__m512, __mmask16, _mm512_mask_storeu_ps, _mm512_storeu_ps};

/// Stores the lanes of `m` of `v` at `p`, with a plain store when all 16 are. The AVX-512 kernels
/// whose outputs the next kernel loads at once (the int8 GEMM epilogues, LayerNorm, attention's
/// scores and context) store this way: a load cannot take its bytes from a masked store still in
/// the store buffer, so it would wait for the store to reach L1.
///
/// # Safety
/// AVX-512F; the lanes of `m` writable at `p`.
#[inline(always)]
pub(crate) unsafe fn store_ps(p: *mut f32, m: __mmask16, v: __m512) {
    // SAFETY: the caller's contract (a full mask writes all 16 lanes).
    unsafe {
        if m == 0xffff {
            _mm512_storeu_ps(p, v)
        } else {
            _mm512_mask_storeu_ps(p, m, v)
        }
    }
}
