//! Register-only ceiling of `sdot` (16 MACs each), 16 independent accumulators per iteration.

use core::arch::asm;

/// Runs `iters` iterations; returns the MACs done (256 per iteration).
///
/// # Safety
/// The CPU must support NEON and the dot-product extension.
#[target_feature(enable = "neon,dotprod")]
pub unsafe fn sdot(iters: u64) -> u64 {
    if iters == 0 {
        return 0;
    }
    // SAFETY: register-only loop over scratch vector registers declared as clobbers.
    unsafe {
        asm!(
            "movi v0.16b, #3",
            "movi v1.16b, #5",
            "2:",
            "sdot v8.4s, v0.16b, v1.16b",
            "sdot v9.4s, v0.16b, v1.16b",
            "sdot v10.4s, v0.16b, v1.16b",
            "sdot v11.4s, v0.16b, v1.16b",
            "sdot v12.4s, v0.16b, v1.16b",
            "sdot v13.4s, v0.16b, v1.16b",
            "sdot v14.4s, v0.16b, v1.16b",
            "sdot v15.4s, v0.16b, v1.16b",
            "sdot v16.4s, v0.16b, v1.16b",
            "sdot v17.4s, v0.16b, v1.16b",
            "sdot v18.4s, v0.16b, v1.16b",
            "sdot v19.4s, v0.16b, v1.16b",
            "sdot v20.4s, v0.16b, v1.16b",
            "sdot v21.4s, v0.16b, v1.16b",
            "sdot v22.4s, v0.16b, v1.16b",
            "sdot v23.4s, v0.16b, v1.16b",
            "subs {n}, {n}, #1",
            "b.ne 2b",
            n = inout(reg) iters => _,
            out("v0") _, out("v1") _, out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _, out("v16") _, out("v17") _,
            out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            options(nomem, nostack)
        );
    }
    iters * 256
}
