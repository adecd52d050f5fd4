//! The register-only peak of the SSE4.1 kernel's instruction mix.

use core::arch::asm;

/// Runs `iters` × (1 `pmovsxbw` load + 6 × (`pmaddwd` + `paddd`)); returns the MACs done (48
/// each), the inner loop of `gemm_i8.rs` without its activation loads.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn madd_exact(iters: u64) -> u64 {
    if iters == 0 {
        return 0;
    }
    let w = [3i8; 8];
    // SAFETY: the loop reads the 8 bytes of `w` and otherwise only the declared registers.
    unsafe {
        asm!(
            "pcmpeqw xmm6, xmm6",
            "pcmpeqw xmm7, xmm7",
            "pcmpeqw xmm8, xmm8",
            "pcmpeqw xmm9, xmm9",
            "pcmpeqw xmm10, xmm10",
            "pcmpeqw xmm11, xmm11",
            "2:",
            "pmovsxbw xmm12, qword ptr [{w}]",
            "movdqa xmm13, xmm12",
            "pmaddwd xmm13, xmm6",
            "paddd xmm0, xmm13",
            "movdqa xmm14, xmm12",
            "pmaddwd xmm14, xmm7",
            "paddd xmm1, xmm14",
            "movdqa xmm15, xmm12",
            "pmaddwd xmm15, xmm8",
            "paddd xmm2, xmm15",
            "movdqa xmm13, xmm12",
            "pmaddwd xmm13, xmm9",
            "paddd xmm3, xmm13",
            "movdqa xmm14, xmm12",
            "pmaddwd xmm14, xmm10",
            "paddd xmm4, xmm14",
            "movdqa xmm15, xmm12",
            "pmaddwd xmm15, xmm11",
            "paddd xmm5, xmm15",
            "dec {n}",
            "jnz 2b",
            w = in(reg) w.as_ptr(),
            n = inout(reg) iters => _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
            out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            options(nostack, readonly)
        );
    }
    iters * 48
}
