//! Register-only ceiling of the armv7 NEON int8 route: `vmull.s8` + `vmlal.s8` + `vpadal.s16`
//! (16 MACs per triple), 4 independent triples per iteration, as the GEMM's inner loop issues
//! them.

use core::arch::asm;

/// Runs `iters` iterations; returns the MACs done (64 per iteration).
///
/// # Safety
/// The CPU must have NEON.
pub unsafe fn vmull_vmlal_vpadal(iters: u32) -> u64 {
    if iters == 0 {
        return 0;
    }
    // SAFETY: a loop over registers only: q8–q15 (d16–d31) are saved on the stack and restored,
    // the other vector registers it writes are declared clobbered.
    unsafe {
        asm!(
            ".fpu neon",
            "vpush {{d16-d31}}",
            "vmov.i8 d0, #3",
            "vmov.i8 d1, #5",
            "2:",
            "vmull.s8 q1, d0, d1",
            "vmull.s8 q2, d0, d1",
            "vmull.s8 q3, d0, d1",
            "vmull.s8 q4, d0, d1",
            "vmlal.s8 q1, d0, d1",
            "vmlal.s8 q2, d0, d1",
            "vmlal.s8 q3, d0, d1",
            "vmlal.s8 q4, d0, d1",
            "vpadal.s16 q8, q1",
            "vpadal.s16 q9, q2",
            "vpadal.s16 q10, q3",
            "vpadal.s16 q11, q4",
            "subs {n}, {n}, #1",
            "bne 2b",
            "vpop {{d16-d31}}",
            n = inout(reg) iters => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
            out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
        );
    }
    u64::from(iters) * 64
}
